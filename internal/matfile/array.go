package matfile

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Array is one MATLAB array: a top-level variable, a cell element or a
// struct field value. The exported fields describe its header, which is
// read when the Array is returned; its contents are read on demand, once,
// by exactly one of the accessors (Float32s, Float64s, Bools, Text,
// NextCell, NextField) or discarded by Skip.
//
// An Array shares its Reader's position in the input: it can be read only
// until the Reader, or an enclosing Array, moves past it (then its methods
// return ErrConsumed). It is not safe for concurrent use.
type Array struct {
	// Name is the variable name for a top-level variable, the field name
	// for a struct field value, and "" for a cell element.
	Name string
	// Class is the array class stored in the file. Logical arrays have
	// class uint8 (or double) and Logical set.
	Class Class
	// Dims are the dimensions as stored (MATLAB order, column-major data;
	// at least two for arrays MATLAB writes). An empty element (an
	// miMATRIX of zero bytes, as MATLAB writes for empty cell elements)
	// reads as a 0x0 double.
	Dims []int
	// Logical is set for logical (boolean) arrays.
	Logical bool
	// Complex is set for arrays with an imaginary part; their contents
	// cannot be read (ErrUnsupported).
	Complex bool

	src       *source
	path      string // "layers{3}.weights{1}", for messages
	top       bool
	end       int64 // stream position where the array's element ends
	pos       int64 // stream position of the array's cursor
	childEnd  int64 // end (with padding) of the element last returned by NextCell/NextField
	numel     int
	consumed  bool // contents read by an accessor or skipped
	idx       int  // elements (cells) or field values (structs) returned so far
	fields    []string
	className string // object class name
}

// openMatrix reads the header of an miMATRIX element whose contents run
// from s.pos to end.
func (s *source) openMatrix(end int64, path string, top bool) (*Array, error) {
	a := &Array{src: s, path: path, top: top, end: end}
	if top {
		s.top = a
	}
	if s.pos == end {
		a.Class, a.Dims, a.pos = ClassDouble, []int{0, 0}, end
		return a, nil
	}
	bo := s.rd.bo

	// Array flags.
	t, err := s.readTag(end, path)
	if err != nil {
		return nil, err
	}
	if t.typ != miUINT32 || t.small || t.n != 8 {
		return nil, s.errf(path, t.at, "array flags are a %s element of %d bytes, want miUINT32 of 8 bytes", t.typ, t.n)
	}
	var fb [8]byte
	if err := s.readFull(fb[:], path); err != nil {
		return nil, err
	}
	flags := bo.Uint32(fb[:4])
	a.Class = Class(flags & 0xff)
	a.Complex = flags&0x800 != 0
	a.Logical = flags&0x200 != 0
	if !a.Class.known() {
		return nil, s.errf(path, t.at, "unknown array class %d", flags&0xff)
	}
	if a.Class == ClassOpaque {
		// Classdef objects have no dimensions; the name comes next.
		if err := a.readName(end); err != nil {
			return nil, err
		}
		a.pos = s.pos
		return a, nil
	}

	// Dimensions.
	t, err = s.readTag(end, path)
	if err != nil {
		return nil, err
	}
	if (t.typ != miINT32 && t.typ != miUINT32) || t.n == 0 || t.n%4 != 0 {
		return nil, s.errf(path, t.at, "dimensions are a %s element of %d bytes, want miINT32 with 4 bytes per dimension", t.typ, t.n)
	}
	raw, err := s.readData(t, end, 4*maxDims, path, "dimensions")
	if err != nil {
		return nil, err
	}
	a.Dims = make([]int, len(raw)/4)
	zero := false
	for i := range a.Dims {
		d := int32(bo.Uint32(raw[4*i:]))
		if d < 0 {
			return nil, s.errf(path, t.at, "negative dimension in %v", int32s(raw, bo))
		}
		a.Dims[i] = int(d)
		zero = zero || d == 0
	}

	// Name.
	if err := a.readName(end); err != nil {
		return nil, err
	}

	// Number of elements, bounded by what the element can hold.
	hasData := a.Class != ClassSparse && a.Class != ClassFunction && a.Class != ClassObject
	if !zero {
		n := int64(1)
		for _, d := range a.Dims {
			if n > math.MaxInt64/int64(d) {
				n = math.MaxInt64
				break
			}
			n *= int64(d)
		}
		if hasData {
			per := int64(1) // the fewest bytes one element can take
			if a.Class == ClassCell || a.Class == ClassStruct {
				per = 8 // a tag
			}
			if left := end - s.pos; n > left/per {
				claim := strconv.FormatInt(n, 10)
				if n == math.MaxInt64 {
					claim = "over 2^63"
				}
				return nil, s.errf(path, t.at, "dimensions %v claim %s elements, but only %d bytes are left in the element", a.Dims, claim, left)
			}
		}
		a.numel = int(min(n, math.MaxInt))
	}

	switch a.Class {
	case ClassStruct:
		if err := a.readFieldNames(end); err != nil {
			return nil, err
		}
	case ClassObject:
		t, err := s.readTag(end, a.path)
		if err != nil {
			return nil, err
		}
		b, err := s.readData(t, end, maxNameLen, a.path, "object class name")
		if err != nil {
			return nil, err
		}
		a.className = string(bytes.TrimRight(b, "\x00"))
	}
	a.pos = s.pos
	return a, nil
}

