package vgg

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArchLayerNames(t *testing.T) {
	v19 := VGG19.LayerNames()
	require.Len(t, v19, 37)
	assert.Equal(t, []string{"conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1", "conv2_1"}, v19[:6])
	assert.Equal(t, []string{"conv5_4", "relu5_4", "pool5"}, v19[34:])
	// The order of the MatConvNet file: pools at 4 9 18 27 36.
	for _, i := range []int{4, 9, 18, 27, 36} {
		assert.Regexp(t, `^pool\d$`, v19[i])
	}
	v16 := VGG16.LayerNames()
	require.Len(t, v16, 31)
	assert.Equal(t, []string{"conv3_3", "relu3_3", "pool3"}, v16[14:17])
	assert.Nil(t, Arch(11).LayerNames())
	assert.Len(t, VGG19.convNames(), 16)
	assert.Len(t, VGG16.convNames(), 13)

	v19[0] = "changed"
	assert.Equal(t, "conv1_1", VGG19.LayerNames()[0], "LayerNames returns a copy")
}

func TestHasLayer(t *testing.T) {
	tests := []struct {
		arch Arch
		name string
		want bool
	}{
		{VGG19, "conv1_1", true}, {VGG19, "relu5_1", true}, {VGG19, "conv3_4", true},
		{VGG19, "pool5", true}, {VGG19, "fc6", false}, {VGG19, "input", false}, {VGG19, "", false},
		{VGG16, "conv3_3", true}, {VGG16, "conv3_4", false}, {VGG16, "relu5_4", false},
		{VGG16, "pool5", true}, {Arch(0), "conv1_1", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, HasLayer(tt.arch, tt.name), "%v %q", tt.arch, tt.name)
	}
}

