package matfile

import (
	"encoding/binary"
	"strconv"
)

// Class is the MATLAB array class (mxCLASS) stored in an array's flags.
// The numeric values are those of the file format.
type Class uint8

// The array classes of the Level-5 format. Classes 1..15 are those MATLAB
// documents for miMATRIX elements; ClassFunction and ClassOpaque appear in
// files that hold function handles and MATLAB class objects (string, table,
// ...). Only numeric, logical, char, cell and struct arrays can be read;
// the rest can be skipped.
const (
	ClassCell     Class = 1  // cell array
	ClassStruct   Class = 2  // struct array
	ClassObject   Class = 3  // old-style (pre-classdef) object; unsupported
	ClassChar     Class = 4  // character array
	ClassSparse   Class = 5  // sparse matrix; unsupported
	ClassDouble   Class = 6  // float64
	ClassSingle   Class = 7  // float32
	ClassInt8     Class = 8  // int8
	ClassUint8    Class = 9  // uint8 (also the class of logical arrays)
	ClassInt16    Class = 10 // int16
	ClassUint16   Class = 11 // uint16
	ClassInt32    Class = 12 // int32
	ClassUint32   Class = 13 // uint32
	ClassInt64    Class = 14 // int64
	ClassUint64   Class = 15 // uint64
	ClassFunction Class = 16 // function handle; unsupported
	ClassOpaque   Class = 17 // classdef object (string, table, ...); unsupported
)

var classNames = [...]string{
	ClassCell:     "cell",
	ClassStruct:   "struct",
	ClassObject:   "object",
	ClassChar:     "char",
	ClassSparse:   "sparse",
	ClassDouble:   "double",
	ClassSingle:   "single",
	ClassInt8:     "int8",
	ClassUint8:    "uint8",
	ClassInt16:    "int16",
	ClassUint16:   "uint16",
	ClassInt32:    "int32",
	ClassUint32:   "uint32",
	ClassInt64:    "int64",
	ClassUint64:   "uint64",
	ClassFunction: "function_handle",
	ClassOpaque:   "opaque",
}

// String returns the MATLAB name of the class ("double", "single", "cell",
// ...), or "class(N)" for a value the format does not define.
func (c Class) String() string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Numeric reports whether c is one of the numeric classes, double through
// uint64.
func (c Class) Numeric() bool { return c >= ClassDouble && c <= ClassUint64 }

func (c Class) known() bool { return c >= ClassCell && c <= ClassOpaque }

// miType is the data type of a data element (the miXXX constants).
type miType uint32

const (
	miINT8       miType = 1
	miUINT8      miType = 2
	miINT16      miType = 3
	miUINT16     miType = 4
	miINT32      miType = 5
	miUINT32     miType = 6
	miSINGLE     miType = 7
	miDOUBLE     miType = 9
	miINT64      miType = 12
	miUINT64     miType = 13
	miMATRIX     miType = 14
	miCOMPRESSED miType = 15
	miUTF8       miType = 16
	miUTF16      miType = 17
	miUTF32      miType = 18
)

var miNames = [...]string{
	miINT8: "miINT8", miUINT8: "miUINT8", miINT16: "miINT16", miUINT16: "miUINT16",
	miINT32: "miINT32", miUINT32: "miUINT32", miSINGLE: "miSINGLE", miDOUBLE: "miDOUBLE",
	miINT64: "miINT64", miUINT64: "miUINT64", miMATRIX: "miMATRIX",
	miCOMPRESSED: "miCOMPRESSED", miUTF8: "miUTF8", miUTF16: "miUTF16", miUTF32: "miUTF32",
}

func (t miType) String() string {
	if int64(t) < int64(len(miNames)) && miNames[t] != "" {
		return miNames[t]
	}
	return "data type " + strconv.FormatUint(uint64(t), 10)
}

// numSize returns the size in bytes of one value of a numeric data type, or
// 0 if t is not numeric.
func (t miType) numSize() int {
	switch t {
	case miINT8, miUINT8:
		return 1
	case miINT16, miUINT16:
		return 2
	case miINT32, miUINT32, miSINGLE:
		return 4
	case miDOUBLE, miINT64, miUINT64:
		return 8
	}
	return 0
}

// byteOrderName names a byte order for messages.
func byteOrderName(bo binary.ByteOrder) string {
	if bo == binary.ByteOrder(binary.BigEndian) {
		return "big-endian"
	}
	return "little-endian"
}
