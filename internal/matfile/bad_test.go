package matfile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raw builds MAT-file bytes element by element, so that tests can write
// what the Writer refuses to.
type raw struct{ bo binary.ByteOrder }

var le = raw{binary.LittleEndian}

func (r raw) header() []byte {
	var b bytes.Buffer
	_, err := NewWriter(&b, WriterOptions{ByteOrder: r.bo})
	if err != nil {
		panic(err)
	}
	return b.Bytes()
}

func (r raw) file(vars ...[]byte) []byte {
	return bytes.Join(append([][]byte{r.header()}, vars...), nil)
}

// el is a regular data element with padding.
func (r raw) el(typ miType, data []byte) []byte {
	b := make([]byte, 8, 16+len(data))
	r.bo.PutUint32(b, uint32(typ))
	r.bo.PutUint32(b[4:], uint32(len(data)))
	b = append(b, data...)
	return append(b, make([]byte, (8-len(data)%8)%8)...)
}

// elN is a data element tag that claims n bytes, followed by data.
func (r raw) elN(typ miType, n uint32, data []byte) []byte {
	b := make([]byte, 8)
	r.bo.PutUint32(b, uint32(typ))
	r.bo.PutUint32(b[4:], n)
	return append(b, data...)
}

// small is a small data element claiming n bytes.
func (r raw) small(typ miType, n int, data []byte) []byte {
	b := make([]byte, 8)
	r.bo.PutUint32(b, uint32(n)<<16|uint32(typ))
	copy(b[4:], data)
	return b
}

func (r raw) u32(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		r.bo.PutUint32(b[4*i:], x)
	}
	return b
}

func (r raw) f64(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		r.bo.PutUint64(b[8*i:], mathFloat64bits(x))
	}
	return b
}

func (r raw) flags(c Class, bits uint32) []byte { return r.el(miUINT32, r.u32(uint32(c)|bits, 0)) }
func (r raw) dims(d ...int32) []byte {
	v := make([]uint32, len(d))
	for i, x := range d {
		v[i] = uint32(x)
	}
	return r.el(miINT32, r.u32(v...))
}
func (r raw) name(s string) []byte {
	if len(s) <= 4 {
		return r.small(miINT8, len(s), []byte(s))
	}
	return r.el(miINT8, []byte(s))
}
func (r raw) matrix(parts ...[]byte) []byte { return r.el(miMATRIX, bytes.Join(parts, nil)) }

// double is a valid 1xN double variable.
func (r raw) double(name string, v ...float64) []byte {
	return r.matrix(r.flags(ClassDouble, 0), r.dims(1, int32(len(v))), r.name(name), r.el(miDOUBLE, r.f64(v...)))
}

func (r raw) compressed(inner []byte) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write(inner)
	zw.Close()
	return r.elN(miCOMPRESSED, uint32(b.Len()), b.Bytes())
}

// step is where a bad input must fail.
type step int

const (
	atOpen  step = iota // NewReader
	atNext              // Next
	atRead              // reading the first variable completely
	atNext2             // the second Next (after reading the first variable)
)

// walkFirst opens data and reads its first variable completely, reporting
// where the first error occurs.
func walkFirst(in io.Reader) (step, error) {
	r, err := NewReader(in)
	if err != nil {
		return atOpen, err
	}
	a, err := r.Next()
	if err != nil {
		return atNext, err
	}
	if _, err := readNode(a, useFloat64); err != nil {
		return atRead, err
	}
	if _, err := r.Next(); err != nil && err != io.EOF {
		return atNext2, err
	}
	return -1, nil
}