func TestStrings(t *testing.T) {
	assert.Equal(t, "VGG16", VGG16.String())
	assert.Equal(t, "VGG19", VGG19.String())
	assert.Equal(t, "Arch(7)", Arch(7).String())
	assert.Equal(t, "avg", AvgPool.String())
	assert.Equal(t, "max", MaxPool.String())
	assert.Equal(t, "l2", L2Pool.String())
	assert.Equal(t, "Pooling(3)", Pooling(3).String())

	for in, want := range map[string]Pooling{"avg": AvgPool, "max": MaxPool, "MAX": MaxPool, " avg ": AvgPool, "L2": L2Pool} {
		got, err := ParsePooling(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParsePooling("mean")
	assert.EqualError(t, err, `vgg: unknown pooling "mean", want "avg", "max" or "l2"`)
}

// convsWith returns narrow VGG19 convolutions with one changed by edit.
func convsWith(name string, edit func(c *Conv)) []Conv {
	convs := synthConvs(VGG19, [5]int{64, 4, 4, 4, 4}, 9)
	for i := range convs {
		if convs[i].Name == name {
			edit(&convs[i])
		}
	}
	return convs
}

func TestNewValidates(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name  string
		convs []Conv
		mean  [3]float32
		want  string
	}{
		{
			name: "Cin differs from previous Cout",
			convs: convsWith("conv1_2", func(c *Conv) {
				c.KernelShape = [4]int{3, 3, 5, 64}
				c.Kernel = make([]float32, 3*3*5*64)
			}),
			want: `vgg: layer "conv1_2": kernel shape [3 3 5 64], want Cin 64`,
		},
		{
			name: "conv1_1 does not read RGB",
			convs: convsWith("conv1_1", func(c *Conv) {
				c.KernelShape = [4]int{3, 3, 1, 64}
				c.Kernel = make([]float32, 3*3*1*64)
			}),
			want: `vgg: layer "conv1_1": kernel shape [3 3 1 64], want Cin 3`,
		},
		{
			name: "5x5 kernel",
			convs: convsWith("conv2_1", func(c *Conv) {
				c.KernelShape = [4]int{5, 5, 64, 4}
				c.Kernel = make([]float32, 5*5*64*4)
			}),
			want: `vgg: layer "conv2_1": kernel shape [5 5 64 4], want 3×3`,
		},
		{
			name:  "kernel length",
			convs: convsWith("conv3_1", func(c *Conv) { c.Kernel = c.Kernel[:10] }),
			want:  `vgg: layer "conv3_1": kernel has 10 values, shape [3 3 4 4] needs 144`,
		},
		{
			name:  "zero Cout",
			convs: convsWith("conv5_4", func(c *Conv) { c.KernelShape[3] = 0; c.Kernel = nil; c.Bias = nil }),
			want:  `vgg: layer "conv5_4": kernel shape [3 3 4 0], want Cout > 0`,
		},
		{
			name:  "bias length",
			convs: convsWith("conv4_2", func(c *Conv) { c.Bias = c.Bias[:3] }),
			want:  `vgg: layer "conv4_2": bias has 3 values, want 4 (Cout)`,
		},
		{
			name:  "NaN kernel",
			convs: convsWith("conv3_3", func(c *Conv) { c.Kernel[((2*3+1)*4+3)*4+2] = nan }),
			want:  `vgg: layer "conv3_3": kernel[2 1 3 2] is NaN`,
		},
		{
			name:  "Inf bias",
			convs: convsWith("conv5_1", func(c *Conv) { c.Bias[1] = -inf }),
			want:  `vgg: layer "conv5_1": bias[1] is -Inf`,
		},
		{
			name:  "stride",
			convs: convsWith("conv1_1", func(c *Conv) { c.Stride = [2]int{2, 2} }),
			want:  `vgg: layer "conv1_1": stride [2 2], want [1 1]`,
		},
		{
			name:  "pad",
			convs: convsWith("conv2_2", func(c *Conv) { c.Pad = [4]int{0, 1, 0, 1} }),
			want:  `vgg: layer "conv2_2": pad [0 1 0 1], want [1 1 1 1]`,
		},
		{
			name:  "too few convolutions",
			convs: convsWith("", nil)[:12],
			want:  `vgg: 12 convolutions, want 13 (VGG16) or 16 (VGG19)`,
		},
		{
			name:  "none",
			convs: nil,
			want:  `vgg: 0 convolutions, want 13 (VGG16) or 16 (VGG19)`,
		},
		{
			name:  "wrong order",
			convs: swap(convsWith("", nil), 2, 3),
			want:  `vgg: VGG19 convolution 3 is "conv2_2", want "conv2_1"`,
		},
		{
			name:  "NaN mean",
			convs: convsWith("", nil),
			mean:  [3]float32{1, nan, 3},
			want:  `vgg: mean pixel [1 NaN 3]: channel 1 is NaN`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.convs, tt.mean)
			assert.Nil(t, m)
			require.ErrorIs(t, err, ErrInvalidModel)
			assert.EqualError(t, err, tt.want)
		})
	}
}

func swap(c []Conv, i, j int) []Conv {
	c[i], c[j] = c[j], c[i]
	return c
}

func TestNewVGG16AndDefaults(t *testing.T) {
	convs := synthConvs(VGG16, [5]int{2, 3, 4, 5, 6}, 4)
	m, err := New(convs, meanRGB)
	require.NoError(t, err)
	assert.Equal(t, VGG16, m.Arch())
	assert.Equal(t, meanRGB, m.MeanPixel())
	assert.Equal(t, VGG16.LayerNames(), m.LayerNames())
	assert.True(t, m.HasLayer("conv3_3"))
	assert.False(t, m.HasLayer("conv3_4"))
	got := m.Convs()
	require.Len(t, got, 13)
	for i, c := range got {
		assert.Equal(t, [2]int{1, 1}, c.Stride, c.Name)
		assert.Equal(t, [4]int{1, 1, 1, 1}, c.Pad, c.Name)
		assert.Equal(t, convs[i].Kernel, c.Kernel, c.Name)
		assert.Equal(t, convs[i].Bias, c.Bias, c.Name)
		assert.Equal(t, convs[i].KernelShape, c.KernelShape, c.Name)
	}
	c, err := m.Conv("conv4_2")
	require.NoError(t, err)
	assert.Equal(t, [4]int{3, 3, 5, 5}, c.KernelShape)
	_, err = m.Conv("relu4_2")
	require.ErrorIs(t, err, ErrUnknownLayer)
	assert.EqualError(t, err, `vgg: unknown layer "relu4_2" in VGG16 (its layers are conv1_1, relu1_1, … pool5)`)
}

