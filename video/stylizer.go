package video

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"time"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/style"
)

// Defaults of Config, neural-style-tf's where it has them.
const (
	// DefaultTemporalWeight weighs the temporal loss for the library's
	// default network and weights (the installed ImageNet VGG16, content 5,
	// style 1e4), where it makes the temporal term a few percent of the
	// loss (docs/video.md has the measurements). neural-style-tf's
	// --temporal_weight, 200, is made negligible by these style losses;
	// scale it with the style loss when other weights or layers are used.
	DefaultTemporalWeight = 2e8
	// DefaultIterations is the iteration count of the frames after the
	// first (neural-style-tf: --frame_iterations 800; less here, as the
	// warm start does most of the work).
	DefaultIterations = 100
	// DefaultFirstFrameIterations is the iteration count of the first
	// frame (neural-style-tf: --first_frame_iterations 2000).
	DefaultFirstFrameIterations = 300
	// DefaultPhotometricThreshold is Config.PhotometricThreshold's
	// default, in grey levels (0–255).
	DefaultPhotometricThreshold = 20
)

// WarmStart selects the image a frame after the first starts from.
type WarmStart int

const (
	// WarmStartMasked starts from the previous output warped by the flow
	// where the consistency mask is 1 and from the frame itself (the
	// content image) where it is 0, so that disoccluded pixels and pixels
	// whose flow failed do not start from a smeared warp. The default.
	WarmStartMasked WarmStart = iota
	// WarmStartWarped starts from the warped previous output everywhere, as
	// Ruder et al. and neural-style-tf do.
	WarmStartWarped
)

// Config configures a Stylizer. The zero value of every field means its
// default.
type Config struct {
	// Style is the style image. Required.
	Style image.Image
	// MaxSize is the longest side of the output frames in pixels; frames
	// are resized to it before the flow is computed. Default
	// style.DefaultMaxSize.
	MaxSize int
	// FirstFrameIterations is the iteration count of the first frame, which
	// starts from style's initial image (WithInit); Iterations that of every
	// later frame. Defaults DefaultFirstFrameIterations and
	// DefaultIterations.
	FirstFrameIterations, Iterations int
	// TemporalWeight weighs the temporal loss (TemporalTerm) against the
	// content, style and TV terms. Default DefaultTemporalWeight; to turn
	// the loss off, use Independent.
	TemporalWeight float64
	// Flow computes the optical flow between consecutive frames. Default
	// DIS{Preset: DISMedium}.
	Flow FlowMethod
	// FlowMaxSize is the longest side in pixels of the frames the flow is
	// computed on; the flow is then resized to the working size (MaxSize)
	// with its vectors scaled (Flow.Resize). Frames are never enlarged for
	// the flow: the default, 0, computes it at the input frames' own size,
	// where a walking person is wide enough for the flow to follow; a value
	// ≤ MaxSize computes it at the working size.
	FlowMaxSize int
	// WarmStart is where frames after the first start. Default
	// WarmStartMasked.
	WarmStart WarmStart
	// PhotometricThreshold, in grey levels (0–255), adds a check to the
	// consistency mask: a pixel whose grey level in the frame differs by
	// more than this from the previous frame's warped by the flow is 0 (the
	// flow missed its motion, as when it passes over a walking person).
	// Default DefaultPhotometricThreshold; negative turns the check off.
	PhotometricThreshold float64
	// Independent stylizes every frame on its own, from style's initial
	// image and without the temporal loss: the frame-by-frame baseline that
	// video mode is measured against. The flow is still computed, for
	// Frame.WarpingError.
	Independent bool
	// Options are applied to every frame's transfer, before the Stylizer's
	// own WithMaxSize, WithIterations, WithTerms and WithInitImage.
	Options []style.Option
	// Progress, when not nil, is called after every iteration of every
	// frame; returning an error stops the frame, as style.WithProgress.
	Progress func(Progress) error
}

// Progress reports one iteration of one frame.
type Progress struct {
	// Frame is the 1-based number of the frame being stylized.
	Frame int
	// Style is style's report of the iteration; Style.Terms is the
	// weighted temporal loss.
	Style style.Progress
}

