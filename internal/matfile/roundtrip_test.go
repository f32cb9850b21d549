package matfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripVars covers every class, stored types smaller and larger than
// the class, small data elements, empty arrays and nesting.
func roundTripVars(t testing.TB) []namedValue {
	m := must(t)
	num := func(c Class, dims []int, data any) Value { return m(NewNumeric(c, dims, data)) }
	f64 := num(ClassDouble, []int{2, 3}, []float64{1.5, math.NaN(), math.Inf(-1), math.Copysign(0, -1), math.Pi, math.MaxFloat64})
	i8 := num(ClassInt8, []int{1, 3}, []int8{-128, 0, 127})
	sarr := m(NewStruct([]int{2, 2}, []string{"a", "long_field_name_of_sixty_three_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxx"}, [][]Value{
		{i8, NewChar("one")}, {nil, NewChar("")}, {f64, m(NewCell([]int{1, 1}, []Value{i8}))}, {NewChar("four"), nil},
	}))
	return []namedValue{
		{"f64", f64},
		{"f32", num(ClassSingle, []int{2, 2}, []float32{1.25, -2.5, float32(math.Inf(1)), math.SmallestNonzeroFloat32})},
		{"i8", i8},
		{"u8", num(ClassUint8, []int{1, 2}, []uint8{0, 255})},
		{"i16", num(ClassInt16, []int{2, 1}, []int16{math.MinInt16, math.MaxInt16})},
		{"u16", num(ClassUint16, []int{1, 3}, []uint16{0, 1, math.MaxUint16})},
		{"i32", num(ClassInt32, []int{1, 3}, []int32{math.MinInt32, -1, math.MaxInt32})},
		{"u32", num(ClassUint32, []int{1, 1}, []uint32{math.MaxUint32})},
		{"i64", num(ClassInt64, []int{1, 2}, []int64{math.MinInt64, 1 << 53})},
		{"u64", num(ClassUint64, []int{1, 2}, []uint64{1<<53 + 2, 0})},
		{"dbl_as_u8", num(ClassDouble, []int{1, 5}, []uint8{1, 2, 3, 4, 200})},
		{"dbl_as_i16", num(ClassDouble, []int{1, 2}, []int16{-300, 300})},
		{"sgl_as_i8", num(ClassSingle, []int{3, 1}, []int8{-1, 0, 1})},
		{"i32_as_f64", num(ClassInt32, []int{1, 2}, []float64{-7, 7})},
		{"nd", num(ClassSingle, []int{2, 3, 4}, make([]float32, 24))},
		{"scalar", num(ClassDouble, []int{1, 1}, []float64{42})},
		{"empty", num(ClassDouble, []int{0, 0}, []float64{})},
		{"empty_0x3", num(ClassSingle, []int{0, 3}, []float32(nil))},
		{"mask", m(NewLogical([]int{2, 3}, []bool{true, false, false, true, true, false}))},
		{"ascii", NewChar("hello, world")},
		{"unicode", NewChar("Grüße ∑ 日本語 😀 𝄞")},
		{"empty_text", NewChar("")},
		{"cell", m(NewCell([]int{2, 2}, []Value{f64, nil, NewChar("x"), m(NewCell([]int{1, 2}, []Value{i8, nil}))}))},
		{"empty_cell", m(NewCell([]int{0, 0}, nil))},
		{"s", m(NewStruct([]int{1, 1}, []string{"name", "inner"}, [][]Value{{NewChar("s"), sarr}}))},
		{"no_fields", m(NewStruct([]int{1, 1}, nil, [][]Value{{}}))},
		{"empty_sarr", m(NewStruct([]int{0, 1}, []string{"a", "b"}, nil))},
		{"sarr", sarr},
	}
}

func TestWriterRoundTrip(t *testing.T) {
	vars := roundTripVars(t)
	var want []*node
	for _, nv := range vars {
		want = append(want, valueNode(nv.name, nv.v))
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, compress := range []bool{false, true} {
			opts := WriterOptions{Compress: compress, ByteOrder: bo}
			name := byteOrderName(bo)
			if compress {
				name += "-compressed"
			}
			t.Run(name, func(t *testing.T) {
				data := writeFile(t, opts, vars)
				for _, mode := range []readMode{useFloat64, useFloat32} {
					got, err := readAll(bytes.NewReader(data), mode)
					require.NoError(t, err)
					assertNodes(t, want, got, mode, name)
					got, err = readAll(noSeek{bytes.NewReader(data)}, mode)
					require.NoError(t, err)
					assertNodes(t, want, got, mode, name+" stream")
				}
				r, err := NewReader(bytes.NewReader(data))
				require.NoError(t, err)
				assert.Equal(t, bo, r.ByteOrder())

				// Through a file, the compressed writer streams and patches tags.
				path := filepath.Join(t.TempDir(), "rt.mat")
				f, err := os.Create(path)
				require.NoError(t, err)
				w, err := NewWriter(f, opts)
				require.NoError(t, err)
				for _, nv := range vars {
					require.NoError(t, w.WriteVar(nv.name, nv.v))
				}
				require.NoError(t, f.Close())
				fromFile, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, data, fromFile, "file and buffer output differ")
			})
		}
	}
}

