package video

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
)

func loadGray(t *testing.T, path string) *Gray {
	t.Helper()
	img, err := imageio.Load(path, imageio.DecodeOptions{})
	require.NoError(t, err)
	g, err := ToGray(img)
	require.NoError(t, err)
	return g
}

// endPointError is the mean and the largest Euclidean distance between the
// vectors of two flows.
func endPointError(a, b *Flow) (mean, worst float64) {
	for i := 0; i < len(a.UV); i += 2 {
		d := math.Hypot(float64(a.UV[i]-b.UV[i]), float64(a.UV[i+1]-b.UV[i+1]))
		mean += d
		worst = math.Max(worst, d)
	}
	return mean / float64(len(a.UV)/2), worst
}

// The flow on basketball1 → 2 matches OpenCV's own (Python cv2 4.6.0, the
// same release as Debian's libopencv-dev, make_goldens.py). The grey
// conversion and the algorithms are OpenCV's on both sides, so what
// differs is the build: Farnebäck agrees to 1e-6 pixel; DIS, whose
// vectorized code differs between Debian's SSE2 baseline and the wheel's
// SSE3 one, had a mean end-point error of 0.010 pixel and a largest of
// 0.12 when this was written (the mean motion is 0.58 pixel at this
// 160×120 size). Bounds: mean 0.03 pixel, largest 0.5.
func TestFlowMatchesOpenCV(t *testing.T) {
	a := loadGray(t, "testdata/basketball1.png")
	b := loadGray(t, "testdata/basketball2.png")
	for _, tc := range []struct {
		method FlowMethod
		golden string
	}{
		{DIS{Preset: DISMedium}, "testdata/basketball_dis.flo"},
		{Farneback{}, "testdata/basketball_farneback.flo"},
	} {
		t.Run(tc.method.String(), func(t *testing.T) {
			want, err := ReadFlo(tc.golden)
			require.NoError(t, err)
			got, err := tc.method.Flow(a, b, 2, false)
			require.NoError(t, err)
			require.Equal(t, [2]int{want.W, want.H}, [2]int{got.W, got.H})
			var size float64
			for i := 0; i < len(want.UV); i += 2 {
				size += math.Hypot(float64(want.UV[i]), float64(want.UV[i+1]))
			}
			size /= float64(len(want.UV) / 2)
			mean, worst := endPointError(got, want)
			t.Logf("%s: mean |flow| %.3f px, end-point error mean %.2g px, max %.2g px", tc.method, size, mean, worst)
			assert.Greater(t, size, 0.3, "the pair has motion")
			assert.Less(t, mean, 0.03)
			assert.Less(t, worst, 0.5)
		})
	}
}

func TestFlowSizeMismatch(t *testing.T) {
	a := &Gray{W: 4, H: 3, Pix: make([]uint8, 12)}
	b := &Gray{W: 3, H: 4, Pix: make([]uint8, 12)}
	for _, m := range []FlowMethod{DIS{}, Farneback{}} {
		_, err := m.Flow(a, b, 2, false)
		assert.ErrorContains(t, err, "frames of 4×3 and 3×4", m.String())
	}
}

func TestFloRoundTrip(t *testing.T) {
	f := NewFlow(3, 2)
	for i := range f.UV {
		f.UV[i] = float32(i) - 2.5
	}
	var buf bytes.Buffer
	require.NoError(t, EncodeFlo(&buf, f))
	assert.Equal(t, "PIEH", buf.String()[:4])
	assert.Equal(t, 12+4*12, buf.Len())
	got, err := DecodeFlo(&buf)
	require.NoError(t, err)
	assert.Equal(t, f, got)
	u, v := got.At(2, 1)
	assert.Equal(t, [2]float32{f.UV[10], f.UV[11]}, [2]float32{u, v})

	path := filepath.Join(t.TempDir(), "f.flo")
	require.NoError(t, WriteFlo(path, f))
	got, err = ReadFlo(path)
	require.NoError(t, err)
	assert.Equal(t, f, got)
}

func TestFloErrors(t *testing.T) {
	var good bytes.Buffer
	require.NoError(t, EncodeFlo(&good, NewFlow(4, 3)))
	huge := append([]byte("PIEH"), 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0)
	unknown := bytes.Clone(good.Bytes())
	binary.LittleEndian.PutUint32(unknown[12:], math.Float32bits(1e10)) // Middlebury's "unknown"
	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "header"},
		{"bad tag", append([]byte("PIEX"), good.Bytes()[4:]...), "tag"},
		{"truncated", good.Bytes()[:30], "4×3 flow values"},
		{"huge", huge, "size 65535×65535"},
		{"unknown values", unknown, "unknown or non-finite"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.flo")
			require.NoError(t, os.WriteFile(path, tc.data, 0o644))
			_, err := ReadFlo(path)
			require.ErrorIs(t, err, ErrFlo)
			assert.ErrorContains(t, err, tc.msg)
			assert.ErrorContains(t, err, path)
		})
	}
}

func TestFlowFiles(t *testing.T) {
	dir := t.TempDir()
	f := NewFlow(8, 6)
	for i := 0; i < len(f.UV); i += 2 {
		f.UV[i], f.UV[i+1] = 2, -1
	}
	require.NoError(t, WriteFlo(filepath.Join(dir, "forward_1_2.flo"), f))
	require.NoError(t, WriteFlo(filepath.Join(dir, "backward_2_1.flo"), NewFlow(5, 5)))
	ff := FlowFiles{Dir: dir, W: 8, H: 6}
	small := &Gray{W: 4, H: 3, Pix: make([]uint8, 12)}

	// At half the original size, the vectors are halved.
	got, err := ff.Flow(small, small, 2, false)
	require.NoError(t, err)
	require.Equal(t, [2]int{4, 3}, [2]int{got.W, got.H})
	for i := 0; i < len(got.UV); i += 2 {
		assert.InDelta(t, 1, got.UV[i], 1e-6)
		assert.InDelta(t, -0.5, got.UV[i+1], 1e-6)
	}
	_, err = ff.Flow(small, small, 2, true)
	assert.ErrorContains(t, err, filepath.Join(dir, "backward_2_1.flo")+": flow of 5×5, the frames are 8×6")
	_, err = ff.Flow(small, small, 3, false)
	assert.ErrorContains(t, err, "forward_2_3.flo")
}
