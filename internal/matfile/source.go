package matfile

import (
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// source is the byte stream of one top-level variable: the raw bytes of an
// miMATRIX element, or the decompressed bytes of an miCOMPRESSED one. pos
// counts the bytes consumed from it; every Array of the variable records
// positions in these coordinates.
type source struct {
	rd      *Reader
	sec     *section
	in      io.Reader // sec, or the zlib reader over it
	zlib    bool
	trusted bool  // sizes were checked against the known input size
	base    int64 // input offset of the variable's tag
	pos     int64
	closed  bool  // the Reader moved on to another variable
	err     error // sticky: the variable cannot be read further
	top     *Array
}

// tag is a decoded data element tag.
type tag struct {
	typ   miType
	n     int64 // number of data bytes
	small bool  // data packed in the tag
	data  [4]byte
	at    int64 // position of the tag
}

// where describes a position for error messages.
func (s *source) where(path string, pos int64) string {
	p := "variable"
	if path != "" {
		p = fmt.Sprintf("%q", path)
	}
	if s.zlib {
		return fmt.Sprintf("%s at offset %d of the compressed variable at input offset %d", p, pos, s.base)
	}
	return fmt.Sprintf("%s at input offset %d", p, s.base+8+pos)
}

func (s *source) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}

// errf records and returns a format error at pos.
func (s *source) errf(path string, pos int64, format string, args ...any) error {
	return s.fail(formatErr(false, s.where(path, pos), format, args...))
}

// readErr converts an error from reading s.in.
func (s *source) readErr(err error, path string) error {
	where := s.where(path, s.pos)
	var corrupt flate.CorruptInputError
	switch {
	case s.rd.truncated:
		return formatErr(true, where, "input ends early (truncated file?)")
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		if s.zlib {
			return formatErr(false, where, "compressed data ends before the variable does")
		}
		return formatErr(true, where, "input ends early (truncated file?)")
	case errors.As(err, &corrupt), errors.Is(err, zlib.ErrHeader), errors.Is(err, zlib.ErrChecksum), errors.Is(err, zlib.ErrDictionary):
		return formatErr(false, where, "corrupt compressed data: %v", err)
	}
	return fmt.Errorf("matfile: %s: reading input: %w", where, err)
}

func (s *source) readFull(p []byte, path string) error {
	n, err := io.ReadFull(s.in, p)
	s.pos += int64(n)
	if err != nil {
		return s.fail(s.readErr(err, path))
	}
	return nil
}

// discard skips n bytes of the stream without allocating.
func (s *source) discard(n int64, path string) error {
	if n <= 0 {
		return nil
	}
	if !s.zlib {
		err := s.sec.discard(n)
		s.pos += n
		if err != nil {
			return s.fail(s.readErr(err, path))
		}
		return nil
	}
	m, err := io.CopyN(io.Discard, s.in, n)
	s.pos += m
	if err != nil {
		return s.fail(s.readErr(err, path))
	}
	return nil
}

// readTag reads the tag of a data element that must end by limit.
func (s *source) readTag(limit int64, path string) (tag, error) {
	t := tag{at: s.pos}
	if left := limit - s.pos; left < 8 {
		return t, s.errf(path, s.pos, "element tag needs 8 bytes, %d left in the enclosing element", left)
	}
	var b [8]byte
	if err := s.readFull(b[:], path); err != nil {
		return t, err
	}
	bo := s.rd.bo
	w := bo.Uint32(b[:4])
	if w>>16 != 0 {
		t.typ, t.n, t.small = miType(w&0xffff), int64(w>>16), true
		if t.n > 4 {
			return t, s.errf(path, t.at, "small %s element claims %d bytes, at most 4 fit in its tag", t.typ, t.n)
		}
		copy(t.data[:], b[4:])
		return t, nil
	}
	t.typ, t.n = miType(w), int64(bo.Uint32(b[4:]))
	if left := limit - s.pos; t.n > left {
		return t, s.errf(path, t.at, "%s element claims %d bytes, %d left in the enclosing element", t.typ, t.n, left)
	}
	return t, nil
}

// skipPad skips the padding after the data of t, up to limit.
func (s *source) skipPad(t tag, limit int64, path string) error {
	if t.small {
		return nil
	}
	p := (8 - t.n%8) % 8
	if left := limit - s.pos; p > left {
		p = left
	}
	return s.discard(p, path)
}

// readData reads the data bytes of t (at most max bytes) and the padding
// after them.
func (s *source) readData(t tag, limit, max int64, path, what string) ([]byte, error) {
	if t.small {
		return append([]byte(nil), t.data[:t.n]...), nil
	}
	if t.n > max {
		return nil, s.errf(path, t.at, "%s element of %d bytes, at most %d allowed", what, t.n, max)
	}
	b, err := s.readGrow(t.n, path)
	if err != nil {
		return nil, err
	}
	return b, s.skipPad(t, limit, path)
}

// readGrow reads n bytes into a new slice. Unless the size was checked
// against the input, the slice starts small and grows as data arrives.
func (s *source) readGrow(n int64, path string) ([]byte, error) {
	c := n
	if !s.trusted {
		c = min(c, untrustedInitial)
	}
	buf := make([]byte, 0, c)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(2*int64(cap(buf)), n))
			copy(nb, buf)
			buf = nb
		}
		k := cap(buf) - len(buf)
		if err := s.readFull(buf[len(buf):len(buf)+k], path); err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+k]
	}
	return buf, nil
}
