package tfutil

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
)

func TestFloat32RoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		data  []float32
		shape []int64
	}{
		{"scalar", []float32{3.5}, nil},
		{"vector", []float32{1, -2, 3}, []int64{3}},
		{"nhwc", []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []int64{1, 2, 2, 3}},
		{"empty", []float32{}, []int64{0, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tensor, err := Float32Tensor(tc.data, tc.shape...)
			require.NoError(t, err)
			assert.Equal(t, tc.shape, tensor.Shape())
			got, err := Float32s(nil, tensor)
			require.NoError(t, err)
			assert.Equal(t, tc.data, got)
			// dst with capacity is reused, not reallocated
			buf := make([]float32, 0, 64)
			got, err = Float32s(buf, tensor)
			require.NoError(t, err)
			assert.Equal(t, tc.data, got)
			if len(got) > 0 {
				assert.Same(t, &buf[:1][0], &got[0])
			}
		})
	}
}

func TestFloat32TensorErrors(t *testing.T) {
	_, err := Float32Tensor([]float32{1, 2, 3}, 2, 2)
	assert.ErrorContains(t, err, "shape [2 2] holds 4 values, got 3")
	_, err = Float32Tensor([]float32{}, -1)
	assert.ErrorContains(t, err, "negative dimension")
	i, err := tf.NewTensor([]int32{1, 2})
	require.NoError(t, err)
	_, err = Float32s(nil, i)
	assert.ErrorContains(t, err, "want float32")
	_, err = Float32s(nil, nil)
	assert.Error(t, err)
}

func TestScalar(t *testing.T) {
	f32, _ := tf.NewTensor(float32(2.5))
	f64, _ := tf.NewTensor(float64(-1.25))
	vec, _ := tf.NewTensor([]float32{1})
	v, err := Scalar(f32)
	require.NoError(t, err)
	assert.Equal(t, 2.5, v)
	v, err = Scalar(f64)
	require.NoError(t, err)
	assert.Equal(t, -1.25, v)
	_, err = Scalar(vec)
	assert.ErrorContains(t, err, "want a float scalar")
}
