package style

import (
	"context"
	"fmt"
	"image"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// Losses is a loss and its terms, each already multiplied by its weight:
// Total = Content + Style + TV + Terms (the WithTerms terms), as in
// Progress.
type Losses struct {
	Total, Content, Style, TV, Terms float64
}

// Loss returns the loss that a transfer of content in the style of
// styleImage, with the Transferer's options followed by opts, assigns to
// img at its full size (the last scale of a WithMultiScale run): how good
// img is as that transfer's result, by the transfer's own measure. img
// must have the size Transfer returns for these images and options, and is
// evaluated as its 8-bit pixels are.
//
// It compares results on one scale: the output of a WithPrecision(BFloat16)
// or Float16 run, evaluated with WithPrecision(Float32) in opts, against a
// float32 run's; or images from two settings or programs. The network runs
// as a transfer's would (on the WithDevice device, tiled where the memory
// plan says so), and fails as a transfer would: with an error matching
// ErrInvalidOption, a *MemoryError, or an error naming the image at fault. Loss is safe for
// concurrent use with Transfer on the same Transferer (they take turns).
func (t *Transferer) Loss(ctx context.Context, content, styleImage, img image.Image, opts ...Option) (Losses, error) {
	cfg, device, err := t.configure(opts)
	if err != nil {
		return Losses{}, err
	}
	if img == nil || img.Bounds().Empty() {
		return Losses{}, fmt.Errorf("style: Loss: the image to evaluate is empty")
	}
	plans, err := t.plan(&cfg, device, content, styleImage, []int{cfg.maxSize})
	if err != nil {
		return Losses{}, err
	}
	p, err := t.prepare(&cfg, content, styleImage)
	if err != nil {
		return Losses{}, err
	}
	if b := img.Bounds(); b.Dx() != p.w || b.Dy() != p.h {
		return Losses{}, fmt.Errorf("style: Loss: the image to evaluate is %d×%d px, and the transfer's output is %d×%d px "+
			"(the content image fitted to WithMaxSize %d)", b.Dx(), b.Dy(), p.w, p.h, cfg.maxSize)
	}
	if err := ctx.Err(); err != nil {
		return Losses{}, fmt.Errorf("style: %w", err)
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return Losses{}, ErrClosed
	}
	explain := func(err error, during string) error {
		return xlaToolchain(outOfMemory(err, plans[0], during), cfg.xla, device.Short())
	}
	if err := t.useEngine(&cfg, p, plans[0]); err != nil {
		return Losses{}, explain(err, "building the graph")
	}
	mean := imageio.Mean(t.model.MeanPixel())
	if _, err := t.setTargets(ctx, &cfg, p, mean); err != nil {
		return Losses{}, explain(err, "the targets")
	}
	x, _, _ := imageio.ToTensor(img, mean)
	ev, err := t.engine.evaluate(x, make([]float32, len(x)))
	if err != nil {
		return Losses{}, explain(err, "the evaluation")
	}
	return Losses{Total: ev.total, Content: ev.content, Style: ev.style, TV: ev.tv, Terms: ev.terms}, nil
}
