package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/neuralstyle/neuralstyle/style"
)

// Size of the loss plot: 16 × 10 cm, which vg renders at 96 dpi as a PNG
// of about 605 × 378 pixels.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 10 * vg.Centimeter
)

// lossPlot renders the loss curves of a transfer (total, content, style and
// total variation, each as weighted in the total, against the iteration) as
// a PNG, with a logarithmic y axis. Values that a log scale cannot show
// (zero, negative, NaN, ±Inf) are left out, and a curve with no value left
// is not drawn; if nothing at all is left the y axis is linear.
func lossPlot(history []style.Progress, title string) (_ []byte, err error) {
	if len(history) == 0 {
		return nil, errors.New("plot: no iterations to plot")
	}
	// gonum/plot panics on data it cannot scale; never let that take the
	// command down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot: %v", r)
		}
	}()

	series := []struct {
		name  string
		value func(style.Progress) float64
		color color.Color
		width vg.Length
	}{
		{"total", func(p style.Progress) float64 { return p.Loss }, color.Black, 2},
		{"content", func(p style.Progress) float64 { return p.Content }, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, 1.2},
		{"style", func(p style.Progress) float64 { return p.Style }, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, 1.2},
		{"total variation", func(p style.Progress) float64 { return p.TV }, color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, 1.2},
	}

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "weighted loss"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	logY := false
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, h := range history {
		for _, s := range series {
			if v := s.value(h); positive(v) {
				logY = true
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	for _, s := range series {
		var xys plotter.XYs
		for _, h := range history {
			v := s.value(h)
			if (logY && !positive(v)) || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(h.Iteration), Y: v})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", s.name, err)
		}
		line.Color, line.Width = s.color, s.width
		p.Add(line)
		if len(xys) == 1 {
			points.Color = s.color
			p.Add(points)
		}
		p.Legend.Add(s.name, line)
	}
	if logY {
		p.Y.Label.Text = "weighted loss (log scale)"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		if lo == hi {
			lo, hi = lo/10, hi*10
		}
		p.Y.Min, p.Y.Max = lo, hi
	}

	wt, err := p.WriterTo(plotWidth, plotHeight, "png")
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return buf.Bytes(), nil
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
