package vgg

import (
	"fmt"
	"maps"
	"slices"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// BuildOptions configures Model.Build. The zero value builds every feature layer
// (conv1_1 … pool5) with average pooling.
type BuildOptions struct {
	// Pooling selects the pooling of pool1 … pool5. Default AvgPool.
	Pooling Pooling

	// Layers names the layers the caller will use (for example the content and
	// style layers). Only the layers up to the deepest of them are built; the
	// layers before it are built too and are reachable. Empty means all, up to
	// pool5. A name the architecture lacks is an error matching ErrUnknownLayer.
	Layers []string

	// Compute is the type the convolutions, biases, ReLUs and poolings
	// compute in: tf.Float (the zero value means tf.Float too), tf.Bfloat16
	// or tf.Half. With the two 16-bit types the first convolution's output
	// and the later weights are cast (the weight variables stay float32)
	// and each layer's output is cast back, so the outputs are float32
	// whatever Compute is; the casts that no fetched output needs are
	// pruned by the session.
	//
	// The first convolution (conv1_1) stays in float32, and its output is
	// cast: the input is the image being optimized, and in bfloat16 its
	// pixels (0–255, less the mean) would round to steps of up to 1 grey
	// level, as coarse as Adam's steps (lr 1), so small updates would not
	// reach the network. It is under 1 % of the network's FLOPs (3 input
	// channels). Measured with package style's BenchmarkPrecision: after
	// 100 Adam iterations, bfloat16's loss was 0.04–0.35 % from float32's
	// with the input cast, 0.02–0.08 % with conv1_1 in float32
	// (docs/gpu.md).
	//
	// bfloat16 has float32's range and an 8-bit significand. float16 has an
	// 11-bit significand but overflows above 65504, which VGG's
	// activations approach (half of it on photographs at 512 px), so with
	// tf.Half conv1_1's output and the later biases are multiplied by
	// HalfScale, and each output is divided by it on the way back: the
	// same function (a ReLU network with these poolings is positively
	// homogeneous), with activations 16 times further from the limit. L2
	// pooling squares its input, so it runs in float32 either way. The
	// gradient that flows back into a float16 network must be kept within
	// range by the caller (package style scales it by its largest value).
	Compute tf.DataType
}

// HalfScale is what a tf.Half network (BuildOptions.Compute) multiplies its
// activations by (conv1_1's output and the later biases): a power of two,
// so the scaling itself is exact.
const HalfScale = 1.0 / 16

// Net is the network that Model.Build added to a graph: one output per feature
// layer, by MatConvNet name. The weights are graph variables: call Init once for
// every session that runs the graph, before fetching any layer. A Net is
// immutable and safe for concurrent use; it keeps its Model (for Init).
type Net struct {
	model   *Model
	input   tf.Output
	names   []string // built layers in network order
	layers  map[string]tf.Output
	vars    []weightVar
	assigns []*tf.Operation
}

// weightVar is one weight variable of a Net: the placeholder its value is fed
// through on Init, and which weights of the model go there.
type weightVar struct {
	init tf.Output
	conv int  // index in Model.convs
	bias bool // the bias, else the kernel
}

// Build adds the feature layers of m to the graph of s, reading from input, and
// returns their outputs.
//
// input, which must belong to the graph of s, is an NHWC float32 batch of RGB images of any height and width with
// m.MeanPixel already subtracted (0–255 scale). The layers are those of the
// MatConvNet network, in order:
//
//	convX_Y: 3×3 convolution, stride 1, SAME padding, plus bias (Conv2D + BiasAdd)
//	reluX_Y: max(x, 0)
//	poolX:   2×2 window, stride 2, average, max or L2 (opts.Pooling), SAME padding
//
// The pooling padding follows neural-style-tf (tf.nn.avg_pool/max_pool with
// padding='SAME'), which the tutorial ports: the output of a pooling is
// ceil(H/2) × ceil(W/2), and on an odd size the last window covers only the valid
// row or column (average and L2 pooling divide by the number of valid cells). That is
// also MatConvNet's own [0 1 0 1] padding of its pooling layers, which pads at the
// bottom and right only; on even sizes, the common case, every variant agrees.
// The convolution output includes the bias, as in MatConvNet (neural-style-tf adds
// the bias in the relu step instead; the relu layers are identical).
//
// The weights become variables (see Net.Init, which every session running the
// graph must call once). Ops are named after their layer under s, e.g.
// "conv1_1/Conv2D", "conv1_1/kernel/VarHandleOp", "pool1/AvgPool" (graft adds a
// suffix to a name that is taken, so Build may be called several times on one
// scope, each Net with its own variables). Build returns an error, and leaves s's
// sticky error set, when an op cannot be added; it does not panic on bad input.
func (m *Model) Build(s *op.Scope, input tf.Output, opts BuildOptions) (*Net, error) {
	if s == nil {
		return nil, fmt.Errorf("vgg: build: nil scope")
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("vgg: build: scope already failed: %w", err)
	}
	if input.Op == nil {
		return nil, fmt.Errorf("vgg: build: input is the zero tf.Output")
	}
	if dt := input.DataType(); dt != tf.Float {
		return nil, fmt.Errorf("vgg: build: input type %s, want float32", tfutil.TypeName(dt))
	}
	if shape := input.Shape(); shape.NumDimensions() >= 0 {
		if n := shape.NumDimensions(); n != 4 {
			return nil, fmt.Errorf("vgg: build: input shape %v, want NHWC (4 dimensions)", shape)
		}
		if c := shape.Size(3); c >= 0 && c != 3 {
			return nil, fmt.Errorf("vgg: build: input shape %v, want 3 channels (RGB)", shape)
		}
	}
	if !opts.Pooling.valid() {
		return nil, fmt.Errorf("vgg: build: unknown pooling %v", opts.Pooling)
	}
	compute := opts.Compute
	switch compute {
	case 0:
		compute = tf.Float
	case tf.Float, tf.Bfloat16, tf.Half:
	default:
		return nil, fmt.Errorf("vgg: build: compute type %s, want float32, bfloat16 or float16", tfutil.TypeName(compute))
	}
	specs := m.arch.specs()
	last := len(specs) - 1
	if len(opts.Layers) > 0 {
		last = -1
		for _, name := range opts.Layers {
			i := m.arch.layerIndex(name)
			if i < 0 {
				return nil, fmt.Errorf("vgg: build: %w", unknownLayer(m.arch, name))
			}
			last = max(last, i)
		}
	}

	net := &Net{model: m, input: input, layers: make(map[string]tf.Output, last+1)}
	x := input
	// toCompute casts a float32 tensor to the compute type, scaled for
	// float16; toFloat casts a layer's output back.
	toCompute := func(s *op.Scope, x tf.Output) tf.Output {
		if compute == tf.Half {
			x = op.Mul(s.SubScope("scale"), x, op.Const(s.SubScope("k"), float32(HalfScale)))
		}
		return op.Cast(s, x, compute)
	}
	toFloat := func(s *op.Scope, x tf.Output) tf.Output {
		x = op.Cast(s, x, tf.Float)
		if compute == tf.Half {
			x = op.Mul(s.SubScope("unscale"), x, op.Const(s.SubScope("k"), float32(1/HalfScale)))
		}
		return x
	}
	// firstConv is true until the first convolution, which runs in float32
	// on the float32 input and casts its output (see Compute).
	firstConv := true
	unit := []int64{1, 1, 1, 1}
	window := []int64{1, 2, 2, 1}
	for _, l := range specs[:last+1] {
		ls := s.SubScope(l.name)
		switch l.kind {
		case kindConv:
			c := &m.convs[l.conv]
			kernel := net.variable(ls.SubScope("kernel"), l.conv, false, c.KernelShape[:])
			bias := net.variable(ls.SubScope("bias"), l.conv, true, c.KernelShape[3:])
			if compute != tf.Float && !firstConv {
				kernel = op.Cast(ls.SubScope("kernel_compute"), kernel, compute)
				bias = toCompute(ls.SubScope("bias_compute"), bias)
			}
			x = op.BiasAdd(ls, op.Conv2D(ls, x, kernel, unit, "SAME"), bias)
			if compute != tf.Float && firstConv {
				x = toCompute(ls.SubScope("compute"), x)
			}
			firstConv = false
		case kindRelu:
			x = op.Relu(ls, x)
		case kindPool:
			switch opts.Pooling {
			case MaxPool:
				x = op.MaxPool(ls, x, window, window, "SAME")
			case L2Pool:
				if compute == tf.Half { // x² would overflow
					x = op.Cast(ls.SubScope("half"), l2Pool(ls, op.Cast(ls.SubScope("float32"), x, tf.Float), window), tf.Half)
				} else {
					x = l2Pool(ls, x, window)
				}
			default:
				x = op.AvgPool(ls, x, window, window, "SAME")
			}
		}
		layer := x
		if compute != tf.Float {
			layer = toFloat(ls.SubScope("output"), x)
		}
		if err := s.Err(); err != nil {
			return nil, fmt.Errorf("vgg: build: layer %q: %w", l.name, err)
		}
		net.names = append(net.names, l.name)
		net.layers[l.name] = layer
	}
	return net, nil
}

// variable adds a weight variable to s: a Placeholder that Init feeds, a
// VarHandleOp, the AssignVariableOp that Init runs and the ReadVariableOp whose
// output it returns.
//
// Why variables and not Const ops: memory. Measured with the full-width VGG19
// (80.1 MB of weights) on TensorFlow 2.18 CPU, 64×64 input, process RSS:
//
//   - As Const ops, the GraphDef alone is 80.1 MB, and the session keeps further
//     copies (the graph it runs, the partitioned graph, the Const kernels'
//     tensors) while grappler copies the graph again to optimise it: RSS grew by
//     600–950 MB over the first runs (by about 400 MB with grappler off).
//   - As variables, the GraphDef is a few KB; Init feeds each weight once (80 MB,
//     transient) and AssignVariableOp keeps the fed buffer: RSS grew by 90 MB,
//     the weights themselves, and stayed there.
//
// The price is one Init call per session; in exchange nothing else changes
// (grappler cannot fold the weights either way, since every conv reads the input,
// and the gradients with respect to the input do not pass through the weights).
func (n *Net) variable(s *op.Scope, conv int, bias bool, shape []int) tf.Output {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	init := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(dims...)))
	if s.Err() != nil {
		return tf.Output{}
	}
	// Resource names live in the session's resource manager, not the graph:
	// name each variable after its (unique) placeholder so that several Builds
	// in one graph do not share variables.
	v := op.VarHandleOp(s, tf.Float, tf.MakeShape(dims...), op.VarHandleOpSharedName(init.Op.Name()))
	assign := op.AssignVariableOp(s, v, init)
	read := op.ReadVariableOp(s, v, tf.Float)
	if s.Err() != nil {
		return tf.Output{}
	}
	n.vars = append(n.vars, weightVar{init: init, conv: conv, bias: bias})
	n.assigns = append(n.assigns, assign)
	return read
}

