package matfile

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Value is an array to be written by Writer.WriteVar: numeric, logical,
// char, cell or struct, built by NewNumeric, NewLogical, NewChar, NewCell
// and NewStruct (the interface is sealed). Values are immutable once built
// and may be shared, written several times and used concurrently; a
// numeric Value refers to the caller's data slice, which must not change
// until the last write.
type Value interface {
	// bodySize is the number of bytes of the miMATRIX contents after the
	// name element.
	bodySize() int64
	// flags returns the array flags word and the dimensions.
	flags() (uint32, []int)
	// writeBody writes the contents after the name element.
	writeBody(e *encoder)
}

// elemSize is the size of a data element of n bytes, tag and padding
// included.
func elemSize(n int64) int64 {
	if n <= 4 {
		return 8
	}
	return 8 + (n+7)&^7
}

// contentSize is the size of the contents of the miMATRIX element for v.
func contentSize(name string, v Value) int64 {
	if v == nil {
		return 0
	}
	_, dims := v.flags()
	return 16 + elemSize(4*int64(len(dims))) + elemSize(int64(len(name))) + v.bodySize()
}

// checkDims validates dims and returns the number of elements.
func checkDims(fn string, dims []int) (int, error) {
	if len(dims) < 2 {
		return 0, fmt.Errorf("matfile: %s: dimensions %v: want at least 2", fn, dims)
	}
	if len(dims) > maxDims {
		return 0, fmt.Errorf("matfile: %s: %d dimensions, at most %d", fn, len(dims), maxDims)
	}
	n := 1
	for _, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			return 0, fmt.Errorf("matfile: %s: dimensions %v: each must be in [0, 2^31)", fn, dims)
		}
	}
	for _, d := range dims {
		if d == 0 {
			return 0, nil
		}
		if n > math.MaxUint32/d {
			return 0, fmt.Errorf("matfile: %s: dimensions %v: too many elements for a MAT-file", fn, dims)
		}
		n *= d
	}
	return n, nil
}

type numericValue struct {
	flagWord uint32
	dims     []int
	data     any // one of the slice types of NewNumeric
	typ      miType
	n        int
}

// NewNumeric returns a numeric array of the given class (ClassDouble ...
// ClassUint64) and dimensions (at least two, MATLAB order) whose data, in
// column-major order, are stored with the element type of data: one of
// []float32, []float64, []int8, []uint8, []int16, []uint16, []int32,
// []uint32, []int64, []uint64. The type need not match the class: MATLAB
// stores, for example, a double array of small integers as uint8 data
// (class ClassDouble with []uint8 data), and readers convert. len(data)
// must equal the product of dims. The Value refers to data without
// copying it.
func NewNumeric(class Class, dims []int, data any) (Value, error) {
	if !class.Numeric() {
		return nil, fmt.Errorf("matfile: NewNumeric: class %s is not numeric", class)
	}
	n, err := checkDims("NewNumeric", dims)
	if err != nil {
		return nil, err
	}
	typ, length := sliceInfo(data)
	if typ == 0 {
		return nil, fmt.Errorf("matfile: NewNumeric: data of type %T, want a slice of float32, float64 or 8- to 64-bit integers", data)
	}
	if length != n {
		return nil, fmt.Errorf("matfile: NewNumeric: %d values for dimensions %v, want %d", length, dims, n)
	}
	return &numericValue{flagWord: uint32(class), dims: slices.Clone(dims), data: data, typ: typ, n: n}, nil
}

// NewLogical returns a logical array (class uint8 with the logical flag)
// with the given dimensions and column-major data.
func NewLogical(dims []int, data []bool) (Value, error) {
	n, err := checkDims("NewLogical", dims)
	if err != nil {
		return nil, err
	}
	if len(data) != n {
		return nil, fmt.Errorf("matfile: NewLogical: %d values for dimensions %v, want %d", len(data), dims, n)
	}
	b := make([]uint8, n)
	for i, v := range data {
		if v {
			b[i] = 1
		}
	}
	return &numericValue{flagWord: uint32(ClassUint8) | 0x200, dims: slices.Clone(dims), data: b, typ: miUINT8, n: n}, nil
}

func sliceInfo(data any) (miType, int) {
	switch d := data.(type) {
	case []float64:
		return miDOUBLE, len(d)
	case []float32:
		return miSINGLE, len(d)
	case []int8:
		return miINT8, len(d)
	case []uint8:
		return miUINT8, len(d)
	case []int16:
		return miINT16, len(d)
	case []uint16:
		return miUINT16, len(d)
	case []int32:
		return miINT32, len(d)
	case []uint32:
		return miUINT32, len(d)
	case []int64:
		return miINT64, len(d)
	case []uint64:
		return miUINT64, len(d)
	}
	return 0, 0
}

func (v *numericValue) bodySize() int64 {
	return elemSize(int64(v.n) * int64(v.typ.numSize()))
}
func (v *numericValue) flags() (uint32, []int) { return v.flagWord, v.dims }
func (v *numericValue) writeBody(e *encoder)   { e.numeric(v.typ, v.data, v.n) }

