package video

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// MotionFidelity matches numpy and scipy.ndimage (make_fidelity_golden.py).
func TestMotionFidelityMatchesNumpy(t *testing.T) {
	var g struct {
		W, H           int
		Threshold      float64
		Dilation       int
		Prev, Cur, Out []float32
		Moving         int
		Score          float64
	}
	readJSON(t, "testdata/fidelity.json", &g)
	p := func(pix []float32) *Planar { return &Planar{W: g.W, H: g.H, C: 3, Pix: pix} }
	got, err := MotionFidelity{Threshold: g.Threshold, Dilation: g.Dilation}.Score(p(g.Prev), p(g.Cur), p(g.Out))
	require.NoError(t, err)
	assert.Equal(t, g.Moving, got.Moving)
	assert.InDelta(t, g.Score, got.Score, 1e-9)
}

// squareScene is a textured background (grey levels 60–140, smooth stripes)
// with a sharp 12×12 square of level 230 whose left edge is at x, as a
// 1-channel Planar of 64×48.
func squareScene(x float64) *Planar {
	const w, h = 64, 48
	p := &Planar{W: w, H: h, C: 1, Pix: make([]float32, w*h)}
	for yy := 0; yy < h; yy++ {
		for xx := 0; xx < w; xx++ {
			v := 100 + 25*math.Sin(float64(xx)/3.1)*math.Cos(float64(yy)/4.3) + 15*math.Sin(float64(xx+2*yy)/5.7)
			// the square's coverage of the pixel, for sub-pixel positions
			cover := math.Max(0, math.Min(float64(xx+1), x+12)-math.Max(float64(xx), x))
			if yy >= 18 && yy < 30 {
				v = v*(1-cover) + 230*cover
			}
			p.Pix[yy*w+xx] = float32(v)
		}
	}
	return p
}

// boxBlur blurs a 1-channel Planar with a (2r+1)² box, edges replicated.
func boxBlur(p *Planar, r int) *Planar {
	out := &Planar{W: p.W, H: p.H, C: 1, Pix: make([]float32, len(p.Pix))}
	for y := 0; y < p.H; y++ {
		for x := 0; x < p.W; x++ {
			var s float32
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					xx, yy := min(max(x+dx, 0), p.W-1), min(max(y+dy, 0), p.H-1)
					s += p.Pix[yy*p.W+xx]
				}
			}
			out.Pix[y*p.W+x] = s / float32((2*r+1)*(2*r+1))
		}
	}
	return out
}

// A sharp square moving by 3 pixels scores 1 when the output is the input
// frame, less when it is blurred or a ghost of both positions, and about 0
// when it lags behind (the previous frame).
func TestMotionFidelityRanksSharpBlurredLagging(t *testing.T) {
	prev, cur := squareScene(20), squareScene(23)
	score := func(out *Planar) MotionScore {
		t.Helper()
		s, err := MotionFidelity{}.Score(prev, cur, out)
		require.NoError(t, err)
		return s
	}
	sharp := score(cur)
	assert.InDelta(t, 1, sharp.Score, 1e-12)
	// the square's left and right edges move: 3 changed columns on each
	// side, 12 rows, dilated by 2 pixels
	assert.Equal(t, 2*(3+4)*(12+4), sharp.Moving)

	blurred := score(boxBlur(cur, 2))
	lagging := score(prev)
	ghost := &Planar{W: cur.W, H: cur.H, C: 1, Pix: make([]float32, len(cur.Pix))}
	for i := range ghost.Pix {
		ghost.Pix[i] = (prev.Pix[i] + cur.Pix[i]) / 2
	}
	ghosted := score(ghost)
	t.Logf("sharp %.3f  blurred %.3f  ghost %.3f  lagging %.3f", sharp.Score, blurred.Score, ghosted.Score, lagging.Score)
	assert.Less(t, blurred.Score, 0.8)
	assert.Less(t, ghosted.Score, 0.8)
	assert.Less(t, lagging.Score, 0.2)
	assert.Less(t, lagging.Score, ghosted.Score) // half there beats not there

	// contrast and brightness do not matter: a darker, lower-contrast copy
	// of the input is as faithful
	dim := &Planar{W: cur.W, H: cur.H, C: 1, Pix: make([]float32, len(cur.Pix))}
	for i, v := range cur.Pix {
		dim.Pix[i] = 0.4*v + 10
	}
	assert.InDelta(t, 1, score(dim).Score, 1e-9)
}

func TestMotionFidelityNothingMoves(t *testing.T) {
	still := squareScene(20)
	s, err := MotionFidelity{}.Score(still, still, still)
	require.NoError(t, err)
	assert.Zero(t, s.Moving)
	assert.True(t, math.IsNaN(s.Score))
}

func TestMotionFidelityErrors(t *testing.T) {
	a := squareScene(20)
	small := &Planar{W: 8, H: 8, C: 1, Pix: make([]float32, 64)}
	_, err := MotionFidelity{}.Score(a, a, small)
	assert.ErrorContains(t, err, "video: motion fidelity of frames of 64×48, 64×48 and an output of 8×8")
	two := &Planar{W: 64, H: 48, C: 2, Pix: make([]float32, 2*64*48)}
	_, err = MotionFidelity{}.Score(a, a, two)
	assert.ErrorContains(t, err, "2 channels, want 1 or 3")
	_, err = MotionFidelity{Threshold: -1}.Score(a, a, a)
	assert.ErrorContains(t, err, "motion threshold -1, want ≥ 0")
	_, err = MotionFidelity{}.Score(a, a, &Planar{W: 64, H: 48, C: 1})
	assert.ErrorContains(t, err, "video: image of 64×48×1 with 0 values")
}
