package matfile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"os"
	"testing"
)

// FuzzReader walks arbitrary bytes as a MAT-file: every variable, cell
// element and struct field, reading numbers, text and booleans and leaving
// some values unread so that they are skipped. Nothing may panic or hang,
// every error must wrap one of the package's sentinels, and data must
// match the dimensions.
func FuzzReader(f *testing.F) {
	for _, p := range fixtureFiles(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	r := le
	nm := r.name("x")
	d12 := r.dims(1, 2)
	data2 := r.el(miDOUBLE, r.f64(1, 2))
	for _, v := range [][]byte{
		r.matrix(r.flags(ClassDouble, 0x800), d12, nm, data2, data2),
		r.matrix(r.flags(ClassSparse, 0), d12, nm, r.el(miINT32, r.u32(0, 1))),
		r.matrix(r.flags(ClassObject, 0), r.dims(1, 1), nm, r.name("inline")),
		r.matrix(r.flags(ClassOpaque, 0), nm, r.name("MCOS")),
		r.matrix(r.flags(ClassChar, 0), r.dims(2, 2), nm, r.el(miUINT16, r.u32(0x00620061, 0x00640063))),
		r.compressed(r.matrix(r.flags(ClassCell, 0), r.dims(1, 2), nm, r.matrix(), r.double("", 3))),
		r.elN(miMATRIX, 0xFFFFFFF0, bytes.Join([][]byte{r.flags(ClassDouble, 0), r.dims(1, 1<<27), nm, r.elN(miDOUBLE, 8<<27, r.f64(1))}, nil)),
	} {
		f.Add(r.file(v, r.double("after", 1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzWalk(t, bytes.NewReader(data))
		fuzzWalk(t, noSeek{bytes.NewReader(data)})
		// Mutated bytes rarely form valid zlib data, so the variables are
		// also walked compressed: what follows the header becomes the
		// content of one miCOMPRESSED element.
		if len(data) > headerSize {
			fuzzWalk(t, bytes.NewReader(compressBody(data)))
		}
	})
}

var fuzzZlib = zlib.NewWriter(io.Discard)

// compressBody returns data with everything after the header compressed
// into one miCOMPRESSED element, in the byte order the header declares.
func compressBody(data []byte) []byte {
	var z bytes.Buffer
	fuzzZlib.Reset(&z)
	fuzzZlib.Write(data[headerSize:])
	fuzzZlib.Close()
	bo := binary.ByteOrder(binary.LittleEndian)
	if string(data[126:128]) == "MI" {
		bo = binary.BigEndian
	}
	out := make([]byte, headerSize+8, headerSize+8+z.Len())
	copy(out, data[:headerSize])
	bo.PutUint32(out[headerSize:], uint32(miCOMPRESSED))
	bo.PutUint32(out[headerSize+4:], uint32(z.Len()))
	return append(out, z.Bytes()...)
}

func fuzzWalk(t *testing.T, in io.Reader) {
	r, err := NewReader(in)
	if err != nil {
		checkFuzzErr(t, err)
		return
	}
	for errs := 0; errs < 8; {
		a, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			checkFuzzErr(t, err)
			errs++
			continue
		}
		if err := fuzzArray(t, a, 0); err != nil {
			checkFuzzErr(t, err)
		}
	}
}

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	if !isPackageError(err) {
		t.Fatalf("error wraps no sentinel: %v", err)
	}
}

func fuzzArray(t *testing.T, a *Array, depth int) error {
	_ = a.Class.String()
	if depth > 32 {
		return a.Skip()
	}
	switch a.Class {
	case ClassCell:
		for i := 0; ; i++ {
			c, err := a.NextCell()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if c.Name != "" {
				t.Fatalf("cell element named %q", c.Name)
			}
			switch i % 4 {
			case 2: // left unread: skipped by the next call
			case 3:
				if err := c.Skip(); err != nil {
					return err
				}
			default:
				if err := fuzzArray(t, c, depth+1); err != nil {
					return err
				}
			}
		}
	case ClassStruct:
		fields := a.FieldNames()
		for i := 0; ; i++ {
			f, v, err := a.NextField()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if f != fields[i%len(fields)] || v.Name != f {
				t.Fatalf("field %d is %q (Name %q), want %q", i, f, v.Name, fields[i%len(fields)])
			}
			if err := fuzzArray(t, v, depth+1); err != nil {
				return err
			}
		}
	case ClassChar:
		_, err := a.Text()
		return err
	}
	var n int
	var err error
	switch a.Numel() % 3 {
	case 0:
		var v []float64
		v, err = a.Float64s()
		n = len(v)
	case 1:
		var v []float32
		v, err = a.Float32s()
		n = len(v)
	default:
		var v []bool
		v, err = a.Bools()
		n = len(v)
	}
	if err == nil && n != a.Numel() {
		t.Fatalf("%d values for dimensions %v", n, a.Dims)
	}
	return err
}
