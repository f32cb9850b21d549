package cli

import (
	"context"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Run passes the arguments and returns the status, and SIGTERM cancels the
// context the command sees.
func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		signal bool
		want   int
	}{
		{name: "plain", want: 3},
		{name: "terminated", signal: true, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := Run(func(ctx context.Context, args []string, _, _ io.Writer) int {
				assert.Equal(t, []string{"-x", "y"}, args)
				if !tc.signal {
					return 3
				}
				p, err := os.FindProcess(os.Getpid())
				if err != nil {
					return 2
				}
				_ = p.Signal(syscall.SIGTERM)
				select {
				case <-ctx.Done():
					return 1
				case <-time.After(10 * time.Second):
					return 0
				}
			}, []string{"-x", "y"}, io.Discard, io.Discard)
			assert.Equal(t, tc.want, code)
		})
	}
}