// Frame is one stylized frame.
type Frame struct {
	// Index is the 1-based number of the frame.
	Index int
	// Image is the stylized frame, MaxSize on its longest side.
	Image *image.RGBA
	// Result is style's result for the frame (losses, iterations).
	Result *style.Result
	// Mask is the consistency mask of the frame (Consistency, then
	// Photometric unless Config.PhotometricThreshold turns it off), nil for
	// the first frame; Consistent the fraction of its pixels that are 1.
	Mask       []float32
	Consistent float64
	// WarpingError is the temporal error of the output: WarpingError of
	// the previous output and this one, NaN for the first frame.
	WarpingError float64
	// Elapsed is the frame's wall time, flow included.
	Elapsed time.Duration
}

// Stylizer stylizes the frames of one video in order, each starting from the
// previous output warped by the optical flow (Ruder et al.). It drives a
// style.Transferer, which keeps one graph for all frames. A Stylizer is not
// safe for concurrent use.
type Stylizer struct {
	t        *style.Transferer
	cfg      Config
	mean     [3]float32
	index    int // frames stylized (or resumed) so far
	w, h     int
	prevGray *Gray   // the previous input at the flow's size
	prevIn   *Planar // the previous input at the working size
	prevOut  *Planar
}

// NewStylizer returns a Stylizer that runs its transfers on t (which the
// caller keeps and closes).
func NewStylizer(t *style.Transferer, cfg Config) (*Stylizer, error) {
	if t == nil {
		return nil, errors.New("video: nil style.Transferer")
	}
	if cfg.Style == nil || cfg.Style.Bounds().Empty() {
		return nil, errors.New("video: Config.Style is nil or empty")
	}
	switch {
	case cfg.MaxSize < 0:
		return nil, fmt.Errorf("video: Config.MaxSize %d, want > 0", cfg.MaxSize)
	case cfg.MaxSize == 0:
		cfg.MaxSize = style.DefaultMaxSize
	}
	if cfg.Iterations < 0 || cfg.FirstFrameIterations < 0 {
		return nil, fmt.Errorf("video: iterations %d and first-frame iterations %d, want ≥ 1", cfg.Iterations, cfg.FirstFrameIterations)
	}
	if cfg.Iterations == 0 {
		cfg.Iterations = DefaultIterations
	}
	if cfg.FirstFrameIterations == 0 {
		cfg.FirstFrameIterations = DefaultFirstFrameIterations
	}
	if math.IsNaN(cfg.TemporalWeight) || math.IsInf(cfg.TemporalWeight, 0) || cfg.TemporalWeight < 0 {
		return nil, fmt.Errorf("video: Config.TemporalWeight %g, want a finite weight ≥ 0", cfg.TemporalWeight)
	}
	if cfg.TemporalWeight == 0 {
		cfg.TemporalWeight = DefaultTemporalWeight
	}
	if cfg.Flow == nil {
		cfg.Flow = DIS{Preset: DISMedium}
	}
	if cfg.FlowMaxSize < 0 {
		return nil, fmt.Errorf("video: Config.FlowMaxSize %d, want ≥ 0", cfg.FlowMaxSize)
	}
	if cfg.WarmStart != WarmStartMasked && cfg.WarmStart != WarmStartWarped {
		return nil, fmt.Errorf("video: Config.WarmStart %d, want WarmStartMasked or WarmStartWarped", cfg.WarmStart)
	}
	switch th := cfg.PhotometricThreshold; {
	case math.IsNaN(th) || math.IsInf(th, 0):
		return nil, fmt.Errorf("video: Config.PhotometricThreshold %g, want a finite threshold", th)
	case th == 0:
		cfg.PhotometricThreshold = DefaultPhotometricThreshold
	}
	return &Stylizer{t: t, cfg: cfg, mean: t.Model().MeanPixel()}, nil
}

// Done returns the number of frames stylized or resumed so far.
func (s *Stylizer) Done() int { return s.index }

