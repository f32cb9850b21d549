package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/preview"
	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
	"github.com/neuralstyle/neuralstyle/video"
)

// errUsage marks a bad command line (exit status 2).
var errUsage = errors.New("usage")

type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// testHookFrame, when a test sets it, is called after every frame written.
var testHookFrame func(*video.Frame)

type options struct {
	in, out, videoOut, styleFile, weights, flow string
	fps                                         float64
	frames, maxSize, iterations, firstIters     int
	temporalWeight                              float64
	flowSize                                    int
	warmStart                                   string
	photometric                                 float64
	independent, resume, quiet                  bool
	contentWeight, styleWeight, tvWeight, lr    float64
	contentLayers, styleLayers, pooling, init   string
	optimizer, threads                          string
	preview                                     string
}

func newFlagSet() (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("video", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.in, "in", "", "input: a video `file` OpenCV reads (.avi, .mp4, …) or a folder of frames; required")
	fs.StringVar(&o.out, "out", "", "output `folder` for frame_00001.png, …; created if missing; required")
	fs.StringVar(&o.videoOut, "video-out", "", "also write the stylized frames to this .mp4 `file`")
	fs.Float64Var(&o.fps, "fps", 0, "frame rate of -video-out (default the input video's, or 25)")
	fs.IntVar(&o.frames, "frames", 0, "stylize only the first `N` frames (0 = all)")
	fs.StringVar(&o.styleFile, "style", "", "style image `file`; required")
	fs.StringVar(&o.weights, "weights", os.Getenv(style.WeightsEnv), "VGG weights `file` (MatConvNet .mat); default $"+style.WeightsEnv)
	fs.IntVar(&o.maxSize, "max-size", style.DefaultMaxSize, "longest side of the output frames in `pixels`")
	fs.IntVar(&o.iterations, "iterations", video.DefaultIterations, "optimizer iterations of every frame after the first")
	fs.IntVar(&o.firstIters, "first-frame-iterations", video.DefaultFirstFrameIterations, "optimizer iterations of the first frame")
	fs.Float64Var(&o.temporalWeight, "temporal-weight", video.DefaultTemporalWeight, "weight of the temporal loss")
	fs.StringVar(&o.flow, "flow", "dis", "optical flow: dis, farneback, or a `folder` of .flo files (forward_<i-1>_<i>.flo, backward_<i>_<i-1>.flo)")
	fs.IntVar(&o.flowSize, "flow-size", 0, "longest side in `pixels` of the frames the flow is computed on (0 = the input's own size; ≤ -max-size = the working size)")
	fs.StringVar(&o.warmStart, "warm-start", "masked", "where frames after the first start: masked (the warped previous output where the flow is consistent, the frame elsewhere) or warped (the warped previous output everywhere)")
	fs.Float64Var(&o.photometric, "photometric-threshold", video.DefaultPhotometricThreshold, "grey `levels` (0–255) above which a pixel whose flow does not carry the previous frame's colour leaves the consistency mask (0 or negative: off)")
	fs.BoolVar(&o.independent, "independent", false, "stylize every frame on its own (no warm start, no temporal loss), the baseline")
	fs.BoolVar(&o.resume, "resume", false, "keep the frames already in -out and continue after the last one")
	fs.Float64Var(&o.contentWeight, "content-weight", style.DefaultContentWeight, "weight α of the content loss")
	fs.Float64Var(&o.styleWeight, "style-weight", style.DefaultStyleWeight, "weight β of the style loss")
	fs.Float64Var(&o.tvWeight, "tv-weight", style.DefaultTVWeight, "weight γ of the total-variation loss")
	fs.StringVar(&o.contentLayers, "content-layers", "conv4_2", "content `layers`: name or name:weight, comma-separated")
	fs.StringVar(&o.styleLayers, "style-layers", "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1", "style `layers`: name or name:weight, comma-separated (default weight 1/count)")
	fs.StringVar(&o.pooling, "pooling", "avg", "pooling: avg or max")
	fs.StringVar(&o.init, "init", "content", "starting image of the first frame (and of every frame with -independent): content, style or noise")
	fs.StringVar(&o.optimizer, "optimizer", "lbfgs", "optimizer: lbfgs or adam")
	fs.Float64Var(&o.lr, "lr", 1, "Adam learning rate (ignored by lbfgs)")
	fs.StringVar(&o.threads, "threads", "", "TensorFlow threads: `N` or intra,inter (default one per core)")
	fs.StringVar(&o.preview, "preview", "", "serve a live page (the current frame, its loss curves, the finished frames, a Stop button) at `addr`: host:port, :port or port; no host means 127.0.0.1; the URL is printed at the start")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.Bool("v", false, "show TensorFlow's own C++ log lines (hidden by default; see package tfruntime/quiet)")
	return fs, o
}