func int32s(raw []byte, bo interface{ Uint32([]byte) uint32 }) []int32 {
	v := make([]int32, len(raw)/4)
	for i := range v {
		v[i] = int32(bo.Uint32(raw[4*i:]))
	}
	return v
}

// readName reads the array name element; for a top-level array it becomes
// Name and the root of the path.
func (a *Array) readName(end int64) error {
	s := a.src
	t, err := s.readTag(end, a.path)
	if err != nil {
		return err
	}
	if t.typ != miINT8 && t.typ != miUINT8 && t.typ != miUTF8 {
		return s.errf(a.path, t.at, "array name is a %s element, want miINT8", t.typ)
	}
	b, err := s.readData(t, end, maxNameLen, a.path, "array name")
	if err != nil {
		return err
	}
	if a.top {
		a.Name = string(bytes.TrimRight(b, "\x00"))
		a.path = a.Name
	}
	return nil
}

// readFieldNames reads the field-name length and field names of a struct.
func (a *Array) readFieldNames(end int64) error {
	s, bo := a.src, a.src.rd.bo
	t, err := s.readTag(end, a.path)
	if err != nil {
		return err
	}
	if (t.typ != miINT32 && t.typ != miUINT32) || t.n != 4 {
		return s.errf(a.path, t.at, "field name length is a %s element of %d bytes, want miINT32 of 4 bytes", t.typ, t.n)
	}
	b, err := s.readData(t, end, 4, a.path, "field name length")
	if err != nil {
		return err
	}
	fnlen := int64(int32(bo.Uint32(b)))
	if fnlen < 1 || fnlen > maxNameLen {
		return s.errf(a.path, t.at, "field name length %d, want 1 to %d", fnlen, maxNameLen)
	}
	t, err = s.readTag(end, a.path)
	if err != nil {
		return err
	}
	if (t.typ != miINT8 && t.typ != miUINT8 && t.typ != miUTF8) || t.n%fnlen != 0 {
		return s.errf(a.path, t.at, "field names are a %s element of %d bytes, want miINT8 with a multiple of %d bytes", t.typ, t.n, fnlen)
	}
	nf := t.n / fnlen
	if left := end - s.pos; nf > 0 && int64(a.numel) > left/8/nf {
		return s.errf(a.path, t.at, "%d elements of %d fields need at least %d bytes, %d left in the element", a.numel, nf, 8*nf*int64(a.numel), left)
	}
	b, err = s.readData(t, end, t.n, a.path, "field names")
	if err != nil {
		return err
	}
	a.fields = make([]string, nf)
	for i := range a.fields {
		f := b[int64(i)*fnlen : int64(i+1)*fnlen]
		if j := bytes.IndexByte(f, 0); j >= 0 {
			f = f[:j]
		}
		a.fields[i] = string(f)
	}
	return nil
}

// Numel returns the number of elements, the product of Dims (0 for an empty
// array). For the classes whose data are not stored element by element
// (sparse, object, function handle) the product is saturated at
// math.MaxInt; for the others it is at most the size of the element.
func (a *Array) Numel() int { return a.numel }

// FieldNames returns the field names of a struct array in file order, as
// stored (a damaged file may repeat a name), or nil for other classes.
// They are known as soon as the Array is returned.
func (a *Array) FieldNames() []string {
	if a.fields == nil {
		return nil
	}
	return append([]string(nil), a.fields...)
}

