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

const (
	headerSize = 128
	// readBufSize is the size of the input buffer and of the scratch buffer
	// used to decode numeric data in chunks.
	readBufSize = 64 << 10
	// maxNameLen bounds variable, field-name and object-class-name elements.
	maxNameLen = 1<<16 - 1
	// maxDims bounds the number of dimensions of an array.
	maxDims = 1024
	// untrustedInitial is the largest allocation, in bytes, made up front
	// for data whose size has not been checked against the input size: the
	// buffer grows only as data actually arrives.
	untrustedInitial = 1 << 20
)

var hdf5Signature = []byte("\x89HDF\r\n\x1a\n")

// Reader reads the variables of a Level-5 MAT-file one after the other.
//
// A Reader and the Arrays it returns share one position in the input and
// are not safe for concurrent use; use them from one goroutine (different
// Readers are independent).
type Reader struct {
	br      *bufio.Reader
	bo      binary.ByteOrder
	desc    string
	off     int64 // input offset (from where NewReader started) of the next byte br delivers
	size    int64 // input size from where NewReader started, or -1 if unknown
	cur     *source
	zr      io.ReadCloser
	err     error // sticky: io.EOF, or a failure of the input itself
	scratch []byte
	// truncated is set once the input ended inside an element.
	truncated bool
}

// NewReader reads and checks the 128-byte header of a Level-5 MAT-file and
// returns a Reader positioned before the first variable. Both byte orders
// are accepted ("IM": little-endian, "MI": big-endian). A MATLAB v7.3 file
// (HDF5) gives an error wrapping ErrHDF5; anything else that is not a
// Level-5 header gives ErrFormat.
//
// If r is also an io.Seeker (an *os.File, a *bytes.Reader), NewReader
// measures the input size by seeking to the end and back, so that a
// variable that claims more bytes than the input holds is reported at once
// and data sizes can be trusted for allocation. Otherwise the sizes the
// file claims are checked against the enclosing elements only, and buffers
// grow as data arrives, so a lying size costs no memory.
//
// The Reader buffers its input; it may read past the end of the MAT data
// if other data follows in r.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{size: -1}
	if sk, ok := r.(io.Seeker); ok {
		if cur, err := sk.Seek(0, io.SeekCurrent); err == nil {
			if end, err := sk.Seek(0, io.SeekEnd); err == nil {
				if _, err := sk.Seek(cur, io.SeekStart); err != nil {
					return nil, fmt.Errorf("matfile: restoring the input position: %w", err)
				}
				if end >= cur {
					rd.size = end - cur
				}
			}
		}
	}
	bufSize := readBufSize
	if rd.size >= 0 && rd.size < readBufSize {
		bufSize = max(int(rd.size), 16)
	}
	rd.br = bufio.NewReaderSize(r, bufSize)
	var h [headerSize]byte
	n, err := io.ReadFull(rd.br, h[:])
	rd.off = int64(n)
	if n >= len(hdf5Signature) && bytes.Equal(h[:len(hdf5Signature)], hdf5Signature) {
		return nil, ErrHDF5
	}
	if n >= 4 && (h[0] == 0 || h[1] == 0 || h[2] == 0 || h[3] == 0) {
		// A Level-5 file starts with text; a v4 file with a small integer.
		return nil, formatErr(false, "header", "not a Level-5 MAT-file (it looks like a MATLAB v4 file, which is not supported; re-save it in MATLAB with `save -v7`)")
	}
	if err != nil {
		if n == 0 && err == io.EOF {
			return nil, formatErr(true, "", "empty input, want a 128-byte MAT-file header")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, formatErr(true, "", "input ends after %d bytes, inside the 128-byte MAT-file header", n)
		}
		return nil, fmt.Errorf("matfile: reading the header: %w", err)
	}
	switch string(h[126:128]) {
	case "IM":
		rd.bo = binary.LittleEndian
	case "MI":
		rd.bo = binary.BigEndian
	default:
		if strings.HasPrefix(string(h[:]), "MATLAB 7.3") {
			return nil, ErrHDF5
		}
		return nil, formatErr(false, "header", "endian indicator %q, want \"IM\" or \"MI\" (not a Level-5 MAT-file; MATLAB v4 files are not supported)", h[126:128])
	}
	switch v := rd.bo.Uint16(h[124:126]); v {
	case 0x0100:
	case 0x0200:
		return nil, ErrHDF5
	default:
		return nil, formatErr(false, "header", "version 0x%04x, want 0x0100", v)
	}
	rd.desc = strings.TrimRight(string(h[:116]), " \x00")
	return rd, nil
}

// Description returns the descriptive text at the start of the header
// ("MATLAB 5.0 MAT-file, Platform: ..."), without trailing padding.
func (r *Reader) Description() string { return r.desc }

// ByteOrder returns the byte order of the file: binary.LittleEndian for
// "IM" files, binary.BigEndian for "MI" files.
func (r *Reader) ByteOrder() binary.ByteOrder { return r.bo }

