package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/neuralstyle/neuralstyle/style"
)

// reporter shows the progress of a transfer.
type reporter interface {
	// update is called after every iteration.
	update(p style.Progress)
	// stop ends the display, so that what is printed next starts on a
	// line of its own.
	stop()
}

// newReporter returns a progress bar on stderr when stderr is a terminal,
// else a reporter that prints a line to stdout every few iterations; quiet
// gives one that shows nothing.
func newReporter(stdout, stderr io.Writer, iterations int, quiet bool) reporter {
	switch {
	case quiet:
		return nopReporter{}
	case isTerminal(stderr):
		return newBarReporter(stderr, iterations)
	default:
		return &lineReporter{w: stdout, every: lineInterval(iterations)}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type nopReporter struct{}

func (nopReporter) update(style.Progress) {}
func (nopReporter) stop()                 {}

// barReporter draws a progress bar with the iteration count, the rate, the
// elapsed time and an estimate of the time left, followed by the losses.
type barReporter struct {
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newBarReporter(w io.Writer, iterations int) *barReporter {
	bar := progressbar.NewOptions(iterations,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("preparing"),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
	return &barReporter{bar: bar, w: w}
}

func (r *barReporter) update(p style.Progress) {
	r.bar.Describe(fmt.Sprintf("loss %.4g (content %.3g, style %.3g, tv %.3g)", p.Loss, p.Content, p.Style, p.TV))
	_ = r.bar.Set(p.Iteration)
}

func (r *barReporter) stop() {
	_ = r.bar.Exit()
	fmt.Fprintln(r.w)
}

// lineReporter prints one line every `every` iterations, after the first
// and after the last (the last one run, if the run ends early).
type lineReporter struct {
	w     io.Writer
	every int

	started      bool
	firstIter    int
	firstElapsed time.Duration
	latest       style.Progress
	printed      int
}

func (r *lineReporter) update(p style.Progress) {
	if !r.started {
		r.started, r.firstIter, r.firstElapsed = true, p.Iteration, p.Elapsed
	}
	r.latest = p
	if p.Iteration == r.firstIter || p.Iteration%r.every == 0 || p.Iteration == p.Iterations {
		r.print(p)
	}
}

func (r *lineReporter) print(p style.Progress) {
	r.printed = p.Iteration
	eta := "?"
	if n := p.Iteration - r.firstIter; n > 0 {
		perIter := (p.Elapsed - r.firstElapsed) / time.Duration(n)
		eta = roundDuration(perIter * time.Duration(p.Iterations-p.Iteration)).String()
	}
	width := len(fmt.Sprint(p.Iterations))
	fmt.Fprintf(r.w, "iteration %*d/%d  loss %.4g (content %.3g, style %.3g, tv %.3g)  elapsed %v  eta %s\n",
		width, p.Iteration, p.Iterations, p.Loss, p.Content, p.Style, p.TV, roundDuration(p.Elapsed), eta)
}

func (r *lineReporter) stop() {
	if r.started && r.latest.Iteration != r.printed {
		r.print(r.latest)
	}
}

// lineInterval is the smallest of 1, 2, 5, 10, 20, 50, … that gives at most
// about 20 lines for a run of n iterations.
func lineInterval(n int) int {
	for step := 1; ; step *= 10 {
		for _, k := range []int{1, 2, 5} {
			if k*step*20 >= n {
				return k * step
			}
		}
	}
}

// roundDuration rounds to a tenth of a second below 10 s, else to seconds.
func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
