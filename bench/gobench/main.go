package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"syscall"
	"time"

	tf "github.com/wamuir/graft/tensorflow"
	configpb "github.com/wamuir/graft/tensorflow/core/protobuf/for_core_protos_go_proto"
	"github.com/wamuir/graft/tensorflow/op"
	"google.golang.org/protobuf/proto"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// Result is the JSON line gobench prints (the Python peers print the same
// fields).
type Result struct {
	Impl      string    `json:"impl"`
	Size      int       `json:"size"`
	Opt       string    `json:"opt"`
	Iters     int       `json:"iters"`
	Evals     int       `json:"evals"`
	IterEnd   []float64 `json:"iter_end_s"` // seconds from the start of the transfer to the end of each iteration
	Loss1     float64   `json:"loss1"`      // loss after the first iteration (at x₁)
	Loss      float64   `json:"loss"`       // loss after the last iteration
	Losses    []float64 `json:"losses"`     // loss after each iteration
	Scales    []int     `json:"scales"`     // the size (longest side) each iteration ran at
	Target    float64   `json:"target,omitempty"`
	ReachedS  float64   `json:"reached_s,omitempty"` // seconds until a full-size iteration's loss ≤ Target (0: never)
	PeakRSSMB float64   `json:"peak_rss_mb"`
	Threads   int       `json:"threads"`
	// HostBytesPerIter is style.Result.HostBytesPerIteration: the bytes an
	// iteration moved between Go and TensorFlow in steady state.
	HostBytesPerIter float64 `json:"host_bytes_per_iter"`
	// Device is style.Result.Device, where the network ran ("/device:GPU:0").
	Device string `json:"device"`
	// PredictedPeakBytes is the memory model's prediction for the run
	// (style.MemoryPlan.Needed of its last scale): the process's resident
	// memory on the CPU, TensorFlow's memory on a GPU. PredictedHostBytes
	// is MemoryPlan.Host, Tiled MemoryPlan.Tiled. bench/gpu_memory.py
	// compares them with what a run uses.
	PredictedPeakBytes int64 `json:"predicted_peak_bytes"`
	PredictedHostBytes int64 `json:"predicted_host_bytes"`
	Tiled              bool  `json:"tiled"`
	// Loss32 (with -loss32) is the loss of the result image evaluated in
	// float32 (style.Transferer.Loss): what a mixed-precision run is
	// compared with a float32 run on.
	Loss32 float64 `json:"loss32,omitempty"`
}

