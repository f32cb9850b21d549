// Command video scores stylized videos for issue #26 (docs/video.md,
// "Moving objects"): for each folder of output frames (frame_00001.png, …,
// as examples/video writes them) it prints, per frame and on average,
//
//   - the motion fidelity (video.MotionFidelity, defaults): how well the
//     output's edges follow the input's on the pixels that move between
//     consecutive input frames, found from the input alone;
//   - the warping error (video.WarpingError) with one reference flow for
//     every folder: DIS (medium preset) between the input frames at the
//     working size, the flow video mode used before #26, so that runs whose
//     stylizer used another flow are measured alike.
//
// Usage:
//
//	go run ./bench/video -in vtest.avi -frames 8 -max-size 192 DIR…
//
// The input frames are read from -in and resized to -max-size as the
// Stylizer does (imageio.Resize); -input-out DIR writes them as PNGs. A folder named "input" scores the input
// frames against themselves (fidelity 1). -side-by-side OUT.mp4 also writes
// the input frames and those of every DIR, left to right with 4 white
// pixels between them, as one MP4 at -fps frames per second (the showcase
// of docs/video.md).
package main

import (
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/video"
)

func main() {
	in := flag.String("in", "", "input video file or folder of frames")
	frames := flag.Int("frames", 8, "number of frames to score")
	maxSize := flag.Int("max-size", 192, "working size (longest side, pixels)")
	inputOut := flag.String("input-out", "", "also write the resized input frames to this folder (frame_00001.png, …)")
	sideBySide := flag.String("side-by-side", "", "also write the input and every folder's frames side by side to this MP4 file")
	fps := flag.Float64("fps", 10, "frame rate of -side-by-side, frames per second")
	flag.Parse()
	if err := run(*in, *frames, *maxSize, *inputOut, flag.Args(), *sideBySide, *fps); err != nil {
		fmt.Fprintln(os.Stderr, "bench/video:", err)
		os.Exit(1)
	}
}

func run(in string, n, maxSize int, inputOut string, dirs []string, sideBySide string, fps float64) error {
	src, err := video.OpenFrames(in)
	if err != nil {
		return err
	}
	defer src.Close()
	var inputs []*video.Planar
	var inputImages []image.Image
	var grays []*video.Gray
	for len(inputs) < n {
		img, name, err := src.Next()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		small, err := imageio.Resize(img, maxSize)
		if err != nil {
			return err
		}
		g, err := video.ToGray(small)
		if err != nil {
			return err
		}
		inputs, grays = append(inputs, video.PlanarOf(small)), append(grays, g)
		inputImages = append(inputImages, small)
		if inputOut != "" {
			if err := writePNG(filepath.Join(inputOut, video.FrameName(len(inputs))), small); err != nil {
				return err
			}
		}
	}
	flow := video.DIS{Preset: video.DISMedium}
	var bwds []*video.Flow
	var masks [][]float32
	for t := 1; t < n; t++ {
		fwd, err := flow.Flow(grays[t-1], grays[t], t+1, false)
		if err != nil {
			return err
		}
		bwd, err := flow.Flow(grays[t], grays[t-1], t+1, true)
		if err != nil {
			return err
		}
		mask, err := video.Consistency(fwd, bwd)
		if err != nil {
			return err
		}
		bwds, masks = append(bwds, bwd), append(masks, mask)
	}
	panels := [][]image.Image{inputImages}
	for _, dir := range dirs {
		outs := inputs
		if filepath.Base(dir) != "input" {
			outs = nil
			var imgs []image.Image
			for t := 1; t <= n; t++ {
				img, err := readPNG(filepath.Join(dir, video.FrameName(t)))
				if err != nil {
					return err
				}
				outs, imgs = append(outs, video.PlanarOf(img)), append(imgs, img)
			}
			panels = append(panels, imgs)
		}
		var fidSum, weSum float64
		line := ""
		for t := 1; t < n; t++ {
			s, err := video.MotionFidelity{}.Score(inputs[t-1], inputs[t], outs[t])
			if err != nil {
				return err
			}
			we, err := video.WarpingError(outs[t-1], outs[t], bwds[t-1], masks[t-1])
			if err != nil {
				return err
			}
			fidSum += s.Score
			weSum += we
			line += fmt.Sprintf("  %d: %.3f/%.2f", t+1, s.Score, we)
		}
		k := float64(n - 1)
		fmt.Printf("%s  fidelity %.3f  warp error %.2f  (frame: fidelity/warp error%s)\n", dir, fidSum/k, weSum/k, line)
		if math.IsNaN(fidSum) {
			fmt.Printf("%s: a frame without moving pixels\n", dir)
		}
	}
	if sideBySide == "" {
		return nil
	}
	return writeSideBySide(sideBySide, fps, panels)
}

// writeSideBySide writes frame t of every panel (all of one size), left to
// right with a 4-pixel white gap, as frame t of an MP4 file.
func writeSideBySide(path string, fps float64, panels [][]image.Image) error {
	const gap = 4
	size := panels[0][0].Bounds().Size()
	w, h := size.X, size.Y
	var frames []image.Image
	for t := range panels[0] {
		sheet := image.NewRGBA(image.Rect(0, 0, len(panels)*w+(len(panels)-1)*gap, h))
		draw.Draw(sheet, sheet.Bounds(), image.White, image.Point{}, draw.Src)
		for i, p := range panels {
			if got := p[t].Bounds().Size(); got != size {
				return fmt.Errorf("%s: panel %d, frame %d is %v, the input's %v", path, i+1, t+1, got, size)
			}
			r := image.Rect(i*(w+gap), 0, i*(w+gap)+w, h)
			draw.Draw(sheet, r, p[t], p[t].Bounds().Min, draw.Src)
		}
		frames = append(frames, sheet)
	}
	return video.WriteMP4(path, fps, frames)
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
