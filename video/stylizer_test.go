package video

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
)

var (
	modelOnce sync.Once
	model     *vgg.Model
	modelErr  error
)

// fixtureModel is the tiny VGG19-shaped network of package vgg's tests.
func fixtureModel(t testing.TB) *vgg.Model {
	t.Helper()
	modelOnce.Do(func() { model, modelErr = vgg.Load("../vgg/testdata/vgg19_new.mat") })
	require.NoError(t, modelErr)
	return model
}

// movingFrame is frame i of a clip: a smooth textured background that
// slides right by 2 pixels per frame behind a still bright square.
func movingFrame(i, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u := float64(x - 2*i)
			c := color.RGBA{uint8(128 + 90*math.Sin(u/5)), uint8(128 + 80*math.Cos(float64(y)/4+u/9)), uint8(90 + 60*math.Sin(float64(x+y-2*i)/7)), 255}
			if x >= w/3 && x < w/2 && y >= h/3 && y < 2*h/3 {
				c = color.RGBA{240, 230, 60, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func stripes(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x+2*y)/3%2 == 0 {
				img.SetRGBA(x, y, color.RGBA{20, 40, 200, 255})
			} else {
				img.SetRGBA(x, y, color.RGBA{240, 200, 30, 255})
			}
		}
	}
	return img
}

func newStylizer(t *testing.T, independent bool) (*Stylizer, *style.Transferer) {
	t.Helper()
	tr, err := style.NewTransferer(style.WithModel(fixtureModel(t)), style.WithThreads(2, 1))
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	s, err := NewStylizer(tr, Config{Style: stripes(32, 32), MaxSize: 48, FirstFrameIterations: 30, Iterations: 15,
		TemporalWeight: 1e4, Independent: independent})
	require.NoError(t, err)
	return s, tr
}

// Four frames end to end on the fixture network, in video mode and frame by
// frame: every frame is stylized at the working size, and video mode's
// outputs follow the motion more closely (a lower warping error).
func TestStylizerFourFrames(t *testing.T) {
	const n = 4
	var errs [2]float64
	var outs [2][]*image.RGBA
	for mode, independent := range []bool{false, true} {
		s, _ := newStylizer(t, independent)
		var iters []int
		for i := 1; i <= n; i++ {
			f, err := s.Next(context.Background(), movingFrame(i, 96, 64))
			require.NoError(t, err)
			assert.Equal(t, i, f.Index)
			assert.Equal(t, image.Rect(0, 0, 48, 32), f.Image.Bounds())
			iters = append(iters, f.Result.Iterations)
			if i == 1 {
				assert.Nil(t, f.Mask)
				assert.True(t, math.IsNaN(f.WarpingError))
				assert.Zero(t, f.Result.History[0].Terms)
				continue
			}
			assert.InDelta(t, 0.85, f.Consistent, 0.15, "most pixels move consistently")
			if !independent {
				assert.Greater(t, f.Result.History[0].Terms, 0.0, "the temporal loss is on")
			} else {
				assert.Zero(t, f.Result.History[0].Terms)
			}
			errs[mode] += f.WarpingError / (n - 1)
			outs[mode] = append(outs[mode], f.Image)
		}
		assert.Equal(t, 4, s.Done())
		assert.LessOrEqual(t, iters[0], 30)
		assert.Greater(t, iters[0], 15)
		for _, it := range iters[1:] {
			assert.LessOrEqual(t, it, 15)
		}
	}
	t.Logf("mean warping error: video mode %.2f, frame by frame %.2f", errs[0], errs[1])
	assert.Less(t, errs[0], 0.5*errs[1])
}