func (a *Array) quoted() string { return strconv.Quote(a.path) }

// resume checks that the stream is still inside a and moves it to a's
// cursor, discarding the rest of the child element last returned.
func (a *Array) resume() error {
	s := a.src
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return fmt.Errorf("%w: %s: the reader has moved on to another variable", ErrConsumed, a.quoted())
	}
	target := max(a.pos, a.childEnd)
	if s.pos < a.pos || s.pos > target {
		return fmt.Errorf("%w: %s: the reader has moved past it", ErrConsumed, a.quoted())
	}
	if err := s.discard(target-s.pos, a.path); err != nil {
		return err
	}
	a.pos, a.childEnd = target, 0
	return nil
}

// Skip discards the rest of the array (everything not read yet, including
// the rest of any cell element or field value returned from it) without
// allocating. Skipping a top-level variable discards its raw bytes, so a
// compressed one is not decompressed. Skip on an array the reader has
// already moved past does nothing. After Skip the array's contents can no
// longer be read.
func (a *Array) Skip() error {
	s := a.src
	a.consumed = true
	if s.closed || s.pos > a.end {
		return nil
	}
	if a.top {
		// Discard the raw bytes, even after an error inside the variable.
		return s.rd.finish(false)
	}
	if s.err != nil {
		return s.err
	}
	if s.pos < a.pos {
		return fmt.Errorf("%w: %s: the reader has moved past it", ErrConsumed, a.quoted())
	}
	if err := s.discard(a.end-s.pos, a.path); err != nil {
		return err
	}
	a.pos, a.childEnd = a.end, 0
	return nil
}

// NextCell returns the next element of a cell array, in column-major
// order, or io.EOF after the last one. The rest of the element returned by
// the previous call is skipped first. The element's Name is "".
func (a *Array) NextCell() (*Array, error) {
	if a.Class != ClassCell {
		return nil, a.classErr("NextCell", "a cell")
	}
	if a.consumed {
		return nil, fmt.Errorf("%w: %s: already skipped", ErrConsumed, a.quoted())
	}
	if err := a.resume(); err != nil {
		return nil, err
	}
	if a.idx >= a.numel {
		return nil, io.EOF
	}
	a.idx++
	return a.openChild(a.path+"{"+strconv.Itoa(a.idx)+"}", "")
}

// NextField returns the next field value of a struct array and its field
// name, or io.EOF after the last one. Values come in file order, element
// by element: all fields of element 0 (in FieldNames order), then all
// fields of element 1, and so on. The rest of the value returned by the
// previous call is skipped first. The value's Name is the field name.
func (a *Array) NextField() (field string, elem *Array, err error) {
	if a.Class != ClassStruct {
		return "", nil, a.classErr("NextField", "a struct")
	}
	if a.consumed {
		return "", nil, fmt.Errorf("%w: %s: already skipped", ErrConsumed, a.quoted())
	}
	if err := a.resume(); err != nil {
		return "", nil, err
	}
	nf := len(a.fields)
	if nf == 0 || a.idx >= a.numel*nf {
		return "", nil, io.EOF
	}
	e, f := a.idx/nf, a.fields[a.idx%nf]
	a.idx++
	path := a.path + "." + f
	if a.numel > 1 {
		path = a.path + "(" + strconv.Itoa(e+1) + ")." + f
	}
	child, err := a.openChild(path, f)
	if err != nil {
		return "", nil, err
	}
	return f, child, nil
}

// openChild reads the header of the next miMATRIX element inside a.
func (a *Array) openChild(path, name string) (*Array, error) {
	s := a.src
	t, err := s.readTag(a.end, path)
	if err != nil {
		return nil, err
	}
	if t.typ != miMATRIX || t.small {
		return nil, s.errf(path, t.at, "element is a %s, want miMATRIX", t.typ)
	}
	end := s.pos + t.n
	a.childEnd = min(end+(8-t.n%8)%8, a.end)
	child, err := s.openMatrix(end, path, false)
	if err != nil {
		return nil, err
	}
	child.Name = name
	return child, nil
}

func (a *Array) classErr(method, want string) error {
	return fmt.Errorf("%w: %s: %s needs %s array, this is a %s array", ErrClass, a.quoted(), method, want, a.describe())
}

