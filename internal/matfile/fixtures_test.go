package matfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScipyFixtures reads every file written by scipy.io.savemat (and its
// big-endian conversions) and compares it with the expectations that
// make_fixtures.py derived from the data it saved.
func TestScipyFixtures(t *testing.T) {
	exp := loadExpected(t)
	require.NotEmpty(t, exp.Fixtures)
	sources := []struct {
		name string
		wrap func([]byte) io.Reader
	}{
		{"seekable", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"stream", func(b []byte) io.Reader { return noSeek{bytes.NewReader(b)} }},
		{"one-byte-reads", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	}
	for set, fx := range exp.Fixtures {
		require.Len(t, fx.Files, 4, set)
		for _, f := range fx.Files {
			data, err := os.ReadFile(filepath.Join("testdata", f))
			require.NoError(t, err)
			for _, src := range sources {
				for _, mode := range []readMode{useFloat64, useFloat32} {
					got, err := readAll(src.wrap(data), mode)
					require.NoError(t, err, "%s (%s)", f, src.name)
					assertNodes(t, fx.Vars, got, mode, f+" ("+src.name+")")
				}
			}
			r, err := NewReader(bytes.NewReader(data))
			require.NoError(t, err)
			wantOrder := binary.ByteOrder(binary.LittleEndian)
			if strings.Contains(f, "_be") {
				wantOrder = binary.BigEndian
			}
			assert.Equal(t, wantOrder, r.ByteOrder(), f)
			assert.True(t, strings.HasPrefix(r.Description(), "MATLAB 5.0 MAT-file"), f)
		}
	}
}

// TestMatConvNetShape walks the MatConvNet-shaped fixture the way the vgg
// package does: fields by name, skipping what it does not need.
func TestMatConvNetShape(t *testing.T) {
	for _, f := range []string{"matconvnet_le.mat", "matconvnet_be.mat", "matconvnet_le_z.mat", "matconvnet_be_z.mat"} {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", f))
			require.NoError(t, err)
			r, err := NewReader(noSeek{bytes.NewReader(data)})
			require.NoError(t, err)
			layers, err := r.Next()
			require.NoError(t, err)
			require.Equal(t, "layers", layers.Name)
			require.Equal(t, ClassCell, layers.Class)
			require.Equal(t, []int{1, 3}, layers.Dims)
			var names []string
			var kernelDims [][]int
			for {
				l, err := layers.NextCell()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				require.Equal(t, ClassStruct, l.Class)
				require.Equal(t, []string{"name", "type", "weights"}, l.FieldNames())
				for {
					field, v, err := l.NextField()
					if err == io.EOF {
						break
					}
					require.NoError(t, err)
					switch field {
					case "name":
						s, err := v.Text()
						require.NoError(t, err)
						names = append(names, s)
					case "weights":
						k, err := v.NextCell()
						require.NoError(t, err)
						require.Equal(t, ClassSingle, k.Class)
						kernelDims = append(kernelDims, k.Dims)
						// The bias and the kernel's data are skipped.
					}
				}
			}
			assert.Equal(t, []string{"conv1_1", "relu1_1", "fc8"}, names)
			assert.Equal(t, [][]int{{3, 3, 2, 4}, {0, 0}, {1, 1, 4, 3}}, kernelDims)

			meta, err := r.Next()
			require.NoError(t, err)
			require.Equal(t, "meta", meta.Name)
			require.Equal(t, []string{"inputs", "normalization"}, meta.FieldNames())
			_, _, err = meta.NextField() // inputs: skipped by the next call
			require.NoError(t, err)
			field, norm, err := meta.NextField()
			require.NoError(t, err)
			require.Equal(t, "normalization", field)
			field, avg, err := norm.NextField()
			require.NoError(t, err)
			require.Equal(t, "averageImage", field)
			require.Equal(t, []int{1, 1, 3}, avg.Dims)
			mean, err := avg.Float32s()
			require.NoError(t, err)
			assert.Equal(t, []float32{123.68, 116.779, 103.939}, mean)
			_, err = r.Next()
			require.ErrorIs(t, err, io.EOF)
		})
	}
}