func TestBadInput(t *testing.T) {
	r := le
	be := raw{binary.BigEndian}
	hdr := r.header()
	v73 := make([]byte, 600)
	copy(v73, "MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 .")
	binary.LittleEndian.PutUint16(v73[124:], 0x0200)
	copy(v73[126:], "IM")
	copy(v73[512:], hdf5Signature)
	badEndian := append([]byte(nil), hdr...)
	copy(badEndian[126:], "XY")
	badVersion := append([]byte(nil), hdr...)
	binary.LittleEndian.PutUint16(badVersion[124:], 0x0300)
	v4 := []byte{0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0}
	good := r.double("ok", 1, 2)
	zero := func(n int) []byte { return make([]byte, n) }
	fl := r.flags(ClassDouble, 0)
	d12 := r.dims(1, 2)
	nm := r.name("x")
	data2 := r.el(miDOUBLE, r.f64(1, 2))
	var badZlib bytes.Buffer
	zw := zlib.NewWriter(&badZlib)
	zw.Write(good)
	zw.Close()
	corrupt := append([]byte(nil), badZlib.Bytes()...)
	corrupt[len(corrupt)/2] ^= 0xff
	checksum := append([]byte(nil), badZlib.Bytes()...)
	checksum[len(checksum)-1] ^= 0xff

	tests := []struct {
		name     string
		data     []byte
		at       step
		sentinel error
		eof      bool // also wraps io.ErrUnexpectedEOF
	}{
		{"empty", nil, atOpen, ErrFormat, true},
		{"short header", hdr[:100], atOpen, ErrFormat, true},
		{"HDF5 signature", append(append([]byte(nil), hdf5Signature...), zero(200)...), atOpen, ErrHDF5, false},
		{"HDF5 signature only", hdf5Signature, atOpen, ErrHDF5, false},
		{"v7.3 header", v73, atOpen, ErrHDF5, false},
		{"bad endian indicator", badEndian, atOpen, ErrFormat, false},
		{"bad version", badVersion, atOpen, ErrFormat, false},
		{"MATLAB v4", append(v4, zero(200)...), atOpen, ErrFormat, false},
		{"truncated tag", r.file(good[:5]), atNext, ErrFormat, true},
		{"small tag at top level", r.file(r.small(miINT8, 1, []byte("a"))), atNext, ErrFormat, false},
		{"unknown top-level type", r.file(r.el(miDOUBLE, r.f64(1))), atNext, ErrFormat, false},
		{"variable longer than input", r.file(r.elN(miMATRIX, 1<<20, good[8:])), atNext, ErrFormat, true},
		{"flags as double", r.file(r.matrix(r.el(miDOUBLE, r.f64(6)), d12, nm, data2)), atNext, ErrFormat, false},
		{"flags of 4 bytes", r.file(r.matrix(r.el(miUINT32, r.u32(6)), d12, nm, data2)), atNext, ErrFormat, false},
		{"unknown class 0", r.file(r.matrix(r.flags(0, 0), d12, nm, data2)), atNext, ErrFormat, false},
		{"unknown class 42", r.file(r.matrix(r.flags(42, 0), d12, nm, data2)), atNext, ErrFormat, false},
		{"dims as double", r.file(r.matrix(fl, r.el(miDOUBLE, r.f64(1, 2)), nm, data2)), atNext, ErrFormat, false},
		{"dims of 3 bytes", r.file(r.matrix(fl, r.el(miINT32, []byte{1, 0, 0}), nm, data2)), atNext, ErrFormat, false},
		{"negative dim", r.file(r.matrix(fl, r.dims(1, -2), nm, data2)), atNext, ErrFormat, false},
		{"huge dims", r.file(r.matrix(fl, r.dims(100000, 100000), nm, data2)), atNext, ErrFormat, false},
		{"overflowing dims", r.file(r.matrix(fl, r.dims(1<<30, 1<<30, 1<<30, 1<<30), nm, data2)), atNext, ErrFormat, false},
		{"name as double", r.file(r.matrix(fl, d12, r.el(miDOUBLE, r.f64(1)), data2)), atNext, ErrFormat, false},
		{"small element of 6 bytes", r.file(r.matrix(fl, d12, r.small(miINT8, 6, []byte("x")), data2)), atNext, ErrFormat, false},
		{"element past its matrix", r.file(r.matrix(fl, d12, nm, r.elN(miDOUBLE, 400, r.f64(1, 2)))), atRead, ErrFormat, false},
		{"data as matrix", r.file(r.matrix(fl, d12, nm, r.el(miMATRIX, r.f64(1, 2)))), atRead, ErrFormat, false},
		{"data size mismatch", r.file(r.matrix(fl, d12, nm, r.el(miDOUBLE, r.f64(1, 2, 3)))), atRead, ErrFormat, false},
		{"missing data", r.file(r.matrix(fl, d12, nm)), atNext, ErrFormat, false},
		{"char as double", r.file(r.matrix(r.flags(ClassChar, 0), d12, nm, data2)), atRead, ErrFormat, false},
		{"char matrix count", r.file(r.matrix(r.flags(ClassChar, 0), r.dims(2, 2), nm, r.el(miUTF8, []byte("abc")))), atRead, ErrFormat, false},
		{"char UTF-16 odd", r.file(r.matrix(r.flags(ClassChar, 0), r.dims(1, 1), nm, r.el(miUTF16, []byte("abc")))), atRead, ErrFormat, false},
		{"cell element not matrix", r.file(r.matrix(r.flags(ClassCell, 0), r.dims(1, 1), nm, data2)), atRead, ErrFormat, false},
		{"cell element too long", r.file(r.matrix(r.flags(ClassCell, 0), r.dims(1, 1), nm, r.elN(miMATRIX, 64, zero(8)))), atRead, ErrFormat, false},
		{"field name length 0", r.file(r.matrix(r.flags(ClassStruct, 0), r.dims(1, 1), nm, r.small(miINT32, 4, r.u32(0)), r.el(miINT8, zero(8)))), atNext, ErrFormat, false},
		{"field names not a multiple", r.file(r.matrix(r.flags(ClassStruct, 0), r.dims(1, 1), nm, r.small(miINT32, 4, r.u32(4)), r.el(miINT8, []byte("abcdef")))), atNext, ErrFormat, false},
		{"struct fields past the element", r.file(r.matrix(r.flags(ClassStruct, 0), r.dims(100, 100), nm, r.small(miINT32, 4, r.u32(4)), r.el(miINT8, []byte("abcdefgh")))), atNext, ErrFormat, false},
		{"bad zlib header", r.file(r.elN(miCOMPRESSED, 8, []byte("notzlib!"))), atNext, ErrFormat, false},
		{"corrupt deflate data", r.file(r.elN(miCOMPRESSED, uint32(len(corrupt)), corrupt)), atNext, ErrFormat, false},
		{"zlib checksum", r.file(r.elN(miCOMPRESSED, uint32(len(checksum)), checksum)), atNext2, ErrFormat, false},
		{"compressed stream cut short", r.file(r.elN(miCOMPRESSED, uint32(len(badZlib.Bytes())-6), badZlib.Bytes()[:len(badZlib.Bytes())-6])), atNext2, ErrFormat, false},
		{"compressed stream cut in half", r.file(r.elN(miCOMPRESSED, uint32(len(badZlib.Bytes())/2), badZlib.Bytes()[:len(badZlib.Bytes())/2])), atNext, ErrFormat, false},
		{"compressed non-matrix", r.file(r.compressed(r.el(miDOUBLE, r.f64(1)))), atNext, ErrFormat, false},
		{"compressed trailing data", r.file(r.compressed(append(append([]byte(nil), good...), 1, 2, 3))), atNext2, ErrFormat, false},
		{"truncated uncompressed", r.file(good[:len(good)-3]), atNext, ErrFormat, true},
		{"big-endian truncated", be.file(be.double("x", 1, 2, 3)[:30]), atNext, ErrFormat, true},
		{"complex", r.file(r.matrix(r.flags(ClassDouble, 0x800), d12, nm, data2, data2)), atRead, ErrUnsupported, false},
		{"sparse", r.file(r.matrix(r.flags(ClassSparse, 0), d12, nm, r.el(miINT32, r.u32(0, 1)))), atRead, ErrUnsupported, false},
		{"object", r.file(r.matrix(r.flags(ClassObject, 0), r.dims(1, 1), nm, r.name("inline"))), atRead, ErrUnsupported, false},
		{"function handle", r.file(r.matrix(r.flags(ClassFunction, 0), r.dims(1, 1), nm)), atRead, ErrUnsupported, false},
		{"classdef object", r.file(r.matrix(r.flags(ClassOpaque, 0), nm, r.name("MCOS"))), atRead, ErrUnsupported, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, seekable := range []bool{true, false} {
				var in io.Reader = bytes.NewReader(tt.data)
				if !seekable {
					in = noSeek{in}
				}
				at, err := walkFirst(in)
				require.Error(t, err)
				t.Log(err)
				assert.ErrorIs(t, err, tt.sentinel)
				if tt.eof {
					assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
				}
				// Without the input size, truncation shows only when the
				// missing bytes are needed.
				if seekable || !tt.eof {
					assert.Equal(t, tt.at, at, "failing step")
				}
			}
		})
	}
}

