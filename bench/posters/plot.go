package main

import (
	"fmt"
	"image/color"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// series styles: untiled blue, tiled orange, single-pass green.
var colours = map[string]color.RGBA{
	"untiled":     {31, 119, 180, 255},
	"tiled":       {255, 127, 14, 255},
	"single-pass": {44, 160, 44, 255},
}

// plotFile draws, from the records of in, peak RSS (measured and
// predicted) and seconds per iteration against megapixels, side by side,
// into the PNG out.
func plotFile(in, out string) error {
	recs, err := readRecords(in)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s: no records", in)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Width*recs[i].Height < recs[j].Width*recs[j].Height })
	mem := plot.New()
	mem.Title.Text = "Peak resident memory (VGG16, Adam)"
	mem.X.Label.Text = "megapixels"
	mem.Y.Label.Text = "GiB"
	mem.Legend.Top, mem.Legend.Left = true, true
	speed := plot.New()
	speed.Title.Text = "Time per iteration (loaded 2-core machine)"
	speed.X.Label.Text = "megapixels"
	speed.Y.Label.Text = "seconds"
	speed.Legend.Top, speed.Legend.Left = true, true
	for _, mode := range []string{"untiled", "tiled", "single-pass"} {
		var measured, predicted, secs plotter.XYs
		for _, r := range recs {
			if r.Mode != mode {
				continue
			}
			mp := float64(r.Width*r.Height) / 1e6
			measured = append(measured, plotter.XY{X: mp, Y: float64(r.PeakRSS) / (1 << 30)})
			predicted = append(predicted, plotter.XY{X: mp, Y: float64(r.Predicted) / (1 << 30)})
			if r.SecPerIter > 0 {
				secs = append(secs, plotter.XY{X: mp, Y: r.SecPerIter})
			}
		}
		if len(measured) == 0 {
			continue
		}
		c := colours[mode]
		if err := addLine(mem, measured, c, false, mode+" measured"); err != nil {
			return err
		}
		if err := addLine(mem, predicted, c, true, mode+" predicted"); err != nil {
			return err
		}
		if len(secs) > 0 {
			if err := addLine(speed, secs, c, false, mode); err != nil {
				return err
			}
		}
	}
	const w, h = 28 * vg.Centimeter, 11 * vg.Centimeter
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := plot.Align([][]*plot.Plot{{mem, speed}}, draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter}, dc)
	mem.Draw(tiles[0][0])
	speed.Draw(tiles[0][1])
	return savePNG(img, out)
}

func addLine(p *plot.Plot, xys plotter.XYs, c color.RGBA, dashed bool, name string) error {
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color, pts.Color = c, c
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		pts.Shape = draw.CrossGlyph{}
	}
	p.Add(l, pts)
	p.Legend.Add(name, l, pts)
	return nil
}

func savePNG(img *vgimg.Canvas, path string) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		os.Remove(path + ".tmp")
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
