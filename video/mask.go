package video

import (
	"fmt"
	"math"
)

// Consistency returns the mask of the pixels of frame t whose motion can be
// trusted, after Ruder et al. (section 3.1): 1 where the flow passes the
// forward–backward check, 0 elsewhere, as W × H values row by row.
//
// fwd is the flow from frame t−1 to frame t (at the pixels of t−1), bwd the
// flow from t to t−1 (at the pixels of t). With ŵ = bwd(x) and w̃ = fwd
// sampled at x + ŵ (Warp), a pixel x is
//   - disoccluded, and 0, when |w̃ + ŵ|² > 0.01 (|w̃|² + |ŵ|²) + 0.5: going
//     back and forth does not return to x;
//   - on a motion boundary, and 0, when |∇û|² + |∇v̂|² > 0.01 |ŵ|² + 0.002,
//     with central differences (one-sided at the image border);
//   - 0 when x + ŵ falls outside frame t−1;
//   - 1 otherwise.
func Consistency(fwd, bwd *Flow) ([]float32, error) {
	if fwd.W != bwd.W || fwd.H != bwd.H {
		return nil, fmt.Errorf("video: consistency of flows of %d×%d and %d×%d", fwd.W, fwd.H, bwd.W, bwd.H)
	}
	w, h := bwd.W, bwd.H
	back, err := Warp(&Planar{W: w, H: h, C: 2, Pix: fwd.UV}, bwd)
	if err != nil {
		return nil, err
	}
	// grad is the central difference of component c of bwd along one axis.
	at := func(x, y, c int) float64 { return float64(bwd.UV[2*(y*w+x)+c]) }
	diff := func(x, y, c int, dx, dy int) float64 {
		x0, y0, x1, y1 := x-dx, y-dy, x+dx, y+dy
		span := 2.0
		if x0 < 0 || y0 < 0 {
			x0, y0, span = x, y, 1
		}
		if x1 >= w || y1 >= h {
			x1, y1, span = x, y, span-1
		}
		if span == 0 { // a single pixel along this axis
			return 0
		}
		return (at(x1, y1, c) - at(x0, y0, c)) / span
	}
	mask := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			bu, bv := float64(bwd.UV[2*i]), float64(bwd.UV[2*i+1])
			sx, sy := float64(x)+bu, float64(y)+bv
			if sx < 0 || sy < 0 || sx > float64(w-1) || sy > float64(h-1) {
				continue
			}
			fu, fv := float64(back.Pix[2*i]), float64(back.Pix[2*i+1])
			su, sv := fu+bu, fv+bv
			if su*su+sv*sv > 0.01*(fu*fu+fv*fv+bu*bu+bv*bv)+0.5 {
				continue
			}
			ux, uy := diff(x, y, 0, 1, 0), diff(x, y, 0, 0, 1)
			vx, vy := diff(x, y, 1, 1, 0), diff(x, y, 1, 0, 1)
			if ux*ux+uy*uy+vx*vx+vy*vy > 0.01*(bu*bu+bv*bv)+0.002 {
				continue
			}
			mask[i] = 1
		}
	}
	return mask, nil
}

// Photometric clears, in a consistency mask of frame t (Consistency), the
// pixels whose flow does not carry frame t−1's colour to them: with prev and
// cur the input frames t−1 and t (3-channel Planar images on the 0–255
// scale) and bwd the backward flow from t to t−1, a pixel x is set to 0 when
// the grey level (0.299 R + 0.587 G + 0.114 B) of cur at x differs by more
// than threshold from that of prev warped by bwd (Warp) at x. The
// forward–backward check of Consistency passes where both flows agree on a
// wrong motion, as when they miss a walking person altogether; this check
// catches that. mask is modified in place.
func Photometric(mask []float32, prev, cur *Planar, bwd *Flow, threshold float64) error {
	if prev.C != 3 || cur.C != 3 || prev.W != cur.W || prev.H != cur.H || len(mask) != cur.W*cur.H {
		return fmt.Errorf("video: photometric check of frames of %d×%d×%d and %d×%d×%d with a mask of %d",
			prev.W, prev.H, prev.C, cur.W, cur.H, cur.C, len(mask))
	}
	warped, err := Warp(prev, bwd)
	if err != nil {
		return err
	}
	gw, gc := grey(warped), grey(cur)
	for i := range mask {
		if math.Abs(gc[i]-gw[i]) > threshold {
			mask[i] = 0
		}
	}
	return nil
}