// TestRecoverAfterBadVariable checks that an error inside one variable
// does not stop the reader from reaching the next one.
func TestRecoverAfterBadVariable(t *testing.T) {
	r := le
	bad := [][]byte{
		r.el(miDOUBLE, r.f64(1)),                            // not a variable
		r.matrix(r.flags(42, 0), r.dims(1, 1), r.name("x")), // unknown class
		r.matrix(r.flags(ClassDouble, 0x800), r.dims(1, 1), r.name("z"), r.el(miDOUBLE, r.f64(1)), r.el(miDOUBLE, r.f64(2))), // complex
		r.matrix(r.flags(ClassDouble, 0), r.dims(1, 2), r.name("y"), r.el(miDOUBLE, r.f64(1))),                               // size mismatch
	}
	for _, b := range bad {
		data := r.file(b, r.double("after", 7))
		mr, err := NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		a, err := mr.Next()
		if err == nil {
			_, err = a.Float64s()
		}
		require.Error(t, err)
		a, err = mr.Next()
		require.NoError(t, err)
		require.Equal(t, "after", a.Name)
		v, err := a.Float64s()
		require.NoError(t, err)
		require.Equal(t, []float64{7}, v)
	}
}

// TestErrorContext checks that errors name the path inside the variable
// and an offset.
func TestErrorContext(t *testing.T) {
	r := le
	badElem := r.matrix(r.flags(ClassDouble, 0), r.dims(1, 2), r.name(""), r.el(miDOUBLE, r.f64(1))) // 1 value for 2
	good := r.matrix(r.flags(ClassDouble, 0), r.dims(1, 1), r.name(""), r.el(miDOUBLE, r.f64(1)))
	cell := r.matrix(r.flags(ClassCell, 0), r.dims(1, 2), r.name(""), good, badElem)
	fields := append(r.small(miINT32, 4, r.u32(2)), r.el(miINT8, []byte("w\x00"))...)
	st := r.matrix(r.flags(ClassStruct, 0), r.dims(1, 2), r.name("layers"), fields, good, cell)
	for _, data := range [][]byte{r.file(st), r.file(r.compressed(st))} {
		mr, err := NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		a, err := mr.Next()
		require.NoError(t, err)
		_, err = readNode(a, useFloat64)
		require.ErrorIs(t, err, ErrFormat)
		assert.Contains(t, err.Error(), `"layers(2).w{2}"`)
		assert.Contains(t, err.Error(), "offset")
		assert.Contains(t, err.Error(), "need 16")
	}
}

