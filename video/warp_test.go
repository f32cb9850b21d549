package video

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v))
}

// Warp matches numpy's bilinear sampling with edge clamping
// (make_goldens.py); the flow's components are multiples of 1/32 pixel,
// where OpenCV's fixed-point remap weights are exact, so only float32
// rounding separates the two.
func TestWarpMatchesNumpy(t *testing.T) {
	var g struct {
		W, H, C             int
		Image, Flow, Warped []float32
	}
	readJSON(t, "testdata/warp.json", &g)
	got, err := Warp(&Planar{W: g.W, H: g.H, C: g.C, Pix: g.Image}, &Flow{W: g.W, H: g.H, UV: g.Flow})
	require.NoError(t, err)
	require.Len(t, got.Pix, len(g.Warped))
	for i := range g.Warped {
		assert.InDelta(t, g.Warped[i], got.Pix[i], 2e-3, "value %d", i)
	}
}

func TestWarpZeroFlowIsIdentity(t *testing.T) {
	src := &Planar{W: 5, H: 4, C: 2, Pix: make([]float32, 40)}
	for i := range src.Pix {
		src.Pix[i] = float32(i * i)
	}
	got, err := Warp(src, NewFlow(5, 4))
	require.NoError(t, err)
	assert.Equal(t, src, got)
}

func TestWarpErrors(t *testing.T) {
	_, err := Warp(&Planar{W: 5, H: 4, C: 3, Pix: make([]float32, 60)}, NewFlow(4, 5))
	assert.ErrorContains(t, err, "warping a 5×4 image by a flow of 4×5")
	_, err = Warp(&Planar{W: 5, H: 4, C: 5, Pix: make([]float32, 100)}, NewFlow(5, 4))
	assert.ErrorContains(t, err, "5×4×5")
}
