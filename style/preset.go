package style

// FastIterations is the number of L-BFGS iterations per scale of Fast.
const FastIterations = 30

// FastMinSize is the longest side of Fast's first scale, in pixels.
const FastMinSize = 256

// Fast is the quickest route measured to the picture of the tutorial's
// recipe (Adam at learning rate 1 for 500 iterations from the content
// image): L-BFGS, coarse to fine from FastMinSize pixels
// (WithMultiScale(256)), FastIterations iterations per scale. It changes
// only how the loss is minimized, not what is minimized, so every other
// option keeps its meaning; options after it override its parts (for
// example WithIterations).
//
// Measured with bench/ttq.sh on the ImageNet VGG16 at 512 px on 2 CPU
// cores, on the default objective: the tutorial recipe's final loss, which
// TensorFlow's Python API takes 964 s to reach, was reached in 52 s by
// L-BFGS from 256 px (0.054× the time) and in 82 s by L-BFGS at one scale;
// see the README's "Time to quality" for the table and the curves. At
// WithMaxSize(256) or less it is one scale.
//
// The defaults stay neural-style-tf's (L-BFGS for 1000 iterations at one
// scale), which go on to a lower loss.
func Fast() Option {
	return optionFunc(func(c *config) error {
		c.optimizer = LBFGS()
		c.multiScaleMin = FastMinSize
		c.iterations = FastIterations
		return nil
	})
}
