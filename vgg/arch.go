package vgg

import (
	"fmt"
	"slices"
	"strings"
)

// Arch is a VGG architecture: the number of weight layers of the full network
// (convolutions plus the three fully connected layers).
type Arch int

// The architectures of Simonyan & Zisserman that MatConvNet publishes.
const (
	VGG16 Arch = 16 // 13 convolutions: blocks of 2, 2, 3, 3, 3
	VGG19 Arch = 19 // 16 convolutions: blocks of 2, 2, 4, 4, 4
)

// String returns "VGG16" or "VGG19" ("Arch(n)" for anything else).
func (a Arch) String() string {
	switch a {
	case VGG16, VGG19:
		return fmt.Sprintf("VGG%d", int(a))
	}
	return fmt.Sprintf("Arch(%d)", int(a))
}

// blocks gives the number of convolutions in each of the five blocks.
func (a Arch) blocks() []int {
	switch a {
	case VGG16:
		return []int{2, 2, 3, 3, 3}
	case VGG19:
		return []int{2, 2, 4, 4, 4}
	}
	return nil
}

// layerKind is what a feature layer computes.
type layerKind uint8

const (
	kindConv layerKind = iota
	kindRelu
	kindPool
)

// layerSpec is one feature layer in network order.
type layerSpec struct {
	name string
	kind layerKind
	conv int // for conv and relu layers: index of the convolution (0-based)
}

var (
	layers16 = makeLayers(VGG16)
	layers19 = makeLayers(VGG19)
)

func makeLayers(a Arch) []layerSpec {
	var out []layerSpec
	conv := 0
	for b, n := range a.blocks() {
		for i := 1; i <= n; i++ {
			out = append(out,
				layerSpec{name: fmt.Sprintf("conv%d_%d", b+1, i), kind: kindConv, conv: conv},
				layerSpec{name: fmt.Sprintf("relu%d_%d", b+1, i), kind: kindRelu, conv: conv})
			conv++
		}
		out = append(out, layerSpec{name: fmt.Sprintf("pool%d", b+1), kind: kindPool, conv: -1})
	}
	return out
}

// specs returns the feature layers of a, nil for an unknown Arch.
func (a Arch) specs() []layerSpec {
	switch a {
	case VGG16:
		return layers16
	case VGG19:
		return layers19
	}
	return nil
}

// convNames returns the names of a's convolutions in order.
func (a Arch) convNames() []string {
	var out []string
	for _, l := range a.specs() {
		if l.kind == kindConv {
			out = append(out, l.name)
		}
	}
	return out
}

// LayerNames returns the names of the feature layers of a in network order:
// conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, … pool5 (31 names for VGG16,
// 37 for VGG19; nil for an unknown Arch). The fully connected layers are not part of
// it. The slice is freshly allocated.
func (a Arch) LayerNames() []string {
	specs := a.specs()
	out := make([]string, 0, len(specs))
	for _, l := range specs {
		out = append(out, l.name)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// layerIndex returns the position of name in a's feature layers, or -1.
func (a Arch) layerIndex(name string) int {
	return slices.IndexFunc(a.specs(), func(l layerSpec) bool { return l.name == name })
}

// HasLayer reports whether arch has a feature layer called name
// (for example "conv4_2", "relu5_1", "pool3"; "conv3_4" exists in VGG19 only).
func HasLayer(arch Arch, name string) bool {
	return arch.layerIndex(name) >= 0
}

// Pooling selects the pooling operation of the pool1 … pool5 layers.
type Pooling int

// The pooling operations. The zero value is AvgPool, the default of the
// style-transfer tutorial and of neural-style-tf (smoother results than max).
const (
	AvgPool Pooling = iota // average of each 2×2 window
	MaxPool                // maximum of each 2×2 window, as the network was trained
	// L2Pool is the root mean square of each 2×2 window, √(mean(x²)): the
	// L2 pooling crowsonkb/style-transfer-pytorch offers. It lies between
	// the average and the maximum, and unlike max pooling it passes a
	// gradient to every cell of the window. (PyTorch's LPPool2d, which that
	// project uses, takes the root of the sum, 2× this on a full window, and
	// the project then rescales it by 0.78; here it is not rescaled, like
	// AvgPool.)
	L2Pool
)

// String returns "avg", "max" or "l2" (the strings ParsePooling accepts).
func (p Pooling) String() string {
	switch p {
	case AvgPool:
		return "avg"
	case MaxPool:
		return "max"
	case L2Pool:
		return "l2"
	}
	return fmt.Sprintf("Pooling(%d)", int(p))
}

func (p Pooling) valid() bool { return p == AvgPool || p == MaxPool || p == L2Pool }

// ParsePooling returns the Pooling named s: "avg", "max" or "l2"
// (case-insensitive).
func ParsePooling(s string) (Pooling, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "avg":
		return AvgPool, nil
	case "max":
		return MaxPool, nil
	case "l2":
		return L2Pool, nil
	}
	return 0, fmt.Errorf("vgg: unknown pooling %q, want \"avg\", \"max\" or \"l2\"", s)
}

// LayerShape returns the output size, height × width × channels, of the feature
// layer name of a network built from m for an input image of h × w pixels
// (one image, NHWC). Convolutions keep the size (SAME padding), each pooling
// halves it rounding up (SAME padding), so pool5 of a 480 × 640 input is
// 15 × 20 × 512 for the real weights. h and w must be positive.
func (m *Model) LayerShape(name string, h, w int) (oh, ow, c int, err error) {
	if h <= 0 || w <= 0 {
		return 0, 0, 0, fmt.Errorf("vgg: input size %d×%d, want positive height and width", h, w)
	}
	i := m.arch.layerIndex(name)
	if i < 0 {
		return 0, 0, 0, fmt.Errorf("vgg: %w", unknownLayer(m.arch, name))
	}
	c = 3
	for _, l := range m.arch.specs()[:i+1] {
		switch l.kind {
		case kindConv:
			c = m.convs[l.conv].KernelShape[3]
		case kindPool:
			h, w = (h+1)/2, (w+1)/2
		}
	}
	return h, w, c, nil
}

func unknownLayer(a Arch, name string) error {
	return fmt.Errorf("%w %q in %v (its layers are conv1_1, relu1_1, … pool5)", ErrUnknownLayer, name, a)
}
