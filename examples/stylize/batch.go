package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/batch"
	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
	"github.com/neuralstyle/neuralstyle/video"
)

// dispatch runs `stylize batch …` (runBatch) or a single stylization (run).
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "batch" {
		return runBatch(ctx, args[1:], stdout, stderr)
	}
	return run(ctx, args, stdout, stderr)
}

// testHookBatchProgress, when a test sets it, is called after every
// iteration of every batch item.
var testHookBatchProgress func(it *batch.Item, p style.Progress)

// Options a manifest item may not set: they belong to the whole batch, or
// to the item's own fields, or would write files beside the output.
var batchOnly = map[string]string{
	"content": `the item's "content"`, "style": `the item's "style"`, "out": `the item's "out"`,
	"weights": "stylize batch -weights (one network per process)", "device": "stylize batch -device",
	"threads": "stylize batch -threads", "quiet": "stylize batch -quiet", "v": "stylize batch -v",
	"list-devices": "stylize -list-devices", "plot": "nothing (batch writes no plots)",
	"checkpoint-every": "nothing (batch writes only complete outputs)",
}

// Options only video items take (examples/video's flags), with -iterations
// meaning the iterations of every frame after the first.
var videoOnly = []string{"first-frame-iterations", "temporal-weight", "flow", "independent"}

// Options that do not change the graph a transfer needs, left out of the
// group that orders the items.
var notInGraph = []string{"iterations", "converge", "converge-loss", "first-frame-iterations", "early-stop", "average", "seed", "noise-ratio",
	"init", "init-image", "quality", "color-match", "original-colors", "optimizer", "lr"}

// batchItem is a manifest item parsed with stylize's own flags.
type batchItem struct {
	job *job
	// video mode only
	firstIters, iterations int
	temporalWeight         float64
	flow                   string
	independent            bool
}

// parseItem checks an item's options with stylize's flag parsing and
// validation, exactly as on the command line.
func parseItem(it *batch.Item) (*batchItem, error) {
	var args, vargs []string
	for _, o := range it.Options {
		if where, ok := batchOnly[o.Name]; ok {
			return nil, fmt.Errorf("option %q: not per item; set it with %s", o.Name, where)
		}
		if slices.Contains(videoOnly, o.Name) {
			if !it.Video {
				return nil, fmt.Errorf("option %q: only for video items (content a video file or a folder of frames)", o.Name)
			}
			vargs = append(vargs, "-"+o.Name+"="+o.Value)
			continue
		}
		if it.Video && slices.Contains([]string{"mask", "init-image", "multi-scale", "fast"}, o.Name) {
			return nil, fmt.Errorf("option %q: not available in video mode", o.Name)
		}
		args = append(args, "-"+o.Name+"="+o.Value)
	}
	out := it.Out
	if it.Video {
		out = filepath.Join(it.Out, video.FrameName(1))
	}
	full := []string{"-content", it.Content, "-out", out, "-plot", ""}
	for _, s := range it.Styles {
		full = append(full, "-style", s)
	}
	fs, f := newFlagSet()
	if err := fs.Parse(append(full, args...)); err != nil {
		return nil, fmt.Errorf("options: %v", err)
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	j, err := f.validate(fs.Args())
	if err != nil {
		return nil, fmt.Errorf("options: %v", err)
	}
	bi := &batchItem{job: j}
	if it.Video {
		if len(j.styles) != 1 {
			return nil, errors.New(`"style": video mode takes one style image`)
		}
		vfs := flag.NewFlagSet("video", flag.ContinueOnError)
		vfs.SetOutput(io.Discard)
		vfs.IntVar(&bi.firstIters, "first-frame-iterations", video.DefaultFirstFrameIterations, "")
		vfs.Float64Var(&bi.temporalWeight, "temporal-weight", video.DefaultTemporalWeight, "")
		vfs.StringVar(&bi.flow, "flow", "dis", "")
		vfs.BoolVar(&bi.independent, "independent", false, "")
		if err := vfs.Parse(vargs); err != nil {
			return nil, fmt.Errorf("options: %v", err)
		}
		bi.iterations = video.DefaultIterations
		if f.set["iterations"] {
			bi.iterations = j.iterations
		}
		switch {
		case bi.firstIters < 1:
			return nil, fmt.Errorf("option first-frame-iterations %d: want at least 1", bi.firstIters)
		case !(bi.temporalWeight > 0):
			return nil, fmt.Errorf("option temporal-weight %v: want a weight > 0 (independent: true turns it off)", bi.temporalWeight)
		}
		if bi.flow != "dis" && bi.flow != "farneback" {
			p := bi.flow
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(it.Content), p)
			}
			if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("option flow %q: want dis, farneback or a folder of .flo files", bi.flow)
			}
			bi.flow = p
		}
	}
	return bi, nil
}