func main() {
	var (
		size    = flag.Int("size", 256, "image side in pixels (square)")
		iters   = flag.Int("iters", 5, "optimizer iterations")
		opt     = flag.String("opt", "adam", "adam or lbfgs")
		threads = flag.Int("threads", 2, "intra-op threads")
		inter   = flag.Int("inter", 1, "inter-op threads")
		peak    = flag.Bool("peak", false, "measure the GFLOP/s of a 4096² float32 MatMul instead")
		multi   = flag.Int("multiscale", 0, "coarse-to-fine from this size (style.WithMultiScale); 0: one scale")
		cpath   = flag.String("content", "", "content image file (default: the hash-noise picture shared with the peers)")
		spath   = flag.String("style", "", "style image file (default: the hash-noise picture shared with the peers)")
		target  = flag.Float64("target", 0, "report when a full-size iteration first reaches this loss, and stop there")
		prec    = flag.String("precision", "float32", "float32, bfloat16 or float16 (style.WithPrecision; the last two with Adam only, float16 on a GPU only)")
		xla     = flag.Bool("xla", false, "XLA auto-clustering (style.WithXLA)")
		clamp   = flag.Bool("clamp-pixels", false, "style.WithClampPixels (off by default: the peers optimize the unclamped image, as the tutorial does)")
		weights = flag.String("weights", "", "MatConvNet weights file (default: the full-width VGG19 with hash weights shared with the peers)")
		pool    = flag.String("pooling", "avg", "avg or max (vgg.ParsePooling)")
		outPath = flag.String("out", "", "also save the result image here (PNG)")
		loss32  = flag.Bool("loss32", false, "also evaluate the result's loss in float32 (the loss32 field)")
		fast    = flag.Bool("fast", false, "style.Fast() after the other options: L-BFGS coarse to fine, its iterations (-iters, -opt and -multiscale are ignored)")
	)
	flag.Parse()
	if *peak {
		if err := matmulPeak(*threads, *inter); err != nil {
			fmt.Fprintln(os.Stderr, "gobench:", err)
			os.Exit(1)
		}
		return
	}
	content, painting := image.Image(Picture(*size, 1)), image.Image(Picture(*size, 2))
	for _, f := range []struct {
		path string
		img  *image.Image
	}{{*cpath, &content}, {*spath, &painting}} {
		if f.path == "" {
			continue
		}
		img, err := imageio.Load(f.path, imageio.DecodeOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "gobench:", err)
			os.Exit(1)
		}
		*f.img = img
	}
	precision, err := style.ParsePrecision(*prec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench: -precision:", err)
		os.Exit(2)
	}
	pooling, err := vgg.ParsePooling(*pool)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench: -pooling:", err)
		os.Exit(2)
	}
	model, err := Model()
	if *weights != "" {
		model, err = vgg.Load(*weights)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench:", err)
		os.Exit(1)
	}
	var extra []style.Option
	extra = append(extra, style.WithXLA(*xla))
	if *fast {
		extra = append(extra, style.Fast())
		*opt = "lbfgs"
	}
	res, img, err := run(model, content, painting, *size, *iters, *opt, *threads, *inter, *multi, *target, precision, *clamp, pooling, *loss32, extra...)
	if err == nil && *outPath != "" {
		err = imageio.Save(*outPath, img, imageio.EncodeOptions{})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func run(model *vgg.Model, content, painting image.Image, size, iters int, opt string, threads, inter, multi int, target float64,
	precision style.Precision, clamp bool, pooling vgg.Pooling, loss32 bool, extra ...style.Option) (*Result, image.Image, error) {
	var o style.Optimizer
	switch opt {
	case "adam":
		o = style.Adam(1)
	case "lbfgs":
		o = style.LBFGS()
	default:
		return nil, nil, fmt.Errorf("unknown optimizer %q", opt)
	}
	res := &Result{Impl: "go", Size: size, Opt: opt, Iters: iters, Threads: threads, Target: target}
	switch precision {
	case style.BFloat16:
		res.Impl = "go-bf16"
	case style.Float16:
		res.Impl = "go-fp16"
	}
	errReached := errors.New("target reached")
	var start time.Time // set when the transfer starts, after planning
	opts := []style.Option{style.WithModel(model), style.WithMaxSize(size), style.WithIterations(iters),
		style.WithConvergence(style.Convergence{}), // exactly iters iterations, as the peers run
		style.WithOptimizer(o), style.WithThreads(threads, inter), style.WithMultiScale(multi), style.WithPrecision(precision), style.WithClampPixels(clamp),
		style.WithPooling(pooling),
		style.WithProgress(func(p style.Progress) error {
			res.IterEnd = append(res.IterEnd, time.Since(start).Seconds())
			res.Losses = append(res.Losses, p.Loss)
			res.Scales = append(res.Scales, max(p.Width, p.Height))
			if target > 0 && p.Scale == p.Scales && p.Loss <= target {
				res.ReachedS = time.Since(start).Seconds()
				return errReached
			}
			return nil
		})}
	opts = append(opts, extra...)
	tr, err := style.NewTransferer(opts...)
	if err != nil {
		return nil, nil, err
	}
	defer tr.Close()
	plans, err := tr.Plan(content, painting)
	if err != nil {
		return nil, nil, err
	}
	plan := plans[len(plans)-1]
	res.PredictedPeakBytes, res.PredictedHostBytes, res.Tiled = plan.Needed, plan.Host, plan.Tiled
	start = time.Now()
	out, err := tr.Transfer(context.Background(), content, painting)
	if err != nil && !errors.Is(err, errReached) {
		return nil, nil, err
	}
	if len(out.History) > 0 {
		// The loss at x₁, after one step from the content image: with
		// Adam the three implementations take the same step, so this
		// checks that they optimize the same objective.
		res.Loss1 = out.History[0].Loss
	}
	if n := len(out.History); n > 0 {
		res.Loss = out.History[n-1].Loss
	}
	res.Evals = out.Evaluations
	res.HostBytesPerIter = out.HostBytesPerIteration
	res.Device = out.Device
	res.PeakRSSMB = peakRSSMB()
	if loss32 {
		l, err := tr.Loss(context.Background(), content, painting, out.Image, style.WithPrecision(style.Float32))
		if err != nil {
			return nil, nil, fmt.Errorf("-loss32: %w", err)
		}
		res.Loss32 = l.Total
	}
	return res, out.Image, nil
}

// peakRSSMB is the peak resident set size of this process, in MiB.
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}

// The network and the images are made from a counter-based hash so that the
// Python peers can make bit-identical ones with numpy (bench/common.py).

// hash32 is a 32-bit integer hash (the "lowbias32" mix) of i.
func hash32(i uint32) uint32 {
	i ^= i >> 16
	i *= 0x7feb352d
	i ^= i >> 15
	i *= 0x846ca68b
	i ^= i >> 16
	return i
}