// Resume makes the Stylizer continue after frame index, as if it had
// stylized it: input is that frame as read and output the stylized frame
// written then. The next call of Next stylizes frame index+1.
func (s *Stylizer) Resume(index int, input, output image.Image) error {
	if index < 1 {
		return fmt.Errorf("video: resume after frame %d, want ≥ 1", index)
	}
	in, err := s.fit(input)
	if err != nil {
		return err
	}
	b := in.Bounds()
	if output == nil || output.Bounds().Dx() != b.Dx() || output.Bounds().Dy() != b.Dy() {
		var ob image.Rectangle
		if output != nil {
			ob = output.Bounds()
		}
		return fmt.Errorf("video: resume: the stylized frame %d is %d×%d, want %d×%d at max size %d", index, ob.Dx(), ob.Dy(), b.Dx(), b.Dy(), s.cfg.MaxSize)
	}
	gray, err := s.flowGray(input, in)
	if err != nil {
		return err
	}
	s.prevGray, s.prevIn, s.prevOut = gray, planarOf(in), PlanarOf(output)
	s.w, s.h = b.Dx(), b.Dy()
	s.index = index
	return nil
}

// fit resizes a frame to the working size and checks it against the
// first frame's.
func (s *Stylizer) fit(frame image.Image) (*image.RGBA, error) {
	if frame == nil || frame.Bounds().Empty() {
		return nil, fmt.Errorf("video: frame %d is empty", s.index+1)
	}
	img, err := imageio.Resize(frame, s.cfg.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("video: frame %d: %w", s.index+1, err)
	}
	b := img.Bounds()
	if s.w != 0 && (b.Dx() != s.w || b.Dy() != s.h) {
		fb := frame.Bounds()
		return nil, fmt.Errorf("video: frame %d is %d×%d (%d×%d at max size %d), the frames before it are %d×%d there",
			s.index+1, fb.Dx(), fb.Dy(), b.Dx(), b.Dy(), s.cfg.MaxSize, s.w, s.h)
	}
	return img, nil
}

// flowGray returns the grey levels the flow is computed on: frame at
// FlowMaxSize (at most its own size), or img, the frame at the working
// size, when that is no smaller.
func (s *Stylizer) flowGray(frame image.Image, img *image.RGBA) (*Gray, error) {
	fb := frame.Bounds()
	size := max(fb.Dx(), fb.Dy())
	if s.cfg.FlowMaxSize > 0 {
		size = min(size, s.cfg.FlowMaxSize)
	}
	if size <= s.cfg.MaxSize {
		return ToGray(img)
	}
	big, err := imageio.Resize(frame, size)
	if err != nil {
		return nil, fmt.Errorf("video: frame %d for the flow: %w", s.index+1, err)
	}
	return ToGray(big)
}

// Next stylizes the next frame. On an error (a cancelled ctx included) the
// Stylizer is unchanged, so the same frame can be given again.
func (s *Stylizer) Next(ctx context.Context, frame image.Image) (*Frame, error) {
	start := time.Now()
	img, err := s.fit(frame)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray, err := s.flowGray(frame, img)
	if err != nil {
		return nil, err
	}
	in := planarOf(img)
	index := s.index + 1
	out := &Frame{Index: index, WarpingError: math.NaN()}

	opts := append(append([]style.Option(nil), s.cfg.Options...), style.WithMaxSize(s.cfg.MaxSize))
	var bwd *Flow
	var warped *Planar
	if s.prevGray != nil {
		fwd, err := s.cfg.Flow.Flow(s.prevGray, gray, index, false)
		if err != nil {
			return nil, fmt.Errorf("video: forward flow into frame %d: %w", index, err)
		}
		if bwd, err = s.cfg.Flow.Flow(gray, s.prevGray, index, true); err != nil {
			return nil, fmt.Errorf("video: backward flow out of frame %d: %w", index, err)
		}
		if gray.W != w || gray.H != h {
			if fwd, err = fwd.Resize(w, h); err != nil {
				return nil, err
			}
			if bwd, err = bwd.Resize(w, h); err != nil {
				return nil, err
			}
		}
		if out.Mask, err = Consistency(fwd, bwd); err != nil {
			return nil, err
		}
		if s.cfg.PhotometricThreshold > 0 {
			if err := Photometric(out.Mask, s.prevIn, in, bwd, s.cfg.PhotometricThreshold); err != nil {
				return nil, err
			}
		}
		if warped, err = Warp(s.prevOut, bwd); err != nil {
			return nil, err
		}
		out.Consistent = mean(out.Mask)
	}
	iterations := s.cfg.FirstFrameIterations
	if index > 1 {
		iterations = s.cfg.Iterations
	}
	opts = append(opts, style.WithIterations(iterations))
	if !s.cfg.Independent {
		mask := out.Mask
		target := &Planar{W: w, H: h, C: 3, Pix: make([]float32, w*h*3)}
		if warped == nil {
			mask = make([]float32, w*h) // frame 1: a term of value 0, same graph
		} else {
			for i, v := range warped.Pix {
				target.Pix[i] = v - s.mean[i%3]
			}
			init := warped
			if s.cfg.WarmStart == WarmStartMasked {
				init = &Planar{W: w, H: h, C: 3, Pix: make([]float32, len(warped.Pix))}
				for i, v := range warped.Pix {
					m := mask[i/3]
					init.Pix[i] = m*v + (1-m)*in.Pix[i]
				}
			}
			opts = append(opts, style.WithInitImage(init.rgba()))
		}
		term, err := TemporalTerm(s.cfg.TemporalWeight, target, mask)
		if err != nil {
			return nil, err
		}
		opts = append(opts, style.WithTerms(term))
	}
	if s.cfg.Progress != nil {
		opts = append(opts, style.WithProgress(func(p style.Progress) error {
			return s.cfg.Progress(Progress{Frame: index, Style: p})
		}))
	}
	res, err := s.t.Transfer(ctx, img, s.cfg.Style, opts...)
	if err != nil {
		return nil, fmt.Errorf("video: frame %d: %w", index, err)
	}
	cur := planarOf(res.Image)
	if bwd != nil {
		if out.WarpingError, err = WarpingError(s.prevOut, cur, bwd, out.Mask); err != nil {
			return nil, err
		}
	}
	out.Image, out.Result = res.Image, res
	s.prevGray, s.prevIn, s.prevOut, s.index, s.w, s.h = gray, in, cur, index, w, h
	out.Elapsed = time.Since(start)
	return out, nil
}