// checkItem is the manifest check of `stylize batch`: the options parse,
// and the facts that order the items.
func checkItem(it *batch.Item) (batch.Facts, error) {
	bi, err := parseItem(it)
	if err != nil {
		return batch.Facts{}, err
	}
	var group []string
	if it.Video {
		group = append(group, "video")
	}
	group = append(group, fmt.Sprintf("styles=%d", len(it.Styles)))
	for _, o := range it.Options {
		if !slices.Contains(notInGraph, o.Name) {
			group = append(group, o.Name+"="+o.Value)
		}
	}
	facts := batch.Facts{Group: strings.Join(group, " ")}
	iters := float64(bi.job.iterations)
	if it.Video {
		// The first frame's size and the frame count, from a folder's
		// file names (a video file is not opened here).
		names, _ := filepath.Glob(filepath.Join(it.Content, "*"))
		n := 0
		for _, p := range names {
			if w, h, err := batch.ImageSize(p); err == nil {
				if n == 0 {
					facts.W, facts.H = imageio.FitSize(w, h, bi.job.maxSize)
				}
				n++
			}
		}
		iters = float64(bi.firstIters + max(n-1, 0)*bi.iterations)
	} else if w, h, err := batch.ImageSize(it.Content); err == nil {
		facts.W, facts.H = imageio.FitSize(w, h, bi.job.maxSize)
	}
	facts.Cost = float64(max(facts.W*facts.H, 1)) * iters
	return facts, nil
}

// batchFlags is the command line of `stylize batch`.
type batchFlags struct {
	manifest, shard, outDir, weights, device, threads string
	shards                                            int
	report, quiet                                     bool
}

func runBatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	bf := &batchFlags{}
	fs := flag.NewFlagSet("stylize batch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&bf.manifest, "manifest", "", "the manifest `file`, JSON Lines: {\"content\": …, \"style\": … or […], \"out\": …, \"options\": {…}}; required")
	fs.StringVar(&bf.shard, "shard", "", "run shard `I/N` (0 ≤ I < N); default from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, "+
		"else JOB_COMPLETION_INDEX with -shards, else the whole manifest")
	fs.IntVar(&bf.shards, "shards", 0, "shard count `N` for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX): the Job's completions")
	fs.StringVar(&bf.outDir, "out-dir", "", "`folder` of the status files (<folder>/.status/shard-I.jsonl); default the deepest folder holding every output")
	fs.BoolVar(&bf.report, "report", false, "summarize every shard's status (done, failed, pending, time per item) and exit")
	fs.StringVar(&bf.weights, "weights", "", "MatConvNet VGG weights `file` for every item (default as stylize's -weights)")
	fs.StringVar(&bf.device, "device", "", "TensorFlow `device` for every item (default the first GPU, else the CPU)")
	fs.StringVar(&bf.threads, "threads", "", "TensorFlow threads: `N` or intra,inter (default one per core)")
	fs.BoolVar(&bf.quiet, "quiet", false, "print nothing but errors")
	fs.Bool("v", false, "show TensorFlow's own C++ log lines")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "stylize batch runs its shard of a manifest (see docs/batch.md).\n\nUsage:\n  stylize batch -manifest FILE [-shard I/N] [flags]\n  stylize batch -report -manifest FILE\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		return fail(stderr, usagef("batch: %v (see stylize batch -h)", err))
	}
	if fs.NArg() > 0 {
		return fail(stderr, usagef("batch: unexpected argument %q", fs.Arg(0)))
	}
	if bf.manifest == "" {
		return fail(stderr, usagef("batch: -manifest is required"))
	}
	weights, origin, err := vgg.FindWeights(bf.weights)
	if err != nil {
		return fail(stderr, fmt.Errorf("-weights: %w", err))
	}
	m, err := batch.Load(bf.manifest, batch.Config{
		Check: checkItem, PathOptions: []string{"mask", "init-image"}, Salt: filepath.Base(weights),
	})
	if err != nil {
		return fail(stderr, usagef("%v", err))
	}
	if bf.report {
		rep, err := batch.Summarize(m, bf.outDir, video.FrameName)
		if err != nil {
			return fail(stderr, err)
		}
		rep.Print(stdout)
		return 0
	}
	shard, err := batch.SelectShard(bf.shard, bf.shards, os.Getenv)
	if err != nil {
		return fail(stderr, usagef("%v", err))
	}
	if err := checkWeights(weights, origin); err != nil {
		return fail(stderr, err)
	}
	say := stdout
	if bf.quiet {
		say = io.Discard
	}
	base := []style.Option{style.WithWeightsFile(weights)}
	if bf.device != "" {
		base = append(base, style.WithDevice(bf.device))
	}
	if bf.threads != "" {
		intra, inter, err := parseThreads(bf.threads)
		if err != nil {
			return fail(stderr, usagef("-threads %q: %v", bf.threads, err))
		}
		base = append(base, style.WithThreads(intra, inter))
	}
	// One network and one Transferer for the whole shard: items of the same
	// size and settings, run one after the other, reuse its graph.
	t, err := style.NewTransferer(base...)
	if err != nil {
		return fail(stderr, err)
	}
	defer t.Close()
	fmt.Fprintf(say, "network: %s from %s (%s)\n", t.Model().Arch(), weights, origin)
	if err := sayDevice(say, bf.device); err != nil {
		return fail(stderr, err)
	}
	r := &batch.Runner{
		Manifest: m, Shard: shard, OutDir: bf.outDir, FrameName: video.FrameName, Log: say,
		Process: func(ctx context.Context, it *batch.Item, resume bool) (batch.Outcome, error) {
			bi, err := parseItem(it)
			if err != nil {
				return batch.Outcome{}, err
			}
			if it.Video {
				return processVideo(ctx, t, it, bi, resume)
			}
			return processImage(ctx, t, it, bi)
		},
	}
	if _, err := r.Run(ctx); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// processImage stylizes an image item and writes its output atomically.