func TestWriterBools(t *testing.T) {
	v, err := NewLogical([]int{1, 4}, []bool{true, false, true, true})
	require.NoError(t, err)
	data := writeFile(t, WriterOptions{}, []namedValue{{"m", v}})
	r, err := NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	a, err := r.Next()
	require.NoError(t, err)
	assert.True(t, a.Logical)
	assert.Equal(t, ClassUint8, a.Class)
	b, err := a.Bools()
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false, true, true}, b)
}

func TestWriterErrors(t *testing.T) {
	ok := func(v Value, err error) Value { require.NoError(t, err); return v }
	good := ok(NewNumeric(ClassDouble, []int{1, 1}, []float64{1}))
	tests := []struct {
		name string
		err  func() error
	}{
		{"numeric class char", func() error { _, err := NewNumeric(ClassChar, []int{1, 1}, []float64{1}); return err }},
		{"numeric wrong length", func() error { _, err := NewNumeric(ClassDouble, []int{2, 2}, []float64{1}); return err }},
		{"numeric one dim", func() error { _, err := NewNumeric(ClassDouble, []int{1}, []float64{1}); return err }},
		{"numeric negative dim", func() error { _, err := NewNumeric(ClassDouble, []int{-1, 1}, []float64{}); return err }},
		{"numeric bad type", func() error { _, err := NewNumeric(ClassDouble, []int{1, 1}, []int{1}); return err }},
		{"numeric too many", func() error {
			_, err := NewNumeric(ClassDouble, []int{1 << 20, 1 << 20}, []float64{})
			return err
		}},
		{"logical wrong length", func() error { _, err := NewLogical([]int{1, 2}, []bool{true}); return err }},
		{"cell wrong length", func() error { _, err := NewCell([]int{1, 2}, []Value{good}); return err }},
		{"struct wrong elements", func() error { _, err := NewStruct([]int{1, 2}, []string{"a"}, [][]Value{{good}}); return err }},
		{"struct wrong fields", func() error { _, err := NewStruct([]int{1, 1}, []string{"a"}, [][]Value{{good, good}}); return err }},
		{"struct duplicate field", func() error {
			_, err := NewStruct([]int{1, 1}, []string{"a", "a"}, [][]Value{{good, good}})
			return err
		}},
		{"struct empty field", func() error { _, err := NewStruct([]int{1, 1}, []string{""}, [][]Value{{good}}); return err }},
		{"struct long field", func() error {
			_, err := NewStruct([]int{1, 1}, []string{string(make([]byte, 64))}, [][]Value{{good}})
			return err
		}},
		{"empty name", func() error { return mustWriter(t).WriteVar("", good) }},
		{"name with NUL", func() error { return mustWriter(t).WriteVar("a\x00b", good) }},
		{"nil value", func() error { return mustWriter(t).WriteVar("a", nil) }},
		{"bad byte order", func() error {
			_, err := NewWriter(io.Discard, WriterOptions{ByteOrder: binary.NativeEndian})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "matfile: ")
		})
	}
}

func mustWriter(t testing.TB) *Writer {
	w, err := NewWriter(io.Discard, WriterOptions{})
	require.NoError(t, err)
	return w
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, io.ErrShortWrite
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	for _, compress := range []bool{false, true} {
		w, err := NewWriter(&failWriter{n: 130}, WriterOptions{Compress: compress})
		require.NoError(t, err)
		v, err := NewNumeric(ClassDouble, []int{1, 100}, make([]float64, 100))
		require.NoError(t, err)
		err = w.WriteVar("a", v)
		require.ErrorIs(t, err, io.ErrShortWrite)
		require.ErrorIs(t, w.WriteVar("b", v), io.ErrShortWrite)
	}
	_, err := NewWriter(&failWriter{n: 10}, WriterOptions{})
	require.ErrorIs(t, err, io.ErrShortWrite)
}