func TestUsageErrors(t *testing.T) {
	m := must(t)
	num := m(NewNumeric(ClassDouble, []int{1, 2}, []float64{1, 2}))
	data := writeFile(t, WriterOptions{}, []namedValue{
		{"n", num},
		{"c", m(NewCell([]int{1, 2}, []Value{num, num}))},
		{"s", m(NewStruct([]int{1, 1}, []string{"a"}, [][]Value{{num}}))},
		{"t", NewChar("text")},
	})
	r, err := NewReader(bytes.NewReader(data))
	require.NoError(t, err)

	n, err := r.Next()
	require.NoError(t, err)
	_, err = n.Text()
	assert.ErrorIs(t, err, ErrClass)
	_, err = n.NextCell()
	assert.ErrorIs(t, err, ErrClass)
	_, _, err = n.NextField()
	assert.ErrorIs(t, err, ErrClass)
	assert.Nil(t, n.FieldNames())
	_, err = n.Float64s()
	require.NoError(t, err)
	_, err = n.Float64s()
	assert.ErrorIs(t, err, ErrConsumed, "second read")
	assert.NoError(t, n.Skip(), "Skip after reading")

	c, err := r.Next()
	require.NoError(t, err)
	_, err = n.Float32s()
	assert.ErrorIs(t, err, ErrConsumed, "previous variable")
	_, err = c.Float64s()
	assert.ErrorIs(t, err, ErrClass)
	e1, err := c.NextCell()
	require.NoError(t, err)
	e2, err := c.NextCell()
	require.NoError(t, err)
	_, err = e1.Float64s()
	assert.ErrorIs(t, err, ErrConsumed, "earlier cell element")
	assert.NoError(t, e1.Skip(), "Skip of a passed element does nothing")
	v, err := e2.Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, v)
	_, err = c.NextCell()
	assert.ErrorIs(t, err, io.EOF)
	_, err = c.NextCell()
	assert.ErrorIs(t, err, io.EOF)

	s, err := r.Next()
	require.NoError(t, err)
	_, err = s.NextCell()
	assert.ErrorIs(t, err, ErrClass)
	require.NoError(t, s.Skip())
	_, _, err = s.NextField()
	assert.ErrorIs(t, err, ErrConsumed, "after Skip")

	tx, err := r.Next()
	require.NoError(t, err)
	_, err = tx.Bools()
	assert.ErrorIs(t, err, ErrClass)
	txt, err := tx.Text()
	require.NoError(t, err)
	assert.Equal(t, "text", txt)
	_, err = r.Next()
	assert.ErrorIs(t, err, io.EOF)
	_, err = r.Next()
	assert.ErrorIs(t, err, io.EOF, "EOF is sticky")
}

