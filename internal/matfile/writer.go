package matfile

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// WriterOptions configure a Writer. The zero value writes uncompressed
// little-endian files.
type WriterOptions struct {
	// Compress stores every variable as a zlib-compressed miCOMPRESSED
	// element, as MATLAB's default `save` and scipy's savemat(...,
	// do_compression=True) do. Default false.
	Compress bool
	// ByteOrder is binary.LittleEndian or binary.BigEndian; nil means
	// little-endian.
	ByteOrder binary.ByteOrder
}

// headerText is the descriptive text of files written by Writer; it has no
// date so that output is reproducible.
const headerText = "MATLAB 5.0 MAT-file, Platform: Go, Created by: github.com/neuralstyle/neuralstyle/internal/matfile"

// Writer writes a Level-5 MAT-file that MATLAB and scipy.io.loadmat read,
// one variable per WriteVar call, with the same layout as
// scipy.io.savemat (small data elements for up to 4 bytes, 8-byte
// padding, no padding after compressed elements). Output is
// deterministic. It is meant for tests, fixtures and benchmarks. A Writer
// is not safe for concurrent use.
type Writer struct {
	w        io.Writer
	bo       binary.ByteOrder
	compress bool
	bw       *bufio.Writer
	zw       *zlib.Writer
	zbuf     bytes.Buffer
	enc      encoder
	err      error
}

// NewWriter writes the 128-byte file header to w and returns a Writer.
// Each WriteVar writes its variable completely before returning, so there
// is nothing to flush or close.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	bo := opts.ByteOrder
	if bo == nil {
		bo = binary.LittleEndian
	}
	if bo != binary.ByteOrder(binary.LittleEndian) && bo != binary.ByteOrder(binary.BigEndian) {
		return nil, fmt.Errorf("matfile: NewWriter: byte order %v, want binary.LittleEndian or binary.BigEndian", bo)
	}
	var h [headerSize]byte
	copy(h[:116], headerText+strings.Repeat(" ", 116-len(headerText)))
	bo.PutUint16(h[124:], 0x0100)
	bo.PutUint16(h[126:], 'M'<<8|'I')
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("matfile: writing the header: %w", err)
	}
	wr := &Writer{w: w, bo: bo, compress: opts.Compress, bw: bufio.NewWriterSize(nil, readBufSize)}
	wr.enc = encoder{w: wr.bw, bo: bo, scratch: make([]byte, readBufSize)}
	return wr, nil
}

// WriteVar writes v as the top-level variable name (non-empty, no NUL).
// An invalid name or a variable over the format's 4 GiB limit is reported
// before anything is written; after a write error every later call
// returns that error.
//
// With Compress set, the compressed bytes are buffered in memory to learn
// their length before the element tag is written, unless the destination
// is an io.WriteSeeker (an *os.File not opened with O_APPEND), in which
// case they are streamed and the tag is patched afterwards.
func (w *Writer) WriteVar(name string, v Value) error {
	if w.err != nil {
		return w.err
	}
	if name == "" || len(name) > maxNameLen || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("matfile: WriteVar: variable name %q: want 1 to %d bytes without NUL", name, maxNameLen)
	}
	if v == nil {
		return fmt.Errorf("matfile: WriteVar %q: nil value", name)
	}
	size := contentSize(name, v)
	if size > math.MaxUint32 {
		return fmt.Errorf("matfile: WriteVar %q: %d bytes, over the 4 GiB limit of a Level-5 MAT-file", name, size)
	}
	var err error
	switch {
	case !w.compress:
		w.bw.Reset(w.w)
		w.enc.matrix(name, v)
		err = w.bw.Flush()
	default:
		err = w.writeCompressed(name, v)
	}
	if err != nil {
		w.err = fmt.Errorf("matfile: WriteVar %q: %w", name, err)
	}
	return w.err
}

