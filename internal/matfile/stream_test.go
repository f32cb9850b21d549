package matfile

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigFloats is the size of the array the streaming tests skip: 64 MiB.
const bigFloats = 16 << 20

var bigFiles = map[bool][]byte{}

// bigFile returns (building it once) a MAT-file with "head" (small), "big"
// (64 MiB of float32), "s" (a struct whose first field is the same big
// array and whose second is small) and "tail" (small). The array is mostly
// zeros so that compressing it is quick.
func bigFile(t *testing.T, compress bool) []byte {
	t.Helper()
	if b, ok := bigFiles[compress]; ok {
		return b
	}
	m := must(t)
	big := make([]float32, bigFloats)
	for i := 0; i < len(big); i += 999 {
		big[i] = float32(i)
	}
	bigV := m(NewNumeric(ClassSingle, []int{4096, bigFloats / 4096}, big))
	small := m(NewNumeric(ClassDouble, []int{1, 3}, []float64{1, 2, 3}))
	buf := bytes.NewBuffer(make([]byte, 0, 2*4*bigFloats+4096))
	w, err := NewWriter(buf, WriterOptions{Compress: compress})
	require.NoError(t, err)
	require.NoError(t, w.WriteVar("head", small))
	require.NoError(t, w.WriteVar("big", bigV))
	require.NoError(t, w.WriteVar("s", m(NewStruct([]int{1, 1}, []string{"big", "small"}, [][]Value{{bigV, small}}))))
	require.NoError(t, w.WriteVar("tail", small))
	bigFiles[compress] = buf.Bytes()
	return buf.Bytes()
}

// TestSkipDoesNotAllocate reads the small variables of a file around two
// 64 MiB arrays, one a whole variable and one a struct field, and checks
// that the bytes allocated stay far below the skipped size: skipped data
// are discarded, never buffered. (A memory assertion, not a timed one.)
func TestSkipDoesNotAllocate(t *testing.T) {
	for _, compress := range []bool{false, true} {
		name := "uncompressed"
		if compress {
			name = "compressed"
		}
		t.Run(name, func(t *testing.T) {
			data := bigFile(t, compress)
			for _, through := range []string{"seekable", "stream"} {
				var in io.Reader = bytes.NewReader(data)
				if through == "stream" {
					in = noSeek{in}
				}
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)

				r, err := NewReader(in)
				require.NoError(t, err)
				head, err := r.Next()
				require.NoError(t, err)
				v, err := head.Float64s()
				require.NoError(t, err)
				assert.Equal(t, []float64{1, 2, 3}, v)

				big, err := r.Next() // header only; the next Next skips it
				require.NoError(t, err)
				assert.Equal(t, bigFloats, big.Numel())

				s, err := r.Next()
				require.NoError(t, err)
				field, _, err := s.NextField() // "big": skipped by the next NextField
				require.NoError(t, err)
				assert.Equal(t, "big", field)
				field, sm, err := s.NextField()
				require.NoError(t, err)
				assert.Equal(t, "small", field)
				v, err = sm.Float64s()
				require.NoError(t, err)
				assert.Equal(t, []float64{1, 2, 3}, v)

				tail, err := r.Next()
				require.NoError(t, err)
				assert.Equal(t, "tail", tail.Name)
				_, err = r.Next()
				assert.ErrorIs(t, err, io.EOF)

				runtime.ReadMemStats(&after)
				allocated := after.TotalAlloc - before.TotalAlloc
				t.Logf("%s via %s: skipped 2 × %d MiB, allocated %d KiB", name, through, bigFloats*4>>20, allocated>>10)
				assert.Less(t, allocated, uint64(2<<20), "skipping must not allocate the skipped data")
			}
		})
	}
}

// TestReadLargeArray reads a big array with the input size known (exact
// allocation) and not known (buffers that grow as data arrive).
func TestReadLargeArray(t *testing.T) {
	for _, compress := range []bool{false, true} {
		data := bigFile(t, compress)
		var in io.Reader = bytes.NewReader(data)
		if compress {
			in = noSeek{in}
		}
		r, err := NewReader(in)
		require.NoError(t, err)
		_, err = r.Next()
		require.NoError(t, err)
		big, err := r.Next()
		require.NoError(t, err)
		v, err := big.Float32s()
		require.NoError(t, err)
		require.Len(t, v, bigFloats)
		for _, i := range []int{0, 1, 998, 999, 1000, 999 * 4000, bigFloats - 1} {
			want := float32(0)
			if i%999 == 0 {
				want = float32(i)
			}
			require.Equal(t, want, v[i], "element %d", i)
		}
	}
}
