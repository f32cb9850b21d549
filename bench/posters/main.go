// Command posters measures tiled and untiled style transfer on large images:
// one run per process (so that the peak resident memory, VmHWM, is that
// run's), appended as a JSON line to -out with the memory model's
// prediction; and, with -plot, draws the measured curves from those lines.
//
//	posters -size 1024 -mode untiled -iterations 3 -out bench/posters.jsonl
//	posters -plot bench/posters.png -in bench/posters.jsonl
//
// bench/posters.sh runs the series of the README's table. Timings are the
// machine's, loaded or not: each line records the load average.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/style"
)

// record is one measured run.
type record struct {
	Size       int     `json:"size"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Mode       string  `json:"mode"` // untiled, tiled, single-pass
	Tile       int     `json:"tile,omitempty"`
	Halo       int     `json:"halo,omitempty"`
	Tiles      int     `json:"tiles,omitempty"`
	Optimizer  string  `json:"optimizer"`
	Store      int     `json:"store,omitempty"`
	Iterations int     `json:"iterations"`
	SecPerIter float64 `json:"sec_per_iteration"`
	// CPUPerIter is the process's CPU time (user + system) per iteration:
	// unlike the wall time it does not count the time this shared VM's
	// host takes the CPUs away (Steal), so it compares runs taken under
	// different steal.
	CPUPerIter float64 `json:"cpu_s_per_iteration,omitempty"`
	// Steal is the share of the machine's CPU time stolen by its host
	// during the timed iterations (/proc/stat).
	Steal     float64 `json:"steal,omitempty"`
	PeakRSS   int64   `json:"peak_rss_bytes"`
	Predicted int64   `json:"predicted_bytes"`
	Loss      float64 `json:"loss"`
	Load      string  `json:"loadavg"`
	Elapsed   float64 `json:"elapsed_s"`
	Content   string  `json:"content,omitempty"`
	Style     string  `json:"style,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "posters:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		size       = flag.Int("size", 1024, "longest side of the output in pixels")
		mode       = flag.String("mode", "auto", "auto, untiled, tiled or single-pass")
		tile       = flag.Int("tile", 0, "tile side in pixels for -mode tiled (0: the memory model's)")
		halo       = flag.Int("halo", 0, "halo in pixels (0: the default)")
		optimizer  = flag.String("optimizer", "adam", "adam or lbfgs")
		iterations = flag.Int("iterations", 3, "iterations")
		limit      = flag.Int64("memory-limit", 0, "memory limit in bytes (0: the library's default)")
		content    = flag.String("content", "examples/images/coffee.jpg", "content image")
		painting   = flag.String("style", "examples/images/starry_night.jpg", "style image")
		out        = flag.String("out", "bench/posters.jsonl", "JSON lines file to append to")
		save       = flag.String("save", "", "also save the image here")
		plotOut    = flag.String("plot", "", "draw the curves of -in into this PNG instead of running")
		in         = flag.String("in", "bench/posters.jsonl", "JSON lines to plot")
	)
	flag.Parse()
	c, err := imageio.Load(*content, imageio.DecodeOptions{})
	if err != nil {
		return err
	}
	s, err := imageio.Load(*painting, imageio.DecodeOptions{})
	if err != nil {
		return err
	}
	if *plotOut != "" {
		return plotFile(*in, *plotOut, c, s)
	}
	opts, err := options(*size, *iterations, *mode, *tile, *halo, *optimizer)
	if err != nil {
		return err
	}
	if *limit > 0 {
		opts = append(opts, style.WithMemoryLimit(*limit))
	}
	var stamps []time.Time
	var cpu []float64
	var stat [][]float64
	opts = append(opts, style.WithProgress(func(p style.Progress) error {
		stamps = append(stamps, time.Now())
		cpu = append(cpu, cpuSeconds())
		stat = append(stat, cpuStat())
		fmt.Fprintf(os.Stderr, "iteration %d/%d loss %.4g (%v)\n", p.Iteration, p.Iterations, p.Loss, p.Elapsed.Round(time.Second))
		return nil
	}))
	t, err := style.NewTransferer(opts...)
	if err != nil {
		return err
	}
	defer t.Close()
	plans, err := t.Plan(c, s)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "plan:", plans[len(plans)-1])
	res, err := t.Transfer(context.Background(), c, s)
	if err != nil {
		return err
	}
	pl := res.Plans[len(res.Plans)-1]
	r := record{
		Size: *size, Width: pl.Width, Height: pl.Height, Mode: "untiled", Optimizer: *optimizer,
		Store: pl.Store, Iterations: res.Iterations, PeakRSS: procBytes("VmHWM:"), Predicted: pl.Needed,
		Loss: res.Loss, Load: loadAvg(), Elapsed: res.Elapsed.Seconds(),
		Content: *content, Style: *painting,
	}
	if pl.Tiled {
		r.Mode, r.Tile, r.Halo, r.Tiles = "tiled", pl.Tile, pl.Halo, pl.Tiles
		if pl.SinglePass {
			r.Mode = "single-pass"
		}
	}
	if len(stamps) > 1 {
		n := float64(len(stamps) - 1)
		r.SecPerIter = stamps[len(stamps)-1].Sub(stamps[0]).Seconds() / n
		r.CPUPerIter = (cpu[len(cpu)-1] - cpu[0]) / n
		r.Steal = stealShare(stat[0], stat[len(stat)-1])
	}
	if *save != "" {
		if err := imageio.Save(*save, res.Image, imageio.EncodeOptions{}); err != nil {
			return err
		}
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// procBytes reads a "Name: N kB" field of /proc/self/status in bytes.
func procBytes(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb << 10
		}
	}
	return 0
}

