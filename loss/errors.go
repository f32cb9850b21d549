package loss

import "errors"

// Sentinel errors for errors.Is. The builders return errors whose text names
// the function and the argument ("loss: style layer: target: bad shape: ...")
// and wrap one of these.
var (
	// ErrShape reports a tensor whose static shape is unusable: the zero
	// tf.Output, an unknown rank or size (the graph must be built for a known
	// image size), a batch other than 1, a target or mask whose shape does not
	// fit the features, or an empty tensor.
	ErrShape = errors.New("bad shape")

	// ErrDType reports a tensor that is not float32 or float64, or tensors of
	// one term that do not share their element type.
	ErrDType = errors.New("bad element type")

	// ErrWeights reports weights that are negative, NaN or infinite, whose
	// count does not match what they weigh, or that sum to zero where a
	// normalization needs a positive sum.
	ErrWeights = errors.New("bad weights")

	// ErrInvalid reports any other unusable argument: a nil scope, an empty
	// list of layers or images, an unknown GramNorm, ContentNorm or TVKind
	// value or name.
	ErrInvalid = errors.New("invalid argument")
)
