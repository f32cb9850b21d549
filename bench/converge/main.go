// Command converge records how a default stylize run converges: the loss
// after every iteration and the image every -every iterations, for the
// measurement behind style.WithConvergence (docs/convergence.md).
//
//	go run ./bench/converge -content photo.jpg -style painting.jpg -out DIR
//
// It runs the library's defaults (L-BFGS, the stylize defaults; -adam LR
// for Adam) at -size px for -iterations iterations with the convergence
// rule off, and writes
// DIR/losses.jsonl (one line per iteration: iteration, loss, evaluations,
// elapsed seconds) and DIR/iterNNNN.png (every -every iterations and the
// last). bench/converge/run.sh runs it on the 6 pairs and
// bench/converge/analyse.py reads the folders.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/style"
)

func main() {
	content := flag.String("content", "", "content image file")
	painting := flag.String("style", "", "style image file")
	weights := flag.String("weights", "", "MatConvNet weights file")
	out := flag.String("out", "", "output folder (created)")
	size := flag.Int("size", 512, "longest side in pixels")
	iterations := flag.Int("iterations", 1000, "iterations")
	every := flag.Int("every", 25, "save the image every N iterations")
	threads := flag.Int("threads", 0, "TensorFlow threads (0: one per core)")
	adam := flag.Float64("adam", 0, "Adam with this learning rate instead of L-BFGS (0: L-BFGS)")
	flag.Parse()
	if err := run(*content, *painting, *weights, *out, *size, *iterations, *every, *threads, *adam); err != nil {
		fmt.Fprintln(os.Stderr, "converge:", err)
		os.Exit(1)
	}
}

func run(content, painting, weights, out string, size, iterations, every, threads int, adam float64) error {
	if content == "" || painting == "" || out == "" {
		return fmt.Errorf("-content, -style and -out are required")
	}
	c, err := imageio.Load(content, imageio.DecodeOptions{})
	if err != nil {
		return err
	}
	s, err := imageio.Load(painting, imageio.DecodeOptions{})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "losses.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	opts := []style.Option{
		style.WithMaxSize(size),
		style.WithIterations(iterations),
		style.WithConvergence(style.Convergence{}),
		style.WithProgress(func(p style.Progress) error {
			return enc.Encode(map[string]any{
				"iteration": p.Iteration, "loss": p.Loss, "evaluations": p.Evaluations,
				"elapsed_s": p.Elapsed.Seconds(),
			})
		}),
		style.WithCheckpoint(every, func(cp style.Checkpoint) error {
			return imageio.Save(filepath.Join(out, fmt.Sprintf("iter%04d.png", cp.Iteration)), cp.Image, imageio.EncodeOptions{})
		}),
	}
	if weights != "" {
		opts = append(opts, style.WithWeightsFile(weights))
	}
	if adam > 0 {
		opts = append(opts, style.WithOptimizer(style.Adam(adam)))
	}
	if threads > 0 {
		opts = append(opts, style.WithThreads(threads, 1))
	}
	res, err := style.Transfer(context.Background(), c, s, opts...)
	if err != nil {
		return err
	}
	return imageio.Save(filepath.Join(out, fmt.Sprintf("iter%04d.png", res.Iterations)), res.Image, imageio.EncodeOptions{})
}