// run is the command: it returns 0 on success, 2 for a bad command line, 1
// for any other failure, which it reports as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, o := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "video stylizes a video or a folder of frames (Ruder et al., 2016).\n\nUsage:\n  video -in clip.mp4|frames/ -style painting.jpg -out outdir [flags]\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		return fail(stderr, usagef("%v (see -h)", err))
	}
	if fs.NArg() > 0 {
		return fail(stderr, usagef("unexpected argument %q (see -h)", fs.Arg(0)))
	}
	if err := o.run(ctx, stdout); err != nil {
		return fail(stderr, err)
	}
	return 0
}

func fail(stderr io.Writer, err error) int {
	msg := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error())
	fmt.Fprintf(stderr, "video: %s\n", strings.TrimPrefix(strings.TrimSpace(msg), "video: "))
	if errors.Is(err, errUsage) || errors.Is(err, style.ErrInvalidOption) {
		return 2
	}
	return 1
}

// styleOptions turns the loss and optimizer flags into style options.
func (o *options) styleOptions() ([]style.Option, error) {
	var opts []style.Option
	for _, w := range []struct {
		name string
		v    float64
		opt  func(float64) style.Option
	}{
		{"-content-weight", o.contentWeight, style.WithContentWeight},
		{"-style-weight", o.styleWeight, style.WithStyleWeight},
		{"-tv-weight", o.tvWeight, style.WithTVWeight},
	} {
		if math.IsNaN(w.v) || math.IsInf(w.v, 0) || w.v < 0 {
			return nil, usagef("%s %v: want a finite weight ≥ 0", w.name, w.v)
		}
		opts = append(opts, w.opt(w.v))
	}
	cl, err := layers("-content-layers", o.contentLayers)
	if err != nil {
		return nil, err
	}
	sl, err := layers("-style-layers", o.styleLayers)
	if err != nil {
		return nil, err
	}
	opts = append(opts, style.WithContentLayers(cl), style.WithStyleLayers(sl))
	p, err := vgg.ParsePooling(o.pooling)
	if err != nil {
		return nil, usagef("-pooling %q: want avg or max", o.pooling)
	}
	in, err := style.ParseInit(o.init)
	if err != nil {
		return nil, usagef("-init %q: want content, style or noise", o.init)
	}
	opts = append(opts, style.WithPooling(p), style.WithInit(in))
	switch strings.ToLower(o.optimizer) {
	case "lbfgs", "l-bfgs":
		opts = append(opts, style.WithOptimizer(style.LBFGS()))
	case "adam":
		opts = append(opts, style.WithOptimizer(style.Adam(o.lr)))
	default:
		return nil, usagef("-optimizer %q: want lbfgs or adam", o.optimizer)
	}
	if o.threads != "" {
		a, b, comma := strings.Cut(o.threads, ",")
		intra, err1 := strconv.Atoi(a)
		inter, err2 := intra, error(nil)
		if comma {
			inter, err2 = strconv.Atoi(b)
		}
		if err1 != nil || err2 != nil || intra < 0 || inter < 0 {
			return nil, usagef("-threads %q: want N or intra,inter", o.threads)
		}
		opts = append(opts, style.WithThreads(intra, inter))
	}
	return opts, nil
}

// layers parses "name" or "name:weight" lists; without weights every layer
// gets 1/count. style checks the names against the network.
func layers(flagName, s string) (map[string]float64, error) {
	out := map[string]float64{}
	parts := strings.Split(s, ",")
	for _, part := range parts {
		name, weight, has := strings.Cut(strings.TrimSpace(part), ":")
		w := 1 / float64(len(parts))
		if has {
			v, err := strconv.ParseFloat(weight, 64)
			if err != nil {
				return nil, usagef("%s %q: weight %q of layer %q is not a number", flagName, s, weight, name)
			}
			w = v
		}
		if name == "" {
			return nil, usagef("%s %q: empty layer name", flagName, s)
		}
		out[name] = w
	}
	return out, nil
}

func (o *options) flowMethod(src video.Frames, first image.Image) (video.FlowMethod, error) {
	switch o.flow {
	case "dis":
		return video.DIS{Preset: video.DISMedium}, nil
	case "farneback":
		return video.Farneback{}, nil
	}
	fi, err := os.Stat(o.flow)
	if err != nil || !fi.IsDir() {
		return nil, usagef("-flow %q: want dis, farneback or a folder of .flo files", o.flow)
	}
	b := first.Bounds()
	return video.FlowFiles{Dir: o.flow, W: b.Dx(), H: b.Dy()}, nil
}