// Next returns the next top-level variable, or io.EOF after the last one.
// Whatever the caller did not read of the previous variable is skipped
// first, by discarding input (a compressed variable is skipped without
// decompressing it); nothing is allocated for it. Arrays of the previous
// variable can no longer be read (ErrConsumed).
//
// An error inside one variable (ErrFormat, ErrUnsupported) does not stop
// the Reader: the next call to Next moves on to the following variable,
// whose position is known from the enclosing tag. A failure of the input
// itself (truncation, a read error) is returned again by every later call.
func (r *Reader) Next() (*Array, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.finish(true); err != nil {
		return nil, err
	}
	start := r.off
	var b [8]byte
	n, err := io.ReadFull(r.br, b[:])
	r.off += int64(n)
	if err != nil {
		switch {
		case n == 0 && err == io.EOF:
			r.err = io.EOF
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.truncated = true
			r.err = formatErr(true, fmt.Sprintf("variable at input offset %d", start), "input ends inside the element tag (truncated file?)")
		default:
			r.err = fmt.Errorf("matfile: reading input at offset %d: %w", start, err)
		}
		return nil, r.err
	}
	where := fmt.Sprintf("variable at input offset %d", start)
	w := r.bo.Uint32(b[:4])
	if w>>16 != 0 {
		// A small data element cannot be a variable; its size says nothing
		// useful about where the next variable starts either.
		r.err = formatErr(false, where, "top-level element has a small-element tag (0x%08x)", w)
		return nil, r.err
	}
	typ, nb := miType(w), int64(r.bo.Uint32(b[4:]))
	if r.size >= 0 && nb > r.size-r.off {
		r.truncated = true
		r.err = formatErr(true, where, "%s element claims %d bytes, the input has %d left (truncated file?)", typ, nb, r.size-r.off)
		return nil, r.err
	}
	sec := &section{rd: r, n: nb}
	s := &source{rd: r, sec: sec, in: sec, base: start}
	r.cur = s
	switch typ {
	case miMATRIX:
		s.trusted = r.size >= 0
		return s.openMatrix(nb, "", true)
	case miCOMPRESSED:
		s.zlib = true
		if r.zr == nil {
			r.zr, err = zlib.NewReader(sec)
		} else {
			err = r.zr.(zlib.Resetter).Reset(sec, nil)
		}
		if err != nil {
			return nil, s.fail(s.readErr(err, ""))
		}
		s.in = r.zr
		t, err := s.readTag(math.MaxInt64, "")
		if err != nil {
			return nil, err
		}
		if t.typ != miMATRIX || t.small {
			return nil, s.fail(formatErr(false, s.where("", t.at), "compressed data holds a %s element, want miMATRIX", t.typ))
		}
		return s.openMatrix(s.pos+t.n, "", true)
	default:
		return nil, s.fail(formatErr(false, where, "top-level element of type %s, want miMATRIX or miCOMPRESSED", typ))
	}
}

// scratchFor returns the buffer used to decode numeric data in chunks,
// grown to hold n bytes but at most readBufSize.
func (r *Reader) scratchFor(n int64) []byte {
	want := int(min(n, readBufSize)+7) &^ 7
	if len(r.scratch) < want {
		r.scratch = make([]byte, want)
	}
	return r.scratch
}

// finish discards what is left of the current variable. With verify set,
// a compressed variable that was read to its end is checked to end there
// with a correct zlib checksum; a failure is returned, but the Reader can
// go on to the next variable.
func (r *Reader) finish(verify bool) error {
	s := r.cur
	if s == nil {
		return nil
	}
	var verr error
	if verify && s.zlib && s.err == nil && s.top != nil && s.pos == s.top.end {
		var b [1]byte
		n, err := io.ReadFull(s.in, b[:])
		switch {
		case n > 0:
			verr = formatErr(false, s.where(s.top.path, s.pos), "compressed data continue after the end of the variable")
		case err != io.EOF:
			verr = s.readErr(err, s.top.path)
		}
	}
	r.cur = nil
	s.closed = true
	if s.sec.n > 0 {
		if err := s.sec.discard(s.sec.n); err != nil {
			r.err = r.inputErr(err, fmt.Sprintf("variable at input offset %d", s.base))
			return r.err
		}
	}
	return verr
}

// inputErr converts an error from the raw input.
func (r *Reader) inputErr(err error, where string) error {
	if r.truncated || errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		r.truncated = true
		return formatErr(true, where, "input ends early (truncated file?)")
	}
	return fmt.Errorf("matfile: %s: reading input: %w", where, err)
}

// section reads the raw bytes of one top-level element from the Reader's
// buffered input. It turns an early end of the input into
// io.ErrUnexpectedEOF and implements io.ByteReader so that the zlib
// decoder reads no further than it must.
type section struct {
	rd *Reader
	n  int64 // bytes of the element not read yet
}

func (s *section) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	n, err := s.rd.br.Read(p)
	s.n -= int64(n)
	s.rd.off += int64(n)
	if err == io.EOF {
		s.rd.truncated = true
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *section) ReadByte() (byte, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	c, err := s.rd.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			s.rd.truncated = true
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	s.n--
	s.rd.off++
	return c, nil
}

// discard skips n bytes (n <= s.n) without allocating.
func (s *section) discard(n int64) error {
	for n > 0 {
		k, err := s.rd.br.Discard(int(min(n, 1<<30)))
		s.n -= int64(k)
		s.rd.off += int64(k)
		n -= int64(k)
		if err != nil {
			if err == io.EOF {
				s.rd.truncated = true
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}