type charValue struct {
	dims  []int
	bytes []byte // miUTF8 data
}

// NewChar returns a 1xN char array holding s, stored as UTF-8 (miUTF8) the
// way scipy.io.savemat stores text; N is the number of code points (which
// is MATLAB's count of UTF-16 code units unless s has characters outside
// the Basic Multilingual Plane). "" gives a 0x0 char array. Invalid UTF-8
// in s is stored as U+FFFD.
func NewChar(s string) Value {
	if s == "" {
		return &charValue{dims: []int{0, 0}}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return &charValue{dims: []int{1, utf8.RuneCountInString(s)}, bytes: []byte(s)}
}

func (v *charValue) bodySize() int64        { return elemSize(int64(len(v.bytes))) }
func (v *charValue) flags() (uint32, []int) { return uint32(ClassChar), v.dims }
func (v *charValue) writeBody(e *encoder)   { e.element(miUTF8, v.bytes) }

type cellValue struct {
	dims  []int
	elems []Value
	size  int64
}

// NewCell returns a cell array with the given dimensions and elements in
// column-major order (len(elems) must equal the product of dims). A nil
// element is written as an empty miMATRIX element, which MATLAB and scipy
// read as [] (0x0 double).
func NewCell(dims []int, elems []Value) (Value, error) {
	n, err := checkDims("NewCell", dims)
	if err != nil {
		return nil, err
	}
	if len(elems) != n {
		return nil, fmt.Errorf("matfile: NewCell: %d elements for dimensions %v, want %d", len(elems), dims, n)
	}
	v := &cellValue{dims: slices.Clone(dims), elems: slices.Clone(elems)}
	for _, c := range elems {
		v.size += 8 + contentSize("", c)
	}
	if v.size > math.MaxUint32 {
		return nil, errors.New("matfile: NewCell: too large for a Level-5 MAT-file (4 GiB per variable)")
	}
	return v, nil
}

func (v *cellValue) bodySize() int64        { return v.size }
func (v *cellValue) flags() (uint32, []int) { return uint32(ClassCell), v.dims }
func (v *cellValue) writeBody(e *encoder) {
	for _, c := range v.elems {
		e.matrix("", c)
	}
}

type structValue struct {
	dims   []int
	fields []string
	fnlen  int
	elems  [][]Value
	size   int64
}

// maxFieldLen is MATLAB's limit on the length of field names (namelengthmax).
const maxFieldLen = 63

// NewStruct returns a struct array with the given dimensions and field
// names; elems[i][j] is field j of element i (elements in column-major
// order), so len(elems) must equal the product of dims and every
// elems[i] must have len(fields) values. Field names must be unique,
// non-empty and at most 63 bytes without NUL. A nil value is written as an
// empty miMATRIX element ([] in MATLAB).
func NewStruct(dims []int, fields []string, elems [][]Value) (Value, error) {
	n, err := checkDims("NewStruct", dims)
	if err != nil {
		return nil, err
	}
	if len(elems) != n {
		return nil, fmt.Errorf("matfile: NewStruct: %d elements for dimensions %v, want %d", len(elems), dims, n)
	}
	v := &structValue{dims: slices.Clone(dims), fields: slices.Clone(fields), fnlen: 1, elems: make([][]Value, n)}
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if f == "" || len(f) > maxFieldLen || strings.IndexByte(f, 0) >= 0 {
			return nil, fmt.Errorf("matfile: NewStruct: field name %q: want 1 to %d bytes without NUL", f, maxFieldLen)
		}
		if seen[f] {
			return nil, fmt.Errorf("matfile: NewStruct: duplicate field name %q", f)
		}
		seen[f] = true
		v.fnlen = max(v.fnlen, len(f)+1)
	}
	v.size = 8 + elemSize(int64(len(fields)*v.fnlen))
	for i, el := range elems {
		if len(el) != len(fields) {
			return nil, fmt.Errorf("matfile: NewStruct: element %d has %d values for %d fields", i, len(el), len(fields))
		}
		v.elems[i] = slices.Clone(el)
		for _, c := range el {
			v.size += 8 + contentSize("", c)
		}
	}
	if v.size > math.MaxUint32 {
		return nil, errors.New("matfile: NewStruct: too large for a Level-5 MAT-file (4 GiB per variable)")
	}
	return v, nil
}

func (v *structValue) bodySize() int64        { return v.size }
func (v *structValue) flags() (uint32, []int) { return uint32(ClassStruct), v.dims }
func (v *structValue) writeBody(e *encoder) {
	var fl [4]byte
	e.bo.PutUint32(fl[:], uint32(v.fnlen))
	e.element(miINT32, fl[:])
	names := make([]byte, len(v.fields)*v.fnlen)
	for i, f := range v.fields {
		copy(names[i*v.fnlen:], f)
	}
	e.element(miINT8, names)
	for _, el := range v.elems {
		for _, c := range el {
			e.matrix("", c)
		}
	}
}