func (o *options) run(ctx context.Context, stdout io.Writer) (err error) {
	if o.preview != "" {
		if o.preview, err = preview.ResolveAddr(o.preview); err != nil {
			return usagef("-preview: %v", strings.TrimPrefix(err.Error(), "preview: "))
		}
	}
	switch {
	case o.in == "":
		return usagef("-in is required")
	case o.out == "":
		return usagef("-out is required")
	case o.styleFile == "":
		return usagef("-style is required")
	case o.weights == "":
		return usagef("-weights is required (or set %s)", style.WeightsEnv)
	case o.videoOut != "" && !strings.EqualFold(filepath.Ext(o.videoOut), ".mp4"):
		return usagef("-video-out %q: want an .mp4 file", o.videoOut)
	case o.frames < 0:
		return usagef("-frames %d: want N ≥ 1, or 0 for all", o.frames)
	case o.iterations < 1 || o.firstIters < 1:
		return usagef("-iterations %d, -first-frame-iterations %d: want at least 1", o.iterations, o.firstIters)
	case math.IsNaN(o.temporalWeight) || math.IsInf(o.temporalWeight, 0) || o.temporalWeight <= 0:
		return usagef("-temporal-weight %v: want a finite weight > 0 (use -independent to turn it off)", o.temporalWeight)
	case o.fps < 0 || math.IsNaN(o.fps):
		return usagef("-fps %v: want a frame rate > 0", o.fps)
	case o.flowSize < 0:
		return usagef("-flow-size %d: want 0 or a size in pixels", o.flowSize)
	case math.IsNaN(o.photometric) || math.IsInf(o.photometric, 0):
		return usagef("-photometric-threshold %v: want a finite number", o.photometric)
	}
	var warm video.WarmStart
	switch o.warmStart {
	case "masked":
		warm = video.WarmStartMasked
	case "warped":
		warm = video.WarmStartWarped
	default:
		return usagef("-warm-start %q: want masked or warped", o.warmStart)
	}
	photometric := o.photometric
	if photometric == 0 {
		photometric = -1 // 0 on the command line: off, not the default
	}
	styleOpts, err := o.styleOptions()
	if err != nil {
		return err
	}
	styleImg, err := imageio.Load(o.styleFile, imageio.DecodeOptions{})
	if err != nil {
		return err
	}
	src, err := video.OpenFrames(o.in)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	done := 0
	if o.resume {
		for {
			if _, err := os.Stat(filepath.Join(o.out, video.FrameName(done+1))); err != nil {
				break
			}
			done++
		}
	} else if _, err := os.Stat(filepath.Join(o.out, video.FrameName(1))); err == nil {
		return usagef("-out %s already holds %s: pass -resume to continue, or choose another folder", o.out, video.FrameName(1))
	}

	// The page, when asked for: Stop cancels the context as Ctrl-C does.
	var pv *preview.Server
	if o.preview != "" {
		var stop context.CancelCauseFunc
		ctx, stop = context.WithCancelCause(ctx)
		defer stop(nil)
		if pv, err = preview.New(preview.Config{Title: fmt.Sprintf("%s in the style of %s", filepath.Base(o.in), filepath.Base(o.styleFile)),
			Settings: []preview.Setting{{Name: "-in", Value: o.in}, {Name: "-style", Value: o.styleFile}, {Name: "-out", Value: o.out},
				{Name: "-max-size", Value: strconv.Itoa(o.maxSize)}, {Name: "-iterations", Value: strconv.Itoa(o.iterations)},
				{Name: "-first-frame-iterations", Value: strconv.Itoa(o.firstIters)}, {Name: "-optimizer", Value: o.optimizer}},
			Stop: func() { stop(preview.ErrStopped) }}); err != nil {
			return err
		}
		ep, err := preview.Listen(o.preview, pv)
		if err != nil {
			_ = pv.Close(context.Background())
			return fmt.Errorf("-preview %s: %w", o.preview, err)
		}
		defer func() {
			pv.Done(nil, err)
			wait, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_ = pv.Close(wait)
			_ = ep.Close(wait)
		}()
		fmt.Fprintf(stdout, "preview: %s\n", ep.URL)
	}

	model, err := vgg.Load(o.weights)
	if err != nil {
		return err
	}
	tr, err := style.NewTransferer(append([]style.Option{style.WithModel(model)}, styleOpts...)...)
	if err != nil {
		return err
	}
	defer tr.Close()

	total := src.Len()
	if o.frames > 0 && (total < 0 || o.frames < total) {
		total = o.frames
	}
	var progress func(video.Progress) error // feeds the page
	if pv != nil {
		progress = func(p video.Progress) error { return pv.Progress(p.Style) }
	}
	var st *video.Stylizer
	var later time.Duration // wall time of the frames after the first, this run
	var laterN int
	var firstTime time.Duration
	start := time.Now()
	for index := 1; o.frames == 0 || index <= o.frames; index++ {
		frame, name, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if st == nil {
			flow, err := o.flowMethod(src, frame)
			if err != nil {
				return err
			}
			if st, err = video.NewStylizer(tr, video.Config{
				Style: styleImg, MaxSize: o.maxSize, Iterations: o.iterations, FirstFrameIterations: o.firstIters,
				TemporalWeight: o.temporalWeight, Flow: flow, FlowMaxSize: o.flowSize, WarmStart: warm,
				PhotometricThreshold: photometric, Independent: o.independent, Options: styleOpts,
				Progress: progress,
			}); err != nil {
				return err
			}
		}
		outPath := filepath.Join(o.out, video.FrameName(index))
		if index <= done {
			if index == done {
				prev, err := imageio.Load(outPath, imageio.DecodeOptions{})
				if err != nil {
					return err
				}
				if err := st.Resume(index, frame, prev); err != nil {
					return fmt.Errorf("%s: %w", outPath, err)
				}
				if !o.quiet {
					fmt.Fprintf(stdout, "resuming after frame %d (%s)\n", done, outPath)
				}
			}
			continue
		}
		if pv != nil {
			pv.SetLabel(fmt.Sprintf("frame %d of %s", index, ofTotal(total)))
		}
		f, err := st.Next(ctx, frame)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("stopped during frame %d; %d frames are in %s, rerun with -resume to continue: %w", index, index-1, o.out, context.Cause(ctx))
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := imageio.Save(outPath, f.Image, imageio.EncodeOptions{}); err != nil {
			return err
		}
		if pv != nil {
			if err := pv.AddFrame(f.Image, fmt.Sprintf("frame %d", index)); err != nil {
				return err
			}
		}
		if f.Index == 1 {
			firstTime = f.Elapsed
		} else {
			later += f.Elapsed
			laterN++
		}
		if !o.quiet {
			fmt.Fprintln(stdout, frameLine(f, total, firstTime, later, laterN))
		}
		if testHookFrame != nil {
			testHookFrame(f)
		}
	}
	if st == nil || st.Done() == 0 {
		return fmt.Errorf("%s: no frames", o.in)
	}
	if !o.quiet {
		fmt.Fprintf(stdout, "%d frames in %s (%s this run)\n", st.Done(), o.out, time.Since(start).Round(time.Second))
	}
	if o.videoOut != "" {
		if err := o.writeVideo(src.FPS(), st.Done()); err != nil {
			return err
		}
		if !o.quiet {
			fmt.Fprintf(stdout, "wrote %s\n", o.videoOut)
		}
	}
	return nil
}