func (w *Writer) writeCompressed(name string, v Value) error {
	var tag [8]byte
	w.bo.PutUint32(tag[:4], uint32(miCOMPRESSED))
	compress := func(dst io.Writer) error {
		if w.zw == nil {
			w.zw = zlib.NewWriter(dst)
		} else {
			w.zw.Reset(dst)
		}
		w.bw.Reset(w.zw)
		w.enc.matrix(name, v)
		if err := w.bw.Flush(); err != nil {
			return err
		}
		return w.zw.Close()
	}
	if ws, ok := w.w.(io.WriteSeeker); ok {
		start, err := ws.Seek(0, io.SeekCurrent)
		if err == nil {
			if _, err := ws.Write(tag[:]); err != nil {
				return err
			}
			cw := &countWriter{w: ws}
			if err := compress(cw); err != nil {
				return err
			}
			if cw.n > math.MaxUint32 {
				return errors.New("compressed data over the 4 GiB limit of a Level-5 MAT-file")
			}
			w.bo.PutUint32(tag[4:], uint32(cw.n))
			if _, err := ws.Seek(start, io.SeekStart); err != nil {
				return err
			}
			if _, err := ws.Write(tag[:]); err != nil {
				return err
			}
			_, err := ws.Seek(start+8+cw.n, io.SeekStart)
			return err
		}
	}
	w.zbuf.Reset()
	if err := compress(&w.zbuf); err != nil {
		return err
	}
	if w.zbuf.Len() > math.MaxUint32 {
		return errors.New("compressed data over the 4 GiB limit of a Level-5 MAT-file")
	}
	w.bo.PutUint32(tag[4:], uint32(w.zbuf.Len()))
	if _, err := w.w.Write(tag[:]); err != nil {
		return err
	}
	_, err := w.zbuf.WriteTo(w.w)
	w.zbuf.Reset()
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes data elements. Write errors are sticky in the
// bufio.Writer and reported by its Flush.
type encoder struct {
	w       *bufio.Writer
	bo      binary.ByteOrder
	scratch []byte
}

func (e *encoder) tag(typ miType, n int64) {
	var b [8]byte
	e.bo.PutUint32(b[:4], uint32(typ))
	e.bo.PutUint32(b[4:], uint32(n))
	e.w.Write(b[:])
}

var zeros [8]byte

func (e *encoder) pad(n int64) {
	if p := (8 - n%8) % 8; p > 0 {
		e.w.Write(zeros[:p])
	}
}

// element writes a data element, in the small format when it fits.
func (e *encoder) element(typ miType, data []byte) {
	if len(data) <= 4 {
		var b [8]byte
		e.bo.PutUint32(b[:4], uint32(len(data))<<16|uint32(typ))
		copy(b[4:], data)
		e.w.Write(b[:])
		return
	}
	e.tag(typ, int64(len(data)))
	e.w.Write(data)
	e.pad(int64(len(data)))
}

// matrix writes the miMATRIX element of v, tag included.
func (e *encoder) matrix(name string, v Value) {
	e.tag(miMATRIX, contentSize(name, v))
	if v == nil {
		return
	}
	flags, dims := v.flags()
	e.tag(miUINT32, 8)
	var b [8]byte
	e.bo.PutUint32(b[:4], flags)
	e.w.Write(b[:])
	d := make([]int32, len(dims))
	for i, x := range dims {
		d[i] = int32(x)
	}
	e.numeric(miINT32, d, len(d))
	e.element(miINT8, []byte(name))
	v.writeBody(e)
}

// numeric writes a data element of n values from the slice data, encoded
// in chunks.
func (e *encoder) numeric(typ miType, data any, n int) {
	size := typ.numSize()
	total := int64(n) * int64(size)
	if total <= 4 {
		var b [4]byte
		encodeSlice(b[:], data, 0, n, e.bo)
		e.element(typ, b[:total])
		return
	}
	e.tag(typ, total)
	per := len(e.scratch) / size
	for i := 0; i < n; i += per {
		j := min(i+per, n)
		encodeSlice(e.scratch, data, i, j, e.bo)
		e.w.Write(e.scratch[:(j-i)*size])
	}
	e.pad(total)
}

// encodeSlice encodes data[i:j] into b.
func encodeSlice(b []byte, data any, i, j int, bo binary.ByteOrder) {
	switch d := data.(type) {
	case []float64:
		for k, v := range d[i:j] {
			bo.PutUint64(b[8*k:], math.Float64bits(v))
		}
	case []float32:
		for k, v := range d[i:j] {
			bo.PutUint32(b[4*k:], math.Float32bits(v))
		}
	case []int8:
		for k, v := range d[i:j] {
			b[k] = byte(v)
		}
	case []uint8:
		copy(b, d[i:j])
	case []int16:
		for k, v := range d[i:j] {
			bo.PutUint16(b[2*k:], uint16(v))
		}
	case []uint16:
		for k, v := range d[i:j] {
			bo.PutUint16(b[2*k:], v)
		}
	case []int32:
		for k, v := range d[i:j] {
			bo.PutUint32(b[4*k:], uint32(v))
		}
	case []uint32:
		for k, v := range d[i:j] {
			bo.PutUint32(b[4*k:], v)
		}
	case []int64:
		for k, v := range d[i:j] {
			bo.PutUint64(b[8*k:], uint64(v))
		}
	case []uint64:
		for k, v := range d[i:j] {
			bo.PutUint64(b[8*k:], v)
		}
	}
}
