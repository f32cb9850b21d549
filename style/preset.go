package style

// FastIterations is the number of L-BFGS iterations per scale of Fast.
const FastIterations = 30

// FastMinSize is the longest side of Fast's first scale, in pixels.
const FastMinSize = 256

// Fast is a preset for a quick result, aimed at the loss of the tutorial's
// recipe (Adam at learning rate 1 for 500 iterations from the content
// image) in far fewer evaluations: L-BFGS, coarse to fine from FastMinSize
// pixels (WithMultiScale(256)), FastIterations iterations per scale. It
// changes only how the loss is minimized, not what is minimized, so every
// other option keeps its meaning; options after it override its parts (for
// example WithIterations). At the same loss it paints more of the painting
// and keeps less of the photo than the recipe does. At WithMaxSize(256) or
// less it is one scale. Its measured times are in docs/performance.md
// ("Time to quality").
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
