package bytesize

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1000, "1000 bytes"},
		{1<<20 - 1, "1048575 bytes"},
		{1 << 20, "1 MiB"},
		{256 << 20, "256 MiB"},
		{1<<30 - 1, "1024 MiB"},
		{1 << 30, "1.0 GiB"},
		{1974 * (1 << 30) / 100, "19.7 GiB"},
		{80 << 30, "80.0 GiB"},
		{1365 << 30, "1365.0 GiB"},
		{-1, "unknown"},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			assert.Equal(t, tc.want, Format(tc.n))
		})
	}
}

func ExampleFormat() {
	fmt.Println(Format(8 << 30))
	fmt.Println(Format(100 << 20))
	// Output:
	// 8.0 GiB
	// 100 MiB
}