func (a *Array) describe() string {
	switch {
	case a.Logical:
		return "logical"
	case a.Complex:
		return "complex " + a.Class.String()
	}
	return a.Class.String()
}

// checkNumeric checks that the contents of a can be read as numbers.
func (a *Array) checkNumeric(method string) error {
	switch a.Class {
	case ClassSparse, ClassFunction, ClassOpaque, ClassObject:
		return a.unsupported()
	}
	if !a.Class.Numeric() {
		return a.classErr(method, "a numeric or logical")
	}
	if a.Complex {
		return a.unsupported()
	}
	return nil
}

func (a *Array) unsupported() error {
	what := "a " + a.describe() + " array"
	switch a.Class {
	case ClassSparse:
		what = "a sparse array"
		if a.Logical {
			what = "a logical sparse array"
		} else if a.Complex {
			what = "a complex sparse array"
		}
	case ClassObject:
		what = fmt.Sprintf("an object of class %q", a.className)
	case ClassOpaque:
		what = "a classdef object (string, table, ...)"
	case ClassFunction:
		what = "a function handle"
	}
	return fmt.Errorf("%w: %s is %s, which can only be skipped", ErrUnsupported, a.quoted(), what)
}

// beginData positions the stream at a's data element and reads its tag;
// ok is false when the array has no data element (an empty array).
func (a *Array) beginData() (t tag, ok bool, err error) {
	if a.consumed {
		return t, false, fmt.Errorf("%w: %s: contents already read or skipped", ErrConsumed, a.quoted())
	}
	if err := a.resume(); err != nil {
		return t, false, err
	}
	a.consumed = true
	s := a.src
	if s.pos == a.end {
		if a.numel != 0 {
			return t, false, s.errf(a.path, s.pos, "no data element for %d elements", a.numel)
		}
		return t, false, nil
	}
	t, err = s.readTag(a.end, a.path)
	return t, err == nil, err
}

// endData skips the padding after the data element t.
func (a *Array) endData(t tag) error {
	if err := a.src.skipPad(t, a.end, a.path); err != nil {
		return err
	}
	a.pos = a.src.pos
	return nil
}

// Float32s reads the contents of a numeric or logical array as float32, in
// the file's column-major order, converting from whatever type the data
// are stored in (MATLAB stores e.g. a double array of small integers as
// uint8); values outside the float32 range become ±Inf and 64-bit integers
// are rounded. Sparse, complex, object and function-handle arrays give
// ErrUnsupported; char, cell and struct arrays give ErrClass.
func (a *Array) Float32s() ([]float32, error) { return readNumbers[float32](a, "Float32s") }

// Float64s is like Float32s with float64 results; only 64-bit integers
// beyond 2^53 are rounded.
func (a *Array) Float64s() ([]float64, error) { return readNumbers[float64](a, "Float64s") }

// Bools reads the contents of a logical or numeric array as booleans
// (nonzero is true), in column-major order.
func (a *Array) Bools() ([]bool, error) {
	f, err := readNumbers[float32](a, "Bools")
	if err != nil {
		return nil, err
	}
	b := make([]bool, len(f))
	for i, v := range f {
		b[i] = v != 0
	}
	return b, nil
}

func readNumbers[T float32 | float64](a *Array, method string) ([]T, error) {
	if err := a.checkNumeric(method); err != nil {
		return nil, err
	}
	t, ok, err := a.beginData()
	if err != nil {
		return nil, err
	}
	if !ok {
		return []T{}, nil
	}
	s := a.src
	size := t.typ.numSize()
	if size == 0 {
		return nil, s.errf(a.path, t.at, "data are a %s element, want a numeric type", t.typ)
	}
	if want := int64(a.numel) * int64(size); t.n != want {
		return nil, s.errf(a.path, t.at, "%s data of %d bytes, dimensions %v need %d", t.typ, t.n, a.Dims, want)
	}
	var out []T
	if t.small {
		out = make([]T, a.numel)
		decode(out, t.data[:], t.typ, s.rd.bo)
	} else if out, err = readDecode[T](s, t, a.numel, a.path); err != nil {
		return nil, err
	}
	if err := a.endData(t); err != nil {
		return nil, err
	}
	return out, nil
}

