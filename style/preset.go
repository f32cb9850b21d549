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
// L-BFGS from 256 px (0.054× the time, the same run) and, in a later run
// against the same target, by Fast in 52 evaluations and 88 s (0.09×; that
// run's one-scale L-BFGS took 72 s, 40 evaluations). At the same loss it
// paints more of the painting and keeps less of the photo than the recipe
// does; see the README's "Time to quality". At WithMaxSize(256) or less it
// is one scale.
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