// TestLyingSizesCostNoMemory feeds headers that claim gigabytes, through a
// stream whose size the reader cannot know, and checks that the failure
// allocates little.
func TestLyingSizesCostNoMemory(t *testing.T) {
	r := le
	const n = 1 << 27 // elements claimed: 1 GiB of doubles
	numeric := r.elN(miMATRIX, 0xFFFFFFF0, bytes.Join([][]byte{
		r.flags(ClassDouble, 0), r.dims(1, n), r.name("big"), r.elN(miDOUBLE, 8*n, r.f64(1, 2, 3)),
	}, nil))
	char := r.elN(miMATRIX, 0xFFFFFFF0, bytes.Join([][]byte{
		r.flags(ClassChar, 0), r.dims(1, n), r.name("big"), r.elN(miUTF8, n, []byte("abc")),
	}, nil))
	names := r.elN(miMATRIX, 0xFFFFFFF0, bytes.Join([][]byte{
		r.flags(ClassStruct, 0), r.dims(1, 1), r.name("big"), r.small(miINT32, 4, r.u32(32)), r.elN(miINT8, 16*n, []byte("abc")),
	}, nil))
	inner := bytes.Join([][]byte{r.flags(ClassDouble, 0), r.dims(1, n), r.name("big"), r.elN(miDOUBLE, 8*n, r.f64(1, 2, 3))}, nil)
	compressed := r.compressed(append(r.elN(miMATRIX, 0xFFFFFFF0, nil), inner...))
	for name, v := range map[string][]byte{"numeric": numeric, "char": char, "field names": names, "compressed": compressed} {
		t.Run(name, func(t *testing.T) {
			data := r.file(v)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := walkFirst(noSeek{bytes.NewReader(data)})
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrFormat)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20))

			_, err = walkFirst(bytes.NewReader(data)) // input size known: caught at Next
			require.ErrorIs(t, err, ErrFormat)
		})
	}
}

// TestTruncatedEverywhere cuts fixtures at every length: reading must fail
// with ErrFormat and io.ErrUnexpectedEOF, except at a variable boundary,
// where the variables before it read correctly.
func TestTruncatedEverywhere(t *testing.T) {
	for _, f := range []string{"nested_le.mat", "nested_be_z.mat", "matconvnet_le_z.mat", "basic_be.mat", "go_written_le.mat"} {
		full, err := os.ReadFile(filepath.Join("testdata", f))
		require.NoError(t, err)
		want, err := readAll(bytes.NewReader(full), useFloat64)
		require.NoError(t, err)
		bounds := varBoundaries(t, full)
		for n := 0; n < len(full); n++ {
			for _, in := range []io.Reader{bytes.NewReader(full[:n]), noSeek{bytes.NewReader(full[:n])}} {
				got, err := readAll(in, useFloat64)
				if k, ok := bounds[n]; ok {
					require.NoError(t, err, "%s cut at %d (a boundary)", f, n)
					require.Len(t, got, k)
					continue
				}
				require.Error(t, err, "%s cut at %d", f, n)
				require.Truef(t, errors.Is(err, ErrFormat) && errors.Is(err, io.ErrUnexpectedEOF), "%s cut at %d: %v", f, n, err)
				require.LessOrEqual(t, len(got), len(want))
			}
		}
	}
}

// varBoundaries maps the offsets where variables end to the number of
// variables before them.
func varBoundaries(t *testing.T, data []byte) map[int]int {
	bo := binary.ByteOrder(binary.LittleEndian)
	if string(data[126:128]) == "MI" {
		bo = binary.BigEndian
	}
	m := map[int]int{}
	pos, k := headerSize, 0
	for {
		m[pos] = k
		if pos == len(data) {
			return m
		}
		require.LessOrEqual(t, pos+8, len(data))
		pos += 8 + int(bo.Uint32(data[pos+4:]))
		k++
	}
}