// readDecode reads the n values of data element t in chunks and converts
// them. Unless the size was checked against the input, the result grows
// as data arrive.
func readDecode[T float32 | float64](s *source, t tag, n int, path string) ([]T, error) {
	size := t.typ.numSize()
	c := n
	if !s.trusted {
		c = min(c, untrustedInitial/size)
	}
	out := make([]T, 0, c)
	scratch := s.rd.scratchFor(t.n)
	for len(out) < n {
		k := min(n-len(out), len(scratch)/size)
		if len(out)+k > cap(out) {
			nb := make([]T, len(out), min(max(2*cap(out), len(out)+k), n))
			copy(nb, out)
			out = nb
		}
		b := scratch[:k*size]
		if err := s.readFull(b, path); err != nil {
			return nil, err
		}
		decode(out[len(out):len(out)+k], b, t.typ, s.rd.bo)
		out = out[:len(out)+k]
	}
	return out, nil
}

// Text reads the contents of a char array as a string. Data stored as
// UTF-8, UTF-16 (miUTF16 or, as MATLAB writes them, miUINT16 code units),
// UTF-32 or 8-bit characters are accepted. A char matrix with several rows
// gives its rows joined by "\n" (MATLAB pads rows with spaces; they are
// kept). Invalid encodings decode to U+FFFD. Other classes give ErrClass.
func (a *Array) Text() (string, error) {
	if a.Class != ClassChar {
		return "", a.classErr("Text", "a char")
	}
	t, ok, err := a.beginData()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", nil
	}
	s, bo := a.src, a.src.rd.bo
	var raw []byte
	if t.small {
		raw = t.data[:t.n]
	} else if raw, err = s.readGrow(t.n, a.path); err != nil {
		return "", err
	}
	if err := a.endData(t); err != nil {
		return "", err
	}
	// Decode into elements: code points, or UTF-16 code units (units).
	var elems []rune
	units := false
	switch t.typ {
	case miUTF8:
		elems = make([]rune, 0, utf8.RuneCount(raw))
		for len(raw) > 0 {
			r, n := utf8.DecodeRune(raw)
			elems = append(elems, r)
			raw = raw[n:]
		}
	case miUTF16, miUINT16, miINT16:
		if t.n%2 != 0 {
			return "", s.errf(a.path, t.at, "%s character data of odd length %d", t.typ, t.n)
		}
		units = true
		elems = make([]rune, len(raw)/2)
		for i := range elems {
			elems[i] = rune(bo.Uint16(raw[2*i:]))
		}
	case miUTF32, miUINT32, miINT32:
		if t.n%4 != 0 {
			return "", s.errf(a.path, t.at, "%s character data of %d bytes, not a multiple of 4", t.typ, t.n)
		}
		elems = make([]rune, len(raw)/4)
		for i := range elems {
			elems[i] = rune(bo.Uint32(raw[4*i:]))
			if !utf8.ValidRune(elems[i]) {
				elems[i] = utf8.RuneError
			}
		}
	case miUINT8, miINT8:
		elems = make([]rune, len(raw))
		for i, c := range raw {
			elems[i] = rune(c) // Latin-1
		}
	default:
		return "", s.errf(a.path, t.at, "character data are a %s element", t.typ)
	}
	if len(elems) != a.numel && !units {
		// MATLAB counts UTF-16 code units; scipy counts code points.
		if u := utf16.Encode(elems); len(u) == a.numel {
			elems, units = make([]rune, len(u)), true
			for i, c := range u {
				elems[i] = rune(c)
			}
		}
	}
	rows := 1
	if len(a.Dims) > 0 {
		rows = a.Dims[0]
	}
	if rows <= 1 || a.numel == 0 {
		return runesString(elems, units), nil
	}
	if len(elems) != a.numel {
		return "", s.errf(a.path, t.at, "%d characters, dimensions %v need %d", len(elems), a.Dims, a.numel)
	}
	cols := a.numel / rows
	var sb strings.Builder
	row := make([]rune, cols)
	for i := range rows {
		if i > 0 {
			sb.WriteByte('\n')
		}
		for k := range cols {
			row[k] = elems[i+k*rows]
		}
		sb.WriteString(runesString(row, units))
	}
	return sb.String(), nil
}

// runesString converts code points, or UTF-16 code units, to a string.
func runesString(elems []rune, units bool) string {
	if !units {
		return string(elems)
	}
	u := make([]uint16, len(elems))
	for i, r := range elems {
		u[i] = uint16(r)
	}
	return string(utf16.Decode(u))
}