// Every frame, the first and the later ones, runs under style's
// convergence rule (Config.Options, or style.DefaultConvergence when none
// is given): with a rule that any picture meets, each frame stops at the
// rule's first comparison and says so; with the rule off each frame runs
// its full count.
func TestStylizerConvergence(t *testing.T) {
	loose := style.Convergence{Window: 4, MaxChange: 1e6} // met at the first comparison, iteration 8
	for _, tc := range []struct {
		name  string
		opts  []style.Option
		iters []int
		stop  style.StopReason
	}{
		{"a rule every picture meets", []style.Option{style.WithConvergence(loose)}, []int{8, 8, 8}, style.StopConverged},
		{"the rule off", []style.Option{style.WithConvergence(style.Convergence{})}, []int{30, 15, 15}, style.StopLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := style.NewTransferer(style.WithModel(fixtureModel(t)), style.WithThreads(2, 1))
			require.NoError(t, err)
			defer tr.Close()
			s, err := NewStylizer(tr, Config{Style: stripes(32, 32), MaxSize: 48, FirstFrameIterations: 30, Iterations: 15,
				TemporalWeight: 1e4, Options: tc.opts})
			require.NoError(t, err)
			for i, want := range tc.iters {
				f, err := s.Next(context.Background(), movingFrame(i+1, 96, 64))
				require.NoError(t, err)
				assert.Equal(t, want, f.Result.Iterations, "frame %d", i+1)
				assert.Equal(t, tc.stop, f.Result.Stop, "frame %d", i+1)
			}
		})
	}
}

// Resume continues exactly where an uninterrupted run would be.
func TestStylizerResume(t *testing.T) {
	s, _ := newStylizer(t, false)
	var outs []*image.RGBA
	for i := 1; i <= 3; i++ {
		f, err := s.Next(context.Background(), movingFrame(i, 96, 64))
		require.NoError(t, err)
		outs = append(outs, f.Image)
	}
	r, _ := newStylizer(t, false)
	require.NoError(t, r.Resume(2, movingFrame(2, 96, 64), outs[1]))
	assert.Equal(t, 2, r.Done())
	f, err := r.Next(context.Background(), movingFrame(3, 96, 64))
	require.NoError(t, err)
	assert.Equal(t, 3, f.Index)
	assert.Equal(t, outs[2].Pix, f.Image.Pix)
}

func TestStylizerErrors(t *testing.T) {
	s, tr := newStylizer(t, false)
	_, err := s.Next(context.Background(), movingFrame(1, 96, 64))
	require.NoError(t, err)
	_, err = s.Next(context.Background(), movingFrame(2, 64, 64))
	assert.ErrorContains(t, err, "frame 2 is 64×64 (48×48 at max size 48), the frames before it are 48×32 there")
	assert.Equal(t, 1, s.Done())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Next(ctx, movingFrame(2, 96, 64))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, s.Done(), "a failed frame leaves the state as it was")

	assert.ErrorContains(t, s.Resume(2, movingFrame(2, 96, 64), stripes(10, 10)), "the stylized frame 2 is 10×10, want 48×32")
	for _, tc := range []struct {
		cfg Config
		msg string
	}{
		{Config{}, "Config.Style"},
		{Config{Style: stripes(8, 8), TemporalWeight: math.NaN()}, "TemporalWeight NaN"},
		{Config{Style: stripes(8, 8), Iterations: -1}, "iterations -1"},
		{Config{Style: stripes(8, 8), MaxSize: -3}, "MaxSize -3"},
		{Config{Style: stripes(8, 8), FlowMaxSize: -1}, "Config.FlowMaxSize -1, want ≥ 0"},
		{Config{Style: stripes(8, 8), WarmStart: 7}, "Config.WarmStart 7"},
		{Config{Style: stripes(8, 8), PhotometricThreshold: math.Inf(1)}, "Config.PhotometricThreshold +Inf"},
	} {
		_, err := NewStylizer(tr, tc.cfg)
		assert.ErrorContains(t, err, tc.msg)
	}
	_, err = NewStylizer(nil, Config{Style: stripes(8, 8)})
	assert.ErrorContains(t, err, "nil style.Transferer")
}
