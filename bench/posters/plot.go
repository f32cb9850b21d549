package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"slices"
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
func plotFile(in, out string, content, painting image.Image) error {
	recs, err := readRecords(in)
	if err != nil {
		return err
	}
	if err := predict(recs, content, painting); err != nil {
		return err
	}
	for _, r := range recs {
		fmt.Printf("%-11s %4d×%-4d tile %4d: peak RSS %.2f GiB, predicted %.2f GiB (%+.0f %%), %.1f s/iteration\n", r.Mode, r.Width, r.Height, r.Tile,
			float64(r.PeakRSS)/(1<<30), float64(r.Predicted)/(1<<30), 100*(float64(r.Predicted)/float64(r.PeakRSS)-1), r.SecPerIter)
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s: no records", in)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Width*recs[i].Height < recs[j].Width*recs[j].Height })
	mem := plot.New()
	mem.Title.Text = "Peak resident memory (VGG16, Adam; dashed: predicted)"
	mem.X.Label.Text = "megapixels"
	mem.Y.Label.Text = "GiB"
	mem.Legend.Top, mem.Legend.Left = false, false
	speed := plot.New()
	speed.Title.Text = "Time per iteration (loaded 2-core machine)"
	speed.X.Label.Text = "megapixels"
	speed.Y.Label.Text = "seconds"
	speed.Legend.Top, speed.Legend.Left = false, false
	for _, p := range []*plot.Plot{mem, speed} {
		// Log-log: the sizes span 50 kpx … 11 Mpx, and the lines run from
		// the bottom left to the top right, leaving the legend its corner.
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	type series struct {
		mode string
		tile int
	}
	var keys []series
	for _, r := range recs {
		if k := (series{r.Mode, r.Tile}); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].mode != keys[j].mode {
			return keys[i].mode > keys[j].mode // untiled, tiled, single-pass
		}
		return keys[i].tile < keys[j].tile
	})
	for _, k := range keys {
		var measured, predicted, secs plotter.XYs
		for _, r := range recs {
			if r.Mode != k.mode || r.Tile != k.tile {
				continue
			}
			mp := float64(r.Width*r.Height) / 1e6
			measured = append(measured, plotter.XY{X: mp, Y: float64(r.PeakRSS) / (1 << 30)})
			predicted = append(predicted, plotter.XY{X: mp, Y: float64(r.Predicted) / (1 << 30)})
			if r.SecPerIter > 0 {
				secs = append(secs, plotter.XY{X: mp, Y: r.SecPerIter})
			}
		}
		name := k.mode
		if k.tile > 0 {
			name = fmt.Sprintf("%s %d px", k.mode, k.tile)
		}
		c := colours[k.mode]
		if k.tile > 256 {
			c.R, c.G, c.B = c.R/2, c.G/2, c.B/2 // larger tiles darker
		}
		if err := addLine(mem, measured, c, false, name+" measured"); err != nil {
			return err
		}
		if err := addLine(mem, predicted, c, true, name+" predicted"); err != nil {
			return err
		}
		if len(secs) > 0 {
			if err := addLine(speed, secs, c, false, name); err != nil {
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
