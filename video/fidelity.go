package video

import (
	"fmt"
	"math"
)

// Defaults of MotionFidelity.
const (
	// DefaultMotionThreshold is the grey-level difference (0–255) between
	// two consecutive input frames above which a pixel counts as moving.
	DefaultMotionThreshold = 20
	// DefaultMotionDilation is the radius in pixels of the square by which
	// the moving pixels are dilated, so that both sides of a moving edge
	// are scored.
	DefaultMotionDilation = 2
)

// MotionFidelity measures how sharply an output frame renders the moving
// objects of its input, from the input frames alone: unlike WarpingError it
// uses no optical flow, so a flow that misses a walker cannot hide the smear
// it causes.
//
// The moving pixels of frame t are those whose grey level (OpenCV's
// weights, as ToGray) differs from frame t−1's by more than Threshold,
// dilated by a (2·Dilation+1)² square. On them, Score correlates the Sobel
// gradient magnitude of the output with that of the input frame t (Pearson's
// correlation): 1 when the output's edges rise and fall with the input's
// (whatever their contrast), about 0 when they are unrelated, as where a
// moving person is smeared or left behind. Sobel uses the 3×3 kernels with
// the edge pixels replicated.
//
// The zero value uses the defaults. A MotionFidelity is a value and safe for
// concurrent use.
type MotionFidelity struct {
	// Threshold is the grey-level difference (0–255) above which a pixel
	// moves. Default DefaultMotionThreshold.
	Threshold float64
	// Dilation is the radius in pixels of the dilation of the moving
	// pixels. Default DefaultMotionDilation; a negative value means none.
	Dilation int
}

// MotionScore is the score of one frame.
type MotionScore struct {
	// Score is the correlation (−1 to 1) of the output's and the input's
	// edge magnitudes on the moving pixels; NaN when no pixel moves or
	// either magnitude is constant there.
	Score float64
	// Moving is the number of moving pixels (after dilation).
	Moving int
}

// Score scores out, the stylized frame t, against the input frames t−1
// (prevIn) and t (curIn). All three are W × H Planar images on the 0–255
// scale with 1 (grey) or 3 (RGB) channels.
func (m MotionFidelity) Score(prevIn, curIn, out *Planar) (MotionScore, error) {
	for _, p := range []*Planar{prevIn, curIn, out} {
		if err := p.check(); err != nil {
			return MotionScore{}, err
		}
		if p.C != 1 && p.C != 3 {
			return MotionScore{}, fmt.Errorf("video: motion fidelity of an image of %d channels, want 1 or 3", p.C)
		}
	}
	w, h := curIn.W, curIn.H
	if prevIn.W != w || prevIn.H != h || out.W != w || out.H != h {
		return MotionScore{}, fmt.Errorf("video: motion fidelity of frames of %d×%d, %d×%d and an output of %d×%d",
			prevIn.W, prevIn.H, w, h, out.W, out.H)
	}
	threshold := m.Threshold
	if math.IsNaN(threshold) || threshold < 0 {
		return MotionScore{}, fmt.Errorf("video: motion threshold %g, want ≥ 0", threshold)
	}
	if threshold == 0 {
		threshold = DefaultMotionThreshold
	}
	r := m.Dilation
	if r == 0 {
		r = DefaultMotionDilation
	}
	g0, g1, go_ := grey(prevIn), grey(curIn), grey(out)
	moving := make([]bool, w*h)
	for i := range moving {
		moving[i] = math.Abs(g1[i]-g0[i]) > threshold
	}
	if r > 0 {
		moving = dilate(moving, w, h, r)
	}
	ein, eout := sobel(g1, w, h), sobel(go_, w, h)
	var n int
	var sa, sb float64
	for i, mv := range moving {
		if mv {
			n++
			sa += ein[i]
			sb += eout[i]
		}
	}
	if n == 0 {
		return MotionScore{Score: math.NaN()}, nil
	}
	ma, mb := sa/float64(n), sb/float64(n)
	var sab, saa, sbb float64
	for i, mv := range moving {
		if mv {
			a, b := ein[i]-ma, eout[i]-mb
			sab += a * b
			saa += a * a
			sbb += b * b
		}
	}
	if saa == 0 || sbb == 0 {
		return MotionScore{Score: math.NaN(), Moving: n}, nil
	}
	return MotionScore{Score: sab / math.Sqrt(saa*sbb), Moving: n}, nil
}

// grey returns p's grey levels: p itself for one channel, 0.299 R + 0.587 G
// + 0.114 B for three (unrounded).
func grey(p *Planar) []float64 {
	n := p.W * p.H
	g := make([]float64, n)
	for i := 0; i < n; i++ {
		if p.C == 1 {
			g[i] = float64(p.Pix[i])
			continue
		}
		g[i] = 0.299*float64(p.Pix[3*i]) + 0.587*float64(p.Pix[3*i+1]) + 0.114*float64(p.Pix[3*i+2])
	}
	return g
}

// dilate returns the mask grown by a (2r+1)² square.
func dilate(m []bool, w, h, r int) []bool {
	rows := make([]bool, len(m)) // horizontal pass, then vertical
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for dx := -r; dx <= r; dx++ {
				if xx := x + dx; xx >= 0 && xx < w && m[y*w+xx] {
					rows[y*w+x] = true
					break
				}
			}
		}
	}
	out := make([]bool, len(m))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for dy := -r; dy <= r; dy++ {
				if yy := y + dy; yy >= 0 && yy < h && rows[yy*w+x] {
					out[y*w+x] = true
					break
				}
			}
		}
	}
	return out
}

// sobel returns the gradient magnitude √(gx² + gy²) of g with the 3×3 Sobel
// kernels, edge pixels replicated.
func sobel(g []float64, w, h int) []float64 {
	at := func(x, y int) float64 {
		x = min(max(x, 0), w-1)
		y = min(max(y, 0), h-1)
		return g[y*w+x]
	}
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gx := at(x+1, y-1) + 2*at(x+1, y) + at(x+1, y+1) - at(x-1, y-1) - 2*at(x-1, y) - at(x-1, y+1)
			gy := at(x-1, y+1) + 2*at(x, y+1) + at(x+1, y+1) - at(x-1, y-1) - 2*at(x, y-1) - at(x+1, y-1)
			out[y*w+x] = math.Hypot(gx, gy)
		}
	}
	return out
}
