package tfutil

import (
	"bytes"
	"fmt"
	"unsafe"

	tf "github.com/wamuir/graft/tensorflow"
)

// Float32Tensor returns a new float32 tensor of the given shape holding a copy
// of data. The product of shape must equal len(data).
func Float32Tensor(data []float32, shape ...int64) (*tf.Tensor, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("tfutil: negative dimension in shape %v", shape)
		}
		n *= d
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("tfutil: shape %v holds %d values, got %d", shape, n, len(data))
	}
	return tf.ReadTensor(tf.Float, shape, bytes.NewReader(float32Bytes(data)))
}

// Float32s copies the values of a float32 tensor into dst (grown if needed)
// in row-major order and returns it.
func Float32s(dst []float32, t *tf.Tensor) ([]float32, error) {
	if t == nil {
		return nil, fmt.Errorf("tfutil: nil tensor")
	}
	if t.DataType() != tf.Float {
		return nil, fmt.Errorf("tfutil: tensor of type %v, want float32", t.DataType())
	}
	n := 1
	for _, d := range t.Shape() {
		n *= int(d)
	}
	if dst == nil || cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	w := sliceWriter{buf: float32Bytes(dst)}
	if _, err := t.WriteContentsTo(&w); err != nil {
		return nil, fmt.Errorf("tfutil: reading tensor: %w", err)
	}
	if w.off != len(w.buf) {
		return nil, fmt.Errorf("tfutil: tensor held %d bytes, want %d", w.off, len(w.buf))
	}
	return dst, nil
}

// Scalar returns the value of a float32 or float64 scalar tensor.
func Scalar(t *tf.Tensor) (float64, error) {
	if t == nil {
		return 0, fmt.Errorf("tfutil: nil tensor")
	}
	switch v := t.Value().(type) {
	case float32:
		return float64(v), nil
	case float64:
		return v, nil
	default:
		return 0, fmt.Errorf("tfutil: tensor of type %T with shape %v, want a float scalar", v, t.Shape())
	}
}

func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), len(f)*4)
}

// sliceWriter writes into a fixed byte slice and refuses to overflow it.
type sliceWriter struct {
	buf []byte
	off int
}

func (w *sliceWriter) Write(p []byte) (int, error) {
	if len(p) > len(w.buf)-w.off {
		return 0, fmt.Errorf("tfutil: tensor larger than its shape says")
	}
	w.off += copy(w.buf[w.off:], p)
	return len(p), nil
}

// TypeName names a TensorFlow element type the way Go users know it
// ("float32", "int64", …) for error messages.
func TypeName(dt tf.DataType) string {
	switch dt {
	case tf.Float:
		return "float32"
	case tf.Double:
		return "float64"
	case tf.Half:
		return "float16"
	case tf.Bfloat16:
		return "bfloat16"
	case tf.Int32:
		return "int32"
	case tf.Int64:
		return "int64"
	case tf.Uint8:
		return "uint8"
	}
	return fmt.Sprintf("DataType(%d)", int(dt))
}