// WarpingError is the temporal error between two consecutive outputs: the
// mean absolute difference, over the pixels where mask is 1 and the three
// channels, between cur and prev warped into cur's frame by bwd (the
// backward flow from cur's frame to prev's), on the 0–255 scale. Ruder et
// al. measure flicker this way; a static scene rendered the same twice has
// error 0. It is NaN when no pixel is consistent.
func WarpingError(prev, cur *Planar, bwd *Flow, mask []float32) (float64, error) {
	if prev.W != cur.W || prev.H != cur.H || prev.C != cur.C || len(mask) != cur.W*cur.H {
		return 0, fmt.Errorf("video: warping error of frames of %d×%d×%d and %d×%d×%d with a mask of %d",
			prev.W, prev.H, prev.C, cur.W, cur.H, cur.C, len(mask))
	}
	warped, err := Warp(prev, bwd)
	if err != nil {
		return 0, err
	}
	var sum float64
	var n int
	for i, m := range mask {
		if m < 1 {
			continue
		}
		for c := 0; c < cur.C; c++ {
			sum += math.Abs(float64(cur.Pix[i*cur.C+c] - warped.Pix[i*cur.C+c]))
		}
		n += cur.C
	}
	if n == 0 {
		return math.NaN(), nil
	}
	return sum / float64(n), nil
}

// PlanarOf returns img's RGB channels as a 3-channel Planar on the 0–255 scale.
func PlanarOf(img image.Image) *Planar { return planarOf(imageio.ToRGBA(img)) }

func planarOf(img *image.RGBA) *Planar {
	b := img.Bounds()
	p := &Planar{W: b.Dx(), H: b.Dy(), C: 3, Pix: make([]float32, 3*b.Dx()*b.Dy())}
	for y := 0; y < p.H; y++ {
		row := img.Pix[(y)*img.Stride:]
		for x := 0; x < p.W; x++ {
			for c := 0; c < 3; c++ {
				p.Pix[(y*p.W+x)*3+c] = float32(row[4*x+c])
			}
		}
	}
	return p
}

// rgba rounds a 3-channel Planar on the 0–255 scale to an image.
func (p *Planar) rgba() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	for i := 0; i < p.W*p.H; i++ {
		for c := 0; c < 3; c++ {
			img.Pix[4*i+c] = uint8(math.Round(math.Min(255, math.Max(0, float64(p.Pix[3*i+c])))))
		}
		img.Pix[4*i+3] = 255
	}
	return img
}

func mean(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}
