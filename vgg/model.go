package vgg

import (
	"fmt"
	"math"
	"slices"
)

// Conv holds the weights of one convolution layer.
type Conv struct {
	// Name is the MatConvNet layer name: "conv1_1" … "conv5_4".
	Name string

	// Kernel holds the filter in row-major H, W, Cin, Cout order (the HWIO
	// layout of TensorFlow's Conv2D filter): element [h][w][i][o] is at
	// ((h*W+w)*Cin+i)*Cout+o. Channels are RGB for conv1_1.
	Kernel []float32

	// KernelShape is H, W, Cin, Cout; H and W are 3.
	KernelShape [4]int

	// Bias has Cout values.
	Bias []float32

	// Stride is the vertical and horizontal stride. The zero value means [1 1],
	// the only stride the network uses.
	Stride [2]int

	// Pad is the zero padding at the top, bottom, left and right. The zero value
	// means [1 1 1 1], the only padding the network uses (SAME for 3×3 kernels).
	Pad [4]int
}

// clone returns a deep copy of c with the zero Stride and Pad filled in.
func (c Conv) clone() Conv {
	c.Kernel = slices.Clone(c.Kernel)
	c.Bias = slices.Clone(c.Bias)
	if c.Stride == ([2]int{}) {
		c.Stride = [2]int{1, 1}
	}
	if c.Pad == ([4]int{}) {
		c.Pad = [4]int{1, 1, 1, 1}
	}
	return c
}

// Model is a pretrained VGG network's convolutional part: the weights of every
// convolution and the mean pixel of the training images. A Model is immutable
// and safe for concurrent use by multiple goroutines; accessors return copies.
type Model struct {
	arch  Arch
	convs []Conv // in network order; Stride and Pad filled in
	mean  [3]float32
}

// New makes a Model from the weights of every convolution, in network order
// (conv1_1, conv1_2, conv2_1, …), and the mean pixel (RGB, 0–255 scale). The
// architecture is recognised from the number and names of the convolutions:
// 13 for VGG16, 16 for VGG19. The channel counts are free (tests use narrow
// networks) but must chain: conv1_1 reads 3 channels and every other
// convolution reads as many as the previous one writes. The weights are
// validated as by Load and copied, so convs may be reused afterwards.
// Errors match ErrInvalidModel.
func New(convs []Conv, mean [3]float32) (*Model, error) {
	owned := make([]Conv, len(convs))
	for i, c := range convs {
		owned[i] = c.clone()
	}
	m, err := newModel(owned, mean)
	if err != nil {
		return nil, withPrefix("vgg", err)
	}
	return m, nil
}

// newModel validates convs (which it takes ownership of, Stride and Pad already
// defaulted) and returns the Model. Errors carry no "vgg: " prefix.
func newModel(convs []Conv, mean [3]float32) (*Model, error) {
	var arch Arch
	switch len(convs) {
	case len(VGG16.convNames()):
		arch = VGG16
	case len(VGG19.convNames()):
		arch = VGG19
	default:
		return nil, invalid(fmt.Sprintf("%d convolutions, want %d (VGG16) or %d (VGG19)",
			len(convs), len(VGG16.convNames()), len(VGG19.convNames())))
	}
	for i, want := range arch.convNames() {
		if convs[i].Name != want {
			return nil, invalid(fmt.Sprintf("%v convolution %d is %q, want %q", arch, i+1, convs[i].Name, want))
		}
	}
	cin := 3
	for _, c := range convs {
		if err := c.validate(cin); err != nil {
			return nil, err
		}
		cin = c.KernelShape[3]
	}
	for i, v := range mean {
		if !finite(v) {
			return nil, invalid(fmt.Sprintf("mean pixel %v: channel %d is %v", mean, i, v))
		}
	}
	return &Model{arch: arch, convs: convs, mean: mean}, nil
}

// validate checks one convolution that should read cin channels.
func (c *Conv) validate(cin int) error {
	fail := func(format string, args ...any) error {
		return invalid(fmt.Sprintf("layer %q: ", c.Name) + fmt.Sprintf(format, args...))
	}
	s := c.KernelShape
	switch {
	case s[0] != 3 || s[1] != 3:
		return fail("kernel shape %v, want 3×3", s[:])
	case s[2] != cin:
		return fail("kernel shape %v, want Cin %d", s[:], cin)
	case s[3] <= 0:
		return fail("kernel shape %v, want Cout > 0", s[:])
	}
	if n := s[0] * s[1] * s[2] * s[3]; len(c.Kernel) != n {
		return fail("kernel has %d values, shape %v needs %d", len(c.Kernel), s[:], n)
	}
	if len(c.Bias) != s[3] {
		return fail("bias has %d values, want %d (Cout)", len(c.Bias), s[3])
	}
	if c.Stride != [2]int{1, 1} {
		return fail("stride %v, want [1 1]", c.Stride[:])
	}
	if c.Pad != [4]int{1, 1, 1, 1} {
		return fail("pad %v, want [1 1 1 1]", c.Pad[:])
	}
	for i, v := range c.Kernel {
		if !finite(v) {
			o := i % s[3]
			r := i / s[3]
			ci := r % s[2]
			r /= s[2]
			return fail("kernel[%d %d %d %d] is %v", r/s[1], r%s[1], ci, o, v)
		}
	}
	for i, v := range c.Bias {
		if !finite(v) {
			return fail("bias[%d] is %v", i, v)
		}
	}
	return nil
}

func finite(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// Arch returns the architecture, VGG16 or VGG19.
func (m *Model) Arch() Arch { return m.arch }

// MeanPixel returns the mean pixel of the training images in RGB order on the
// 0–255 scale ([123.68 116.779 103.939] for the real weights). Subtract it from
// an image before feeding it to a network built by Build.
func (m *Model) MeanPixel() [3]float32 { return m.mean }

// LayerNames returns the names of the model's feature layers in network order,
// conv1_1, relu1_1, … pool5; see Arch.LayerNames.
func (m *Model) LayerNames() []string { return m.arch.LayerNames() }

// HasLayer reports whether the model has a feature layer called name.
func (m *Model) HasLayer(name string) bool { return HasLayer(m.arch, name) }

// Convs returns a deep copy of the weights of every convolution in network
// order, with Stride and Pad filled in. It allocates as much as the weights
// take (about 80 MB for the real VGG19).
func (m *Model) Convs() []Conv {
	out := make([]Conv, len(m.convs))
	for i, c := range m.convs {
		out[i] = c.clone()
	}
	return out
}

// Conv returns a deep copy of the weights of the convolution called name
// ("conv1_1" …). The error matches ErrUnknownLayer when there is none.
func (m *Model) Conv(name string) (Conv, error) {
	for _, c := range m.convs {
		if c.Name == name {
			return c.clone(), nil
		}
	}
	return Conv{}, fmt.Errorf("vgg: %w", unknownLayer(m.arch, name))
}