// cpuSeconds is the process's CPU time so far, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// cpuStat is the machine's CPU time counters, the first line of
// /proc/stat (user nice system idle iowait irq softirq steal …); nil if
// unreadable.
func cpuStat() []float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var out []float64
	for _, f := range strings.Fields(line)[1:] {
		var v float64
		fmt.Sscan(f, &v)
		out = append(out, v)
	}
	return out
}

// stealShare is the share of the CPU time between two cpuStat readings
// that the host stole (guest time is already in user time, so only the
// first 8 counters add up to the total).
func stealShare(a, b []float64) float64 {
	if len(a) < 8 || len(b) < 8 {
		return 0
	}
	var total float64
	for i := range 8 {
		total += b[i] - a[i]
	}
	if total <= 0 {
		return 0
	}
	return (b[7] - a[7]) / total
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// predict sets each record's Predicted to what the memory model says now
// (the records keep what it said when they ran in the file).
func predict(recs []record, c, s image.Image) error {
	t, err := style.NewTransferer()
	if err != nil {
		return err
	}
	defer t.Close()
	for i, r := range recs {
		opts, err := options(r.Size, 1, r.Mode, r.Tile, r.Halo, r.Optimizer)
		if err != nil {
			return err
		}
		plans, err := t.Plan(c, s, opts...)
		if err != nil {
			return err
		}
		recs[i].Predicted = plans[len(plans)-1].Needed
	}
	return nil
}

// readRecords reads the JSON lines of path.
func readRecords(path string) ([]record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []record
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// options are the library options of one run.
func options(size, iterations int, mode string, tile, halo int, optimizer string) ([]style.Option, error) {
	opts := []style.Option{style.WithMaxSize(size), style.WithIterations(iterations)}
	switch optimizer {
	case "adam":
		opts = append(opts, style.WithOptimizer(style.Adam(1)))
	case "lbfgs":
		opts = append(opts, style.WithOptimizer(style.LBFGS()))
	default:
		return nil, fmt.Errorf("-optimizer %q: want adam or lbfgs", optimizer)
	}
	switch mode {
	case "auto":
	case "untiled":
		opts = append(opts, style.WithoutTiling())
	case "tiled":
		opts = append(opts, style.WithTiling(style.Tiling{Tile: tile, Halo: halo}))
	case "single-pass":
		opts = append(opts, style.WithTiling(style.Tiling{Tile: tile, Halo: halo, SinglePass: true}))
	default:
		return nil, fmt.Errorf("-mode %q: want auto, untiled, tiled or single-pass", mode)
	}
	return opts, nil
}
