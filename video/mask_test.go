package video

import (
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A background that moves by (3, 2) pixels behind a square that stays
// still. Every pixel of the mask is known:
//   - background pixels whose source in the previous frame was hidden by
//     the square are disoccluded: 0;
//   - pixels whose source lies outside the previous frame: 0;
//   - pixels with a 4-neighbour on the other side of the square's edge sit
//     on a motion boundary (the central difference of the flow there is
//     1.5 pixel): 0;
//   - every other pixel, in the square or in the background: 1.
func TestConsistencyTranslationWithOccluder(t *testing.T) {
	const w, h, dx, dy = 24, 20, 3, 2
	square := image.Rect(8, 7, 14, 13)
	in := func(x, y int) bool { return image.Pt(x, y).In(square) }
	fwd, bwd := NewFlow(w, h), NewFlow(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 2 * (y*w + x)
			if !in(x, y) {
				fwd.UV[i], fwd.UV[i+1] = dx, dy
				bwd.UV[i], bwd.UV[i+1] = -dx, -dy
			}
		}
	}
	mask, err := Consistency(fwd, bwd)
	require.NoError(t, err)

	var counts [2]int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			want := float32(1)
			sx, sy := x-dx, y-dy
			switch {
			case in(x, y):
			case sx < 0 || sy < 0:
				want = 0
			case in(sx, sy):
				want = 0
			}
			for _, n := range []image.Point{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if n.In(image.Rect(0, 0, w, h)) && in(n.X, n.Y) != in(x, y) {
					want = 0
				}
			}
			counts[int(want)]++
			assert.Equal(t, want, mask[y*w+x], "pixel (%d, %d)", x, y)
		}
	}
	t.Logf("%d consistent pixels, %d not", counts[1], counts[0])
	assert.Greater(t, counts[0], 3*square.Dx())
}

func TestConsistencySizeMismatch(t *testing.T) {
	_, err := Consistency(NewFlow(4, 3), NewFlow(3, 4))
	assert.ErrorContains(t, err, "flows of 4×3 and 3×4")
}

// A square that moves 3 pixels right while the flow says nothing moved (as
// when the flow misses a walker): Photometric clears exactly the pixels
// whose grey level changed by more than the threshold, the columns the
// square left and the columns it entered, and keeps the rest.
func TestPhotometricCatchesMissedMotion(t *testing.T) {
	const w, h = 20, 12
	frame := func(x0 int) *Planar {
		p := &Planar{W: w, H: h, C: 3, Pix: make([]float32, 3*w*h)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := float32(60 + 3*x + 2*y) // a gentle ramp
				if x >= x0 && x < x0+6 && y >= 3 && y < 9 {
					v = 220
				}
				i := 3 * (y*w + x)
				p.Pix[i], p.Pix[i+1], p.Pix[i+2] = v, v, v
			}
		}
		return p
	}
	mask := make([]float32, w*h)
	for i := range mask {
		mask[i] = 1
	}
	require.NoError(t, Photometric(mask, frame(4), frame(7), NewFlow(w, h), 20))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			moved := y >= 3 && y < 9 && ((x >= 4 && x < 7) || (x >= 10 && x < 13))
			want := float32(1)
			if moved {
				want = 0
			}
			assert.Equal(t, want, mask[y*w+x], "(%d, %d)", x, y)
		}
	}
	// with the true flow (3 pixels right: the backward flow is −3 on the
	// square) the pixels of the square pass
	bwd := NewFlow(w, h)
	for y := 3; y < 9; y++ {
		for x := 7; x < 13; x++ {
			bwd.UV[2*(y*w+x)] = -3
		}
	}
	for i := range mask {
		mask[i] = 1
	}
	require.NoError(t, Photometric(mask, frame(4), frame(7), bwd, 20))
	for y := 3; y < 9; y++ {
		for x := 7; x < 13; x++ {
			assert.Equal(t, float32(1), mask[y*w+x], "(%d, %d)", x, y)
		}
	}
	assert.ErrorContains(t, Photometric(mask[:5], frame(4), frame(7), bwd, 20), "video: photometric check of frames of 20×12×3 and 20×12×3 with a mask of 5")
}