// TestModelIsImmutable changes the caller's slices after New and the slices
// the accessors return, and checks the model does not see it; then reads the
// model from many goroutines (run with -race).
func TestModelIsImmutable(t *testing.T) {
	convs := synthConvs(VGG19, [5]int{2, 2, 2, 2, 2}, 5)
	want := slices.Clone(convs[0].Kernel)
	m, err := New(convs, meanRGB)
	require.NoError(t, err)
	convs[0].Kernel[0] = 42
	convs[0].Bias[0] = 42
	got := m.Convs()
	assert.Equal(t, want, got[0].Kernel)
	got[0].Kernel[1] = 43
	c, err := m.Conv("conv1_1")
	require.NoError(t, err)
	assert.Equal(t, want, c.Kernel)
	c.Bias[0] = 44
	assert.NotEqual(t, float32(44), m.Convs()[0].Bias[0])

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, name := range m.LayerNames() {
				_, _, _, err := m.LayerShape(name, 31, 17)
				assert.NoError(t, err)
			}
			assert.Len(t, m.Convs(), 16)
		})
	}
	wg.Wait()
}

func TestLayerShape(t *testing.T) {
	convs := make([]Conv, 0, 16)
	cin := 3
	for _, c := range synthConvs(VGG19, [5]int{1, 1, 1, 1, 1}, 6) { // names only
		var b int
		fmt.Sscanf(c.Name, "conv%d_", &b)
		cout := fullWidths[b-1]
		convs = append(convs, Conv{Name: c.Name, KernelShape: [4]int{3, 3, cin, cout},
			Kernel: make([]float32, 9*cin*cout), Bias: make([]float32, cout)})
		cin = cout
	}
	m, err := New(convs, meanRGB)
	require.NoError(t, err)
	tests := []struct {
		name    string
		h, w    int
		want    [3]int
		wantErr string
	}{
		{name: "conv1_1", h: 480, w: 640, want: [3]int{480, 640, 64}},
		{name: "pool1", h: 480, w: 640, want: [3]int{240, 320, 64}},
		{name: "conv4_1", h: 480, w: 640, want: [3]int{60, 80, 512}},
		{name: "conv4_2", h: 512, w: 384, want: [3]int{64, 48, 512}},
		{name: "pool5", h: 480, w: 640, want: [3]int{15, 20, 512}},
		{name: "pool1", h: 9, w: 11, want: [3]int{5, 6, 64}},
		{name: "pool5", h: 9, w: 11, want: [3]int{1, 1, 512}},
		{name: "relu3_4", h: 1, w: 1, want: [3]int{1, 1, 256}},
		{name: "fc6", h: 224, w: 224, wantErr: `vgg: unknown layer "fc6" in VGG19 (its layers are conv1_1, relu1_1, … pool5)`},
		{name: "conv1_1", h: 0, w: 5, wantErr: "vgg: input size 0×5, want positive height and width"},
	}
	for _, tt := range tests {
		h, w, c, err := m.LayerShape(tt.name, tt.h, tt.w)
		if tt.wantErr != "" {
			assert.EqualError(t, err, tt.wantErr)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, [3]int{h, w, c}, "%s %d×%d", tt.name, tt.h, tt.w)
	}
}
