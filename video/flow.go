package video

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// Flow is a dense optical flow field of W × H pixels: the pixel (x, y) of
// the first image moves to (x + U, y + V) in the second, with U and V in
// pixels. UV holds U and V interleaved, row by row: UV[2(y·W+x)] is U at
// (x, y) and UV[2(y·W+x)+1] is V.
type Flow struct {
	W, H int
	UV   []float32
}

// NewFlow returns a zero flow of w × h pixels.
func NewFlow(w, h int) *Flow { return &Flow{W: w, H: h, UV: make([]float32, 2*w*h)} }

// At returns the flow vector at (x, y).
func (f *Flow) At(x, y int) (u, v float32) {
	i := 2 * (y*f.W + x)
	return f.UV[i], f.UV[i+1]
}

// Resize returns the flow resampled to w × h pixels (bilinear, OpenCV's
// resize), with its vectors scaled by the same factors, so that it describes
// the same motion in the resized frames.
func (f *Flow) Resize(w, h int) (*Flow, error) {
	if w == f.W && h == f.H {
		return &Flow{W: w, H: h, UV: append([]float32(nil), f.UV...)}, nil
	}
	src, err := f.mat()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst := gocv.NewMat()
	defer dst.Close()
	gocv.Resize(src, &dst, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
	out, err := flowFromMat(dst)
	if err != nil {
		return nil, err
	}
	sx, sy := float32(w)/float32(f.W), float32(h)/float32(f.H)
	for i := 0; i < len(out.UV); i += 2 {
		out.UV[i] *= sx
		out.UV[i+1] *= sy
	}
	return out, nil
}

// mat returns a CV_32FC2 Mat on the flow's values (it shares f.UV); the
// caller closes it.
func (f *Flow) mat() (gocv.Mat, error) {
	if f.W <= 0 || f.H <= 0 || len(f.UV) != 2*f.W*f.H {
		return gocv.Mat{}, fmt.Errorf("video: flow of %d×%d with %d values, want %d", f.W, f.H, len(f.UV), 2*f.W*f.H)
	}
	return gocv.NewMatFromBytes(f.H, f.W, gocv.MatTypeCV32FC2, float32Bytes(f.UV))
}

// flowFromMat copies a CV_32FC2 Mat into a Flow.
func flowFromMat(m gocv.Mat) (*Flow, error) {
	if m.Type() != gocv.MatTypeCV32FC2 {
		return nil, fmt.Errorf("video: flow Mat of type %v, want CV_32FC2", m.Type())
	}
	data, err := m.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("video: reading the flow: %w", err)
	}
	return &Flow{W: m.Cols(), H: m.Rows(), UV: append([]float32(nil), data...)}, nil
}

// FlowMethod computes the optical flow from one frame to the next.
// Implementations: DIS, Farneback, and FlowFiles for precomputed flow.
type FlowMethod interface {
	// Flow returns the flow from frame a to frame b, both w × h. index is
	// the 1-based number of frame b in the sequence (frame a is index−1,
	// backward flows have a and b swapped and backward set); methods that
	// compute the flow ignore it.
	Flow(a, b *Gray, index int, backward bool) (*Flow, error)
	// String names the method, as the -flow flag takes it.
	String() string
}

// Gray is an 8-bit grey-level image of W × H pixels, row by row: the input
// of the flow methods.
type Gray struct {
	W, H int
	Pix  []uint8
}

// ToGray converts img to grey levels with OpenCV's weights (0.299 R +
// 0.587 G + 0.114 B, rounded), the conversion cv2.cvtColor does.
func ToGray(img image.Image) (*Gray, error) {
	rgba := imageio.ToRGBA(img)
	b := rgba.Bounds()
	m, err := gocv.NewMatFromBytes(b.Dy(), b.Dx(), gocv.MatTypeCV8UC4, rgba.Pix)
	if err != nil {
		return nil, fmt.Errorf("video: converting a frame: %w", err)
	}
	defer m.Close()
	g := gocv.NewMat()
	defer g.Close()
	gocv.CvtColor(m, &g, gocv.ColorRGBAToGray)
	return &Gray{W: g.Cols(), H: g.Rows(), Pix: append([]uint8(nil), g.ToBytes()...)}, nil
}

func (g *Gray) mat() (gocv.Mat, error) {
	if g.W <= 0 || g.H <= 0 || len(g.Pix) != g.W*g.H {
		return gocv.Mat{}, fmt.Errorf("video: grey image of %d×%d with %d pixels", g.W, g.H, len(g.Pix))
	}
	return gocv.NewMatFromBytes(g.H, g.W, gocv.MatTypeCV8UC1, g.Pix)
}

func sameSize(a, b *Gray) error {
	if a.W != b.W || a.H != b.H {
		return fmt.Errorf("video: flow between frames of %d×%d and %d×%d", a.W, a.H, b.W, b.H)
	}
	return nil
}

// Farneback is OpenCV's dense flow of Farnebäck (2003), cv::calcOpticalFlowFarneback,
// with the parameters of OpenCV's own samples (pyramid scale 0.5, 3
// levels, window 15, 3 iterations, polynomial of 5 pixels, σ 1.2). It is
// three times slower than DIS at the medium preset and smoother.
type Farneback struct{}

// Flow implements FlowMethod.
func (Farneback) Flow(a, b *Gray, _ int, _ bool) (*Flow, error) {
	if err := sameSize(a, b); err != nil {
		return nil, err
	}
	ma, err := a.mat()
	if err != nil {
		return nil, err
	}
	defer ma.Close()
	mb, err := b.mat()
	if err != nil {
		return nil, err
	}
	defer mb.Close()
	out := gocv.NewMat()
	defer out.Close()
	gocv.CalcOpticalFlowFarneback(ma, mb, &out, 0.5, 3, 15, 3, 5, 1.2, 0)
	return flowFromMat(out)
}

// String returns "farneback".
func (Farneback) String() string { return "farneback" }

var (
	_ FlowMethod = Farneback{}
	_ FlowMethod = DIS{}
	_ FlowMethod = FlowFiles{}
)