// frameLine is the progress line of one frame.
func frameLine(f *video.Frame, total int, first, later time.Duration, laterN int) string {
	r := f.Result
	last := r.History[len(r.History)-1]
	of := "?"
	if total > 0 {
		of = strconv.Itoa(total)
	}
	line := fmt.Sprintf("frame %d/%s  %5.1fs  %d it %d ev  loss %.4g (content %.3g style %.3g tv %.3g temporal %.3g)",
		f.Index, of, f.Elapsed.Seconds(), r.Iterations, r.Evaluations, r.Loss, last.Content, last.Style, last.TV, last.Terms)
	if f.Index > 1 {
		line += fmt.Sprintf("  consistent %.0f%%  warp error %.2f", 100*f.Consistent, f.WarpingError)
	}
	if total > 0 && f.Index < total {
		per := first
		if laterN > 0 {
			per = later / time.Duration(laterN)
		}
		line += fmt.Sprintf("  ETA %s", (per * time.Duration(total-f.Index)).Round(time.Second))
	}
	return line
}

// writeVideo encodes the frames of -out into -video-out.
func (o *options) writeVideo(srcFPS float64, n int) error {
	fps := o.fps
	if fps == 0 {
		fps = srcFPS
	}
	if fps <= 0 || math.IsNaN(fps) {
		fps = 25
	}
	frames := make([]image.Image, 0, n)
	for i := 1; i <= n; i++ {
		img, err := imageio.Load(filepath.Join(o.out, video.FrameName(i)), imageio.DecodeOptions{})
		if err != nil {
			return err
		}
		frames = append(frames, img)
	}
	return video.WriteMP4(o.videoOut, fps, frames)
}

// ofTotal is the number of frames for a label, "?" when unknown.
func ofTotal(total int) string {
	if total > 0 {
		return strconv.Itoa(total)
	}
	return "?"
}