// Init loads the weights into the variables of the net in sess, which must run
// the graph the net was built in. Call it once per session, before the first Run
// that fetches a layer; calling it again reloads the same weights. It feeds about
// as many bytes as the weights take (80 MB for the real VGG19), which TensorFlow
// keeps as the variables' values without a copy. Init is safe for concurrent use
// with other Init calls.
func (n *Net) Init(sess *tf.Session) error {
	if sess == nil {
		return fmt.Errorf("vgg: init: nil session")
	}
	feeds := make(map[tf.Output]*tf.Tensor, len(n.vars))
	for _, v := range n.vars {
		c := &n.model.convs[v.conv]
		var (
			t   *tf.Tensor
			err error
		)
		if v.bias {
			t, err = tf.NewTensor(c.Bias)
		} else {
			t, err = kernelTensor(c.Kernel, c.KernelShape)
		}
		if err != nil {
			return fmt.Errorf("vgg: init: layer %q: %w", c.Name, err)
		}
		feeds[v.init] = t
	}
	if _, err := sess.Run(feeds, nil, n.assigns); err != nil {
		return fmt.Errorf("vgg: init: %w", err)
	}
	return nil
}

// kernelTensor makes the tensor of a row-major HWIO kernel.
func kernelTensor(kernel []float32, shape [4]int) (*tf.Tensor, error) {
	t, err := tf.NewTensor(kernel)
	if err != nil {
		return nil, err
	}
	if err := t.Reshape([]int64{int64(shape[0]), int64(shape[1]), int64(shape[2]), int64(shape[3])}); err != nil {
		return nil, err
	}
	return t, nil
}

