package matfile

import (
	"encoding/binary"
	"math"
)

// decode converts len(dst) values of numeric data type typ from b.
func decode[T float32 | float64](dst []T, b []byte, typ miType, bo binary.ByteOrder) {
	switch typ {
	case miINT8:
		for i := range dst {
			dst[i] = T(int8(b[i]))
		}
	case miUINT8:
		for i := range dst {
			dst[i] = T(b[i])
		}
	case miINT16:
		for i := range dst {
			dst[i] = T(int16(bo.Uint16(b[2*i:])))
		}
	case miUINT16:
		for i := range dst {
			dst[i] = T(bo.Uint16(b[2*i:]))
		}
	case miINT32:
		for i := range dst {
			dst[i] = T(int32(bo.Uint32(b[4*i:])))
		}
	case miUINT32:
		for i := range dst {
			dst[i] = T(bo.Uint32(b[4*i:]))
		}
	case miSINGLE:
		for i := range dst {
			dst[i] = T(math.Float32frombits(bo.Uint32(b[4*i:])))
		}
	case miDOUBLE:
		for i := range dst {
			dst[i] = T(math.Float64frombits(bo.Uint64(b[8*i:])))
		}
	case miINT64:
		for i := range dst {
			dst[i] = T(int64(bo.Uint64(b[8*i:])))
		}
	case miUINT64:
		for i := range dst {
			dst[i] = T(bo.Uint64(b[8*i:]))
		}
	}
}