// uniform returns n values uniform in [-1, 1) from stream seed.
func uniform(seed uint32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		h := hash32(uint32(i) ^ hash32(seed))
		out[i] = float32(h>>8)/float32(1<<23) - 1
	}
	return out
}

// Model is a VGG19 with the real channel counts and He-scaled uniform
// weights (HWIO, stream 100+layer), zero biases and the ImageNet mean.
func Model() (*vgg.Model, error) {
	blocks := [...]struct{ convs, ch int }{{2, 64}, {2, 128}, {4, 256}, {4, 512}, {4, 512}}
	var convs []vgg.Conv
	in, layer := 3, 0
	for b, blk := range blocks {
		for i := 1; i <= blk.convs; i++ {
			k := uniform(uint32(100+layer), 9*in*blk.ch)
			a := float32(math.Sqrt(6 / float64(9*in)))
			for j := range k {
				k[j] *= a
			}
			convs = append(convs, vgg.Conv{
				Name: fmt.Sprintf("conv%d_%d", b+1, i), Kernel: k, Bias: make([]float32, blk.ch),
				KernelShape: [4]int{3, 3, in, blk.ch},
			})
			in, layer = blk.ch, layer+1
		}
	}
	return vgg.New(convs, [3]float32{123.68, 116.779, 103.939})
}

// Picture is a size×size RGB image of stream seed: byte = hash mod 256,
// row-major, RGB interleaved.
func Picture(size int, seed uint32) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			for c := 0; c < 3; c++ {
				i := (y*size+x)*3 + c
				img.Pix[img.PixOffset(x, y)+c] = uint8(hash32(uint32(i)^hash32(seed)) >> 24)
			}
			img.Pix[img.PixOffset(x, y)+3] = 255
		}
	}
	return img
}

// matmulPeak prints the best GFLOP/s of a 4096×4096 float32 MatMul over five
// runs, on TensorFlow with the given threads (the operands are variables,
// set once, and only a scalar comes back).
func matmulPeak(threads, inter int) error {
	const n = 4096
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	feedA := op.Placeholder(s.SubScope("a"), tf.Float, op.PlaceholderShape(tf.MakeShape(n, n)))
	feedB := op.Placeholder(s.SubScope("b"), tf.Float, op.PlaceholderShape(tf.MakeShape(n, n)))
	va := op.VarHandleOp(s.SubScope("va"), tf.Float, tf.MakeShape(n, n), op.VarHandleOpSharedName("peak_a"))
	vb := op.VarHandleOp(s.SubScope("vb"), tf.Float, tf.MakeShape(n, n), op.VarHandleOpSharedName("peak_b"))
	setA := op.AssignVariableOp(s.SubScope("seta"), va, feedA)
	setB := op.AssignVariableOp(s.SubScope("setb"), vb, feedB)
	prod := op.MatMul(s, op.ReadVariableOp(s.SubScope("ra"), va, tf.Float), op.ReadVariableOp(s.SubScope("rb"), vb, tf.Float))
	sum := op.Sum(s, prod, op.Const(s.SubScope("axes"), []int32{0, 1}))
	if err := s.Err(); err != nil {
		return err
	}
	cfg, err := proto.Marshal(&configpb.ConfigProto{IntraOpParallelismThreads: int32(threads), InterOpParallelismThreads: int32(inter)})
	if err != nil {
		return err
	}
	sess, err := tf.NewSession(g, &tf.SessionOptions{Config: cfg})
	if err != nil {
		return err
	}
	defer sess.Close()
	a, b := uniform(1, n*n), uniform(2, n*n)
	ta, err := tf.NewTensor(a)
	if err != nil {
		return err
	}
	tb, err := tf.NewTensor(b)
	if err != nil {
		return err
	}
	if err := ta.Reshape([]int64{n, n}); err != nil {
		return err
	}
	if err := tb.Reshape([]int64{n, n}); err != nil {
		return err
	}
	if _, err := sess.Run(map[tf.Output]*tf.Tensor{feedA: ta, feedB: tb}, nil, []*tf.Operation{setA, setB}); err != nil {
		return err
	}
	best := math.Inf(1)
	for i := 0; i < 6; i++ {
		t0 := time.Now()
		if _, err := sess.Run(nil, []tf.Output{sum}, nil); err != nil {
			return err
		}
		if i > 0 { // the first run warms up
			best = min(best, time.Since(t0).Seconds())
		}
	}
	gflops := 2 * float64(n) * n * n / best / 1e9
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"impl": "peak", "n": n, "threads": threads, "best_s": best, "gflops": gflops})
}