// Arch returns the architecture of the model the net was built from.
func (n *Net) Arch() Arch { return n.model.arch }

// Input returns the input the net reads from.
func (n *Net) Input() tf.Output { return n.input }

// Names returns the names of the built layers in network order (conv1_1 up to
// the deepest layer asked for). The slice is freshly allocated.
func (n *Net) Names() []string { return slices.Clone(n.names) }

// Layer returns the output of the layer called name ("conv4_2", "relu1_1",
// "pool5", …), an NHWC float32 tensor. The error matches ErrUnknownLayer when the
// architecture has no such layer or it lies beyond the deepest one built.
func (n *Net) Layer(name string) (tf.Output, error) {
	if out, ok := n.layers[name]; ok {
		return out, nil
	}
	if HasLayer(n.model.arch, name) {
		return tf.Output{}, fmt.Errorf("vgg: layer %q: %w: not built, the net stops at %q (list it in BuildOptions.Layers)",
			name, ErrUnknownLayer, n.names[len(n.names)-1])
	}
	return tf.Output{}, fmt.Errorf("vgg: %w", unknownLayer(n.model.arch, name))
}

// Layers returns every built layer's output by name, in a new map.
func (n *Net) Layers() map[string]tf.Output { return maps.Clone(n.layers) }

// minL2Pool is the floor under the mean of squares that L2 pooling takes the
// square root of. At a window of zeros (common after a ReLU) √ has an
// infinite derivative, which the zero derivative of x² turns into NaN; with
// the floor the value there is 10⁻¹⁵ instead of 0 and the gradient is 0.
const minL2Pool = 1e-30

// l2Pool is √(AvgPool(x²)) over 2×2 windows, stride 2, SAME padding (on an odd
// size the last window's mean is over its valid cells, as AvgPool's is).
func l2Pool(s *op.Scope, x tf.Output, window []int64) tf.Output {
	sq := op.Square(s.SubScope("square"), x)
	mean := op.AvgPool(s, sq, window, window, "SAME")
	floor := op.Const(s.SubScope("floor"), float32(minL2Pool))
	if dt := x.DataType(); dt != tf.Float {
		floor = op.Cast(s.SubScope("floor_compute"), floor, dt)
	}
	return op.Sqrt(s.SubScope("sqrt"), op.Maximum(s.SubScope("max"), mean, floor))
}
