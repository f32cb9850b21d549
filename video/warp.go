package video

import (
	"fmt"
	"image/color"

	"gocv.io/x/gocv"
)

// Planar is a float32 image of W × H pixels and C channels (1 to 4),
// interleaved row by row: Pix[(y·W+x)·C+c]. Frames on the 0–255 scale, flows
// (C = 2) and masks (C = 1) are all Planar when warped.
type Planar struct {
	W, H, C int
	Pix     []float32
}

func (p *Planar) check() error {
	if p.W <= 0 || p.H <= 0 || p.C < 1 || p.C > 4 || len(p.Pix) != p.W*p.H*p.C {
		return fmt.Errorf("video: image of %d×%d×%d with %d values", p.W, p.H, p.C, len(p.Pix))
	}
	return nil
}

// Warp samples src along flow: out(x, y) = src(x + u, y + v), with (u, v)
// the flow at (x, y), bilinear between pixels (OpenCV's remap, whose
// interpolation weights have a resolution of 1/32 pixel) and clamped to the
// nearest edge pixel outside the image. To carry the stylized frame t−1 to
// frame t, flow is the backward flow from t to t−1.
func Warp(src *Planar, flow *Flow) (*Planar, error) {
	if err := src.check(); err != nil {
		return nil, err
	}
	if flow.W != src.W || flow.H != src.H || len(flow.UV) != 2*flow.W*flow.H {
		return nil, fmt.Errorf("video: warping a %d×%d image by a flow of %d×%d", src.W, src.H, flow.W, flow.H)
	}
	n := src.W * src.H
	mx, my := make([]float32, n), make([]float32, n)
	for y := 0; y < src.H; y++ {
		for x := 0; x < src.W; x++ {
			i := y*src.W + x
			mx[i] = float32(x) + flow.UV[2*i]
			my[i] = float32(y) + flow.UV[2*i+1]
		}
	}
	in, err := gocv.NewMatFromBytes(src.H, src.W, gocv.MatTypeCV32F+gocv.MatType((src.C-1)<<3), float32Bytes(src.Pix))
	if err != nil {
		return nil, fmt.Errorf("video: warp: %w", err)
	}
	defer in.Close()
	m1, err := gocv.NewMatFromBytes(src.H, src.W, gocv.MatTypeCV32F, float32Bytes(mx))
	if err != nil {
		return nil, fmt.Errorf("video: warp: %w", err)
	}
	defer m1.Close()
	m2, err := gocv.NewMatFromBytes(src.H, src.W, gocv.MatTypeCV32F, float32Bytes(my))
	if err != nil {
		return nil, fmt.Errorf("video: warp: %w", err)
	}
	defer m2.Close()
	out := gocv.NewMat()
	defer out.Close()
	gocv.Remap(in, &out, &m1, &m2, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	data, err := out.DataPtrFloat32()
	if err != nil || len(data) != len(src.Pix) {
		return nil, fmt.Errorf("video: warp: OpenCV returned %d values, want %d (%v)", len(data), len(src.Pix), err)
	}
	return &Planar{W: src.W, H: src.H, C: src.C, Pix: append([]float32(nil), data...)}, nil
}
