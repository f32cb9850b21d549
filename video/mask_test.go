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
