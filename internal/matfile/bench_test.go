package matfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// benchFile is a file with a 1x1 cell holding a 16 MiB single array of
// random values (incompressible, like trained weights).
func benchFile(b *testing.B, compress bool) []byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, 4<<20)
	for i := range v {
		v[i] = rng.Float32()
	}
	x, err := NewNumeric(ClassSingle, []int{1024, 4096}, v)
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCell([]int{1, 1}, []Value{x})
	if err != nil {
		b.Fatal(err)
	}
	return writeFile(b, WriterOptions{Compress: compress}, []namedValue{{"w", c}})
}

func benchRead(b *testing.B, compress, skip bool) {
	data := benchFile(b, compress)
	b.SetBytes(4 << 22)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		a, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		c, err := a.NextCell()
		if err != nil {
			b.Fatal(err)
		}
		if skip {
			err = c.Skip() // decompressed and discarded
		} else {
			_, err = c.Float32s()
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Next(); err != io.EOF {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloat32s(b *testing.B)           { benchRead(b, false, false) }
func BenchmarkFloat32sCompressed(b *testing.B) { benchRead(b, true, false) }
func BenchmarkSkipCompressed(b *testing.B)     { benchRead(b, true, true) }

func BenchmarkWriteVar(b *testing.B) {
	v := make([]float32, 4<<20)
	x, err := NewNumeric(ClassSingle, []int{1024, 4096}, v)
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewWriter(io.Discard, WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 << 22)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteVar("w", x); err != nil {
			b.Fatal(err)
		}
	}
}