func processImage(ctx context.Context, t *style.Transferer, it *batch.Item, bi *batchItem) (batch.Outcome, error) {
	j := bi.job
	content, err := loadImage("content", j.content)
	if err != nil {
		return batch.Outcome{}, err
	}
	styles := make([]image.Image, len(j.styles))
	for i, p := range j.styles {
		if styles[i], err = loadImage("style", p); err != nil {
			return batch.Outcome{}, err
		}
	}
	opts := slices.Clone(j.opts)
	if len(styles) > 1 {
		opts = append(opts, style.WithExtraStyles(styles[1:]...))
	}
	if len(j.masks) > 0 {
		masks := make([]image.Image, len(j.masks))
		for i, p := range j.masks {
			if p != "" {
				if masks[i], err = loadImage("mask", p); err != nil {
					return batch.Outcome{}, err
				}
			}
		}
		opts = append(opts, style.WithStyleMasks(masks...))
	}
	if j.initImage != "" {
		img, err := loadImage("init-image", j.initImage)
		if err != nil {
			return batch.Outcome{}, err
		}
		opts = append(opts, style.WithInitImage(img))
	}
	if testHookBatchProgress != nil {
		opts = append(opts, style.WithProgress(func(p style.Progress) error {
			testHookBatchProgress(it, p)
			return nil
		}))
	}
	res, err := t.Transfer(ctx, content, styles[0], opts...)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return batch.Outcome{}, err
	}
	out := batch.Outcome{Loss: res.Loss, Device: res.Device, Stop: res.Stop.String()}
	return out, batch.WriteFile(it.Out, func(w io.Writer) error {
		return imageio.Encode(w, res.Image, j.outFormat, imageio.EncodeOptions{JPEGQuality: j.quality})
	})
}

// processVideo stylizes a video item (one shot) frame by frame, in order,
// into its output folder; with resume it keeps the frames already there
// and continues after them.
func processVideo(ctx context.Context, t *style.Transferer, it *batch.Item, bi *batchItem, resume bool) (batch.Outcome, error) {
	j := bi.job
	styleImg, err := loadImage("style", j.styles[0])
	if err != nil {
		return batch.Outcome{}, err
	}
	src, err := video.OpenFrames(j.content)
	if err != nil {
		return batch.Outcome{}, err
	}
	defer src.Close()
	if err := os.MkdirAll(it.Out, 0o755); err != nil {
		return batch.Outcome{}, err
	}
	done := 0
	if resume {
		for {
			if _, err := os.Stat(filepath.Join(it.Out, video.FrameName(done+1))); err != nil {
				break
			}
			done++
		}
	}
	var st *video.Stylizer
	out := batch.Outcome{}
	for index := 1; ; index++ {
		frame, name, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		if st == nil {
			var flow video.FlowMethod = video.DIS{Preset: video.DISMedium}
			switch bi.flow {
			case "dis":
			case "farneback":
				flow = video.Farneback{}
			default:
				b := frame.Bounds()
				flow = video.FlowFiles{Dir: bi.flow, W: b.Dx(), H: b.Dy()}
			}
			cfg := video.Config{
				Style: styleImg, MaxSize: j.maxSize, Iterations: bi.iterations, FirstFrameIterations: bi.firstIters,
				TemporalWeight: bi.temporalWeight, Flow: flow, Independent: bi.independent, Options: j.opts,
			}
			if testHookBatchProgress != nil {
				cfg.Progress = func(p video.Progress) error {
					testHookBatchProgress(it, p.Style)
					return nil
				}
			}
			if st, err = video.NewStylizer(t, cfg); err != nil {
				return out, err
			}
		}
		path := filepath.Join(it.Out, video.FrameName(index))
		if index <= done {
			if index == done {
				prev, err := imageio.Load(path, imageio.DecodeOptions{})
				if err != nil {
					return out, err
				}
				if err := st.Resume(index, frame, prev); err != nil {
					return out, fmt.Errorf("%s: %w", path, err)
				}
			}
			out.Frames = index
			continue
		}
		f, err := st.Next(ctx, frame)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		if err := imageio.Save(path, f.Image, imageio.EncodeOptions{}); err != nil {
			return out, err
		}
		out.Frames, out.Loss, out.Device = index, f.Result.Loss, f.Result.Device
	}
	if out.Frames == 0 {
		return out, fmt.Errorf("%s: no frames", j.content)
	}
	return out, nil
}
