package vgg

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// TestBuildMatchesGoldens runs the tiny fixture networks on the fixed inputs of
// goldens.json and compares every layer with the independent numpy forward pass
// (both architectures, avg, max and l2 pooling, odd 9×11 and even 8×12 inputs).
func TestBuildMatchesGoldens(t *testing.T) {
	g := loadGoldens(t)
	require.NotEmpty(t, g.Activations)
	models := map[string]*Model{}
	for _, arch := range []string{"VGG16", "VGG19"} {
		m, err := New(goldenConvs(t, arch), meanRGB)
		require.NoError(t, err)
		require.Equal(t, arch, m.Arch().String())
		models[arch] = m
	}
	seen := map[string]bool{}
	for _, a := range g.Activations {
		name := fmt.Sprintf("%s/%s/%v", a.Arch, a.Pooling, a.Input.Shape)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			m := models[a.Arch]
			pooling, err := ParsePooling(a.Pooling)
			require.NoError(t, err)
			got, shapes := runNet(t, m, pooling, a.Input.shape64(), a.Input.floats(t), nil)
			require.Len(t, a.Layers, len(m.LayerNames()), "goldens cover every layer")
			for _, layer := range m.LayerNames() {
				want, ok := a.Layers[layer]
				require.True(t, ok, "golden for %s", layer)
				require.Equal(t, want.shape64(), shapes[layer], layer)
				requireClose(t, want.floats(t), got[layer], layer)

				h, w, c, err := m.LayerShape(layer, a.Input.Shape[1], a.Input.Shape[2])
				require.NoError(t, err)
				assert.Equal(t, []int{1, h, w, c}, want.Shape, "LayerShape(%s)", layer)
			}
		})
	}
	for _, arch := range []string{"VGG16", "VGG19"} {
		for _, p := range []string{"avg", "max", "l2"} {
			for _, s := range [][]int{{1, 9, 11, 3}, {1, 8, 12, 3}} {
				assert.True(t, seen[fmt.Sprintf("%s/%s/%v", arch, p, s)], "goldens lack %s %s %v", arch, p, s)
			}
		}
	}
}

// TestBuild16Bit runs the golden networks with Compute bfloat16 and
// float16: every layer's output is float32 and within the 16-bit rounding
// of the numpy forward pass, the convolutions are ops of that type, and the
// outputs differ from float32's (the casts took effect). The bound counts
// the roundings on the path to each layer (roundingsTo) at the type's unit
// roundoff u (2⁻⁸ for bfloat16, 2⁻¹¹ for float16), each relative to the
// layer's largest magnitude, plus float32's own 1e-4: a first-order worst
// case, not a fit to one CPU's kernels (a flat 0.4 % for float16, which
// passed on an AMD EPYC, failed on an Intel Xeon with AVX512-FP16: 0.48 %
// at relu4_1). On that Xeon, with TF_ENABLE_ONEDNN_OPTS 1 and 0, the
// errors were at most 0.72 u at conv1_1 (one rounding) and 0.41 of the
// bound at the later layers. float16's scaling (HalfScale) is undone
// exactly: without it the outputs would be 16 times smaller, far outside
// the bound.
func TestBuild16Bit(t *testing.T) {
	g := loadGoldens(t)
	m, err := New(goldenConvs(t, "VGG19"), meanRGB)
	require.NoError(t, err)
	roundings := roundingsTo(m.LayerNames())
	for _, tc := range []struct {
		compute      tf.DataType
		unitRoundoff float64
	}{{tf.Bfloat16, math.Ldexp(1, -8)}, {tf.Half, math.Ldexp(1, -11)}} {
		for _, a := range g.Activations {
			if a.Arch != "VGG19" {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s/%v", tfutil.TypeName(tc.compute), a.Pooling, a.Input.Shape), func(t *testing.T) {
				pooling, err := ParsePooling(a.Pooling)
				require.NoError(t, err)
				shape, input := a.Input.shape64(), a.Input.floats(t)
				low, _ := runNetWith(t, m, BuildOptions{Pooling: pooling, Compute: tc.compute}, shape, input)
				f32, _ := runNetWith(t, m, BuildOptions{Pooling: pooling}, shape, input)
				differs := false
				for _, layer := range m.LayerNames() {
					want := a.Layers[layer].floats(t)
					bound := float64(roundings[layer])*tc.unitRoundoff + 1e-4
					requireWithin(t, want, low[layer], bound, layer)
					requireClose(t, want, f32[layer], layer)
					differs = differs || !slices.Equal(low[layer], f32[layer])
				}
				assert.True(t, differs, "%s gave float32's values", tfutil.TypeName(tc.compute))
			})
		}

		s := op.NewScope()
		in := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 8, 8, 3)))
		_, err = m.Build(s, in, BuildOptions{Compute: tc.compute, Layers: []string{"relu2_1"}})
		require.NoError(t, err)
		graph, err := s.Finalize()
		require.NoError(t, err)
		convs := 0
		for _, o := range graph.Operations() {
			if o.Type() == "Conv2D" {
				convs++
				want := tc.compute
				if strings.Contains(o.Name(), "conv1_1/") {
					want = tf.Float // on the image itself (BuildOptions.Compute)
				}
				assert.Equal(t, want, o.Output(0).DataType(), o.Name())
			}
		}
		assert.Equal(t, 3, convs, "conv1_1, conv1_2, conv2_1")
	}
}

// roundingsTo counts the 16-bit roundings on the path from the input to each
// of a 16-bit network's layers (BuildOptions.Compute), names in network
// order: conv1_1 runs in float32 and its output is rounded once; every
// later convolution rounds its kernel, its bias, its product and the sum
// with the bias; every pooling rounds its output (max pooling does not, but
// is counted). ReLU and the casts back to float32 are exact.
func roundingsTo(names []string) map[string]int {
	out := make(map[string]int, len(names))
	n := 0
	for _, name := range names {
		switch {
		case name == "conv1_1":
			n = 1
		case strings.HasPrefix(name, "conv"):
			n += 4
		case strings.HasPrefix(name, "pool"):
			n++
		}
		out[name] = n
	}
	return out
}

// TestBuildFullWidthShapes builds the full-width VGG19 (random weights, no file)
// on a 480×640 input and checks the static shapes of every layer against the
// tutorial's (conv4_1 1×60×80×512, pool5 1×15×20×512) and LayerShape. The graph
// is not run.
func TestBuildFullWidthShapes(t *testing.T) {
	m, err := New(synthConvs(VGG19, fullWidths, 1), meanRGB)
	require.NoError(t, err)
	s := op.NewScope()
	in := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 480, 640, 3)))
	net, err := m.Build(s, in, BuildOptions{})
	require.NoError(t, err)
	require.Equal(t, VGG19.LayerNames(), net.Names())

	want := map[string][]int64{
		"conv1_1": {1, 480, 640, 64}, "relu1_2": {1, 480, 640, 64}, "pool1": {1, 240, 320, 64},
		"conv2_1": {1, 240, 320, 128}, "pool2": {1, 120, 160, 128},
		"conv3_1": {1, 120, 160, 256}, "relu3_4": {1, 120, 160, 256}, "pool3": {1, 60, 80, 256},
		"conv4_1": {1, 60, 80, 512}, "conv4_2": {1, 60, 80, 512}, "pool4": {1, 30, 40, 512},
		"relu5_1": {1, 30, 40, 512}, "pool5": {1, 15, 20, 512},
	}
	for name, shape := range want {
		out, err := net.Layer(name)
		require.NoError(t, err)
		got, err := out.Shape().ToSlice()
		require.NoError(t, err)
		assert.Equal(t, shape, got, name)
	}
	for name, out := range net.Layers() {
		got, err := out.Shape().ToSlice()
		require.NoError(t, err)
		h, w, c, err := m.LayerShape(name, 480, 640)
		require.NoError(t, err)
		assert.Equal(t, []int64{1, int64(h), int64(w), int64(c)}, got, name)
	}

	graph, err := s.Finalize()
	require.NoError(t, err)
	size, err := graph.WriteTo(io.Discard)
	require.NoError(t, err)
	var weights int
	for _, c := range m.convs {
		weights += 4 * (len(c.Kernel) + len(c.Bias))
	}
	t.Logf("full-width VGG19 GraphDef: %d bytes, conv weights %d bytes", size, weights)
	// The weights are variables fed by Init: the GraphDef holds none of them.
	assert.Less(t, size, int64(64<<10))
}

// TestBuildOnlyUpToDeepest checks that Build adds no op beyond the deepest layer
// asked for, and that Net.Layer reports the layers it did not build.
func TestBuildOnlyUpToDeepest(t *testing.T) {
	m, err := New(synthConvs(VGG16, [5]int{2, 2, 2, 2, 2}, 2), meanRGB)
	require.NoError(t, err)
	s := op.NewScope()
	in := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 16, 16, 3)))
	net, err := m.Build(s, in, BuildOptions{Layers: []string{"relu1_1", "conv2_2", "pool1"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1", "conv2_1", "relu2_1", "conv2_2"}, net.Names())
	assert.Len(t, net.Layers(), 8)

	_, err = net.Layer("relu2_2")
	require.ErrorIs(t, err, ErrUnknownLayer)
	assert.EqualError(t, err, `vgg: layer "relu2_2": unknown layer: not built, the net stops at "conv2_2" (list it in BuildOptions.Layers)`)
	_, err = net.Layer("conv3_4") // VGG19 only
	require.ErrorIs(t, err, ErrUnknownLayer)
	assert.EqualError(t, err, `vgg: unknown layer "conv3_4" in VGG16 (its layers are conv1_1, relu1_1, … pool5)`)

	graph, err := s.Finalize()
	require.NoError(t, err)
	for _, o := range graph.Operations() {
		assert.NotContains(t, o.Name(), "relu2_2")
		assert.NotContains(t, o.Name(), "conv3")
		assert.NotContains(t, o.Name(), "pool2")
	}
	assert.NotNil(t, graph.Operation("conv2_2/BiasAdd"))
	assert.NotNil(t, graph.Operation("conv1_1/kernel/VarHandleOp"))
	assert.NotNil(t, graph.Operation("pool1/AvgPool"))
}

func TestBuildErrors(t *testing.T) {
	m, err := New(synthConvs(VGG16, [5]int{2, 2, 2, 2, 2}, 3), meanRGB)
	require.NoError(t, err)
	tests := []struct {
		name    string
		input   func(s *op.Scope) tf.Output
		opts    BuildOptions
		want    string
		wantErr error
	}{
		{
			name:  "float64 input",
			input: func(s *op.Scope) tf.Output { return op.Placeholder(s, tf.Double) },
			want:  "vgg: build: input type float64, want float32",
		},
		{
			name: "rank 3 input",
			input: func(s *op.Scope) tf.Output {
				return op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(8, 8, 3)))
			},
			want: "vgg: build: input shape [8, 8, 3], want NHWC (4 dimensions)",
		},
		{
			name: "grey input",
			input: func(s *op.Scope) tf.Output {
				return op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 8, 8, 1)))
			},
			want: "vgg: build: input shape [1, 8, 8, 1], want 3 channels (RGB)",
		},
		{
			name:  "zero input",
			input: func(s *op.Scope) tf.Output { return tf.Output{} },
			want:  "vgg: build: input is the zero tf.Output",
		},
		{
			name:    "unknown layer",
			input:   func(s *op.Scope) tf.Output { return op.Placeholder(s, tf.Float) },
			opts:    BuildOptions{Layers: []string{"relu1_1", "conv5_4"}},
			want:    `vgg: build: unknown layer "conv5_4" in VGG16 (its layers are conv1_1, relu1_1, … pool5)`,
			wantErr: ErrUnknownLayer,
		},
		{
			name:  "float64 compute",
			input: func(s *op.Scope) tf.Output { return op.Placeholder(s, tf.Float) },
			opts:  BuildOptions{Compute: tf.Double},
			want:  "vgg: build: compute type float64, want float32, bfloat16 or float16",
		},
		{
			name:  "unknown pooling",
			input: func(s *op.Scope) tf.Output { return op.Placeholder(s, tf.Float) },
			opts:  BuildOptions{Pooling: 7},
			want:  "vgg: build: unknown pooling Pooling(7)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := op.NewScope()
			net, err := m.Build(s, tt.input(s), tt.opts)
			require.Error(t, err)
			assert.Nil(t, net)
			assert.EqualError(t, err, tt.want)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
		})
	}

	t.Run("nil scope", func(t *testing.T) {
		_, err := m.Build(nil, tf.Output{}, BuildOptions{})
		assert.EqualError(t, err, "vgg: build: nil scope")
	})
	t.Run("failed scope", func(t *testing.T) {
		s := op.NewScope()
		in := op.Placeholder(s, tf.Float)
		op.Placeholder(s, tf.Float) // duplicate name: the scope's sticky error is set
		_, err := m.Build(s, in, BuildOptions{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "vgg: build: scope already failed: ")
	})
}

// TestBuildTwiceOnOneScope builds two nets (e.g. content and style branches)
// into one graph and runs both.
func TestBuildTwiceOnOneScope(t *testing.T) {
	m, err := New(goldenConvs(t, "VGG16"), meanRGB)
	require.NoError(t, err)
	s := op.NewScope()
	a := op.Placeholder(s.SubScope("in_a"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, 8, 12, 3)))
	b := op.Placeholder(s.SubScope("in_b"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, 9, 11, 3)))
	na, err := m.Build(s.SubScope("a"), a, BuildOptions{Layers: []string{"relu2_1"}})
	require.NoError(t, err)
	nb, err := m.Build(s, b, BuildOptions{Pooling: MaxPool})
	require.NoError(t, err)
	oa, err := na.Layer("relu2_1")
	require.NoError(t, err)
	ob, err := nb.Layer("pool5")
	require.NoError(t, err)
	graph, err := s.Finalize()
	require.NoError(t, err)
	assert.NotNil(t, graph.Operation("a/conv1_1/Conv2D"))
	assert.NotNil(t, graph.Operation("pool5/MaxPool"))

	sess, err := tf.NewSession(graph, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	require.NoError(t, na.Init(sess))
	require.NoError(t, nb.Init(sess))
	ta, err := tf.NewTensor(make([]float32, 8*12*3))
	require.NoError(t, err)
	require.NoError(t, ta.Reshape([]int64{1, 8, 12, 3}))
	tb, err := tf.NewTensor(make([]float32, 9*11*3))
	require.NoError(t, err)
	require.NoError(t, tb.Reshape([]int64{1, 9, 11, 3}))
	res, err := sess.Run(map[tf.Output]*tf.Tensor{a: ta, b: tb}, []tf.Output{oa, ob}, nil)
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 4, 6, 6}, res[0].Shape())
	assert.Equal(t, []int64{1, 1, 1, 12}, res[1].Shape())
}

// TestInit checks that a session must load the weights with Init, that Init
// works in several sessions of one graph and may be repeated, and that the
// values do not depend on which session ran.
func TestInit(t *testing.T) {
	m, err := New(goldenConvs(t, "VGG19"), meanRGB)
	require.NoError(t, err)
	s := op.NewScope()
	in := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 8, 12, 3)))
	net, err := m.Build(s, in, BuildOptions{Layers: []string{"relu2_1"}})
	require.NoError(t, err)
	out, err := net.Layer("relu2_1")
	require.NoError(t, err)
	graph, err := s.Finalize()
	require.NoError(t, err)
	x, err := tf.NewTensor(make([]float32, 8*12*3))
	require.NoError(t, err)
	require.NoError(t, x.Reshape([]int64{1, 8, 12, 3}))

	var results [][]float32
	for i := range 2 {
		sess, err := tf.NewSession(graph, nil)
		require.NoError(t, err)
		if i == 0 {
			_, err = sess.Run(map[tf.Output]*tf.Tensor{in: x}, []tf.Output{out}, nil)
			require.Error(t, err, "running before Init fails")
		}
		require.NoError(t, net.Init(sess))
		require.NoError(t, net.Init(sess), "Init may be repeated")
		res, err := sess.Run(map[tf.Output]*tf.Tensor{in: x}, []tf.Output{out}, nil)
		require.NoError(t, err)
		results = append(results, flatten(t, res[0]))
		require.NoError(t, sess.Close())
	}
	assert.Equal(t, results[0], results[1])
	assert.EqualError(t, net.Init(nil), "vgg: init: nil session")
}

// TestRebind imports the graph of a net into a new graph (as a caller does to
// give it a default device), rebinds the net there and checks that it loads
// its weights and computes the goldens; a graph without the net fails.
func TestRebind(t *testing.T) {
	g := loadGoldens(t)
	m, err := New(goldenConvs(t, "VGG16"), meanRGB)
	require.NoError(t, err)
	s := op.NewScope()
	in := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 8, 12, 3)))
	net, err := m.Build(s, in, BuildOptions{Pooling: MaxPool, Layers: []string{"relu4_1"}})
	require.NoError(t, err)
	graph, err := s.Finalize()
	require.NoError(t, err)
	var def bytes.Buffer
	_, err = graph.WriteTo(&def)
	require.NoError(t, err)

	g2 := tf.NewGraph()
	require.NoError(t, g2.Import(def.Bytes(), ""))
	net2, err := net.Rebind(g2)
	require.NoError(t, err)
	out, err := net2.Layer("relu4_1")
	require.NoError(t, err)
	require.NotNil(t, out.Op)
	assert.Equal(t, g2.Operation(out.Op.Name()), out.Op, "the output lives in g2")

	sess, err := tf.NewSession(g2, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	require.NoError(t, net2.Init(sess))
	for _, a := range g.Activations {
		if a.Arch != "VGG16" || a.Pooling != "max" || a.Input.Shape[1] != 8 {
			continue
		}
		x, err := tf.NewTensor(a.Input.floats(t))
		require.NoError(t, err)
		require.NoError(t, x.Reshape([]int64{1, 8, 12, 3}))
		res, err := sess.Run(map[tf.Output]*tf.Tensor{net2.Input(): x}, []tf.Output{out}, nil)
		require.NoError(t, err)
		requireClose(t, a.Layers["relu4_1"].floats(t), flatten(t, res[0]), "relu4_1")
	}

	_, err = net.Rebind(tf.NewGraph())
	assert.EqualError(t, err, `vgg: rebind: the graph has no op "Placeholder"`)
	_, err = net.Rebind(nil)
	assert.EqualError(t, err, "vgg: rebind: nil graph")
}

// TestL2PoolGradient: L2 pooling's gradient is x/(n·y) for a window of n
// valid cells with root mean square y, and 0 (not NaN) on a window of zeros,
// which ReLU layers produce often. A 3×3 input has windows of 4, 2, 2 and 1
// cells (SAME padding).
func TestL2PoolGradient(t *testing.T) {
	x := []float32{
		0, 0, 3,
		0, 0, -4,
		1, 2, 0,
	}
	s := op.NewScope()
	in := op.Const(s.SubScope("x"), x)
	in4 := op.Reshape(s.SubScope("nhwc"), in, op.Const(s.SubScope("shape"), []int32{1, 3, 3, 1}))
	y := l2Pool(s.SubScope("pool"), in4, []int64{1, 2, 2, 1})
	sum := op.Sum(s.SubScope("sum"), y, op.Const(s.SubScope("axes"), []int32{0, 1, 2, 3}))
	grad := op.Gradients(s.SubScope("grad"), []tf.Output{sum}, []tf.Output{in})
	graph, err := s.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(graph, nil)
	require.NoError(t, err)
	defer sess.Close()
	out, err := sess.Run(nil, []tf.Output{y, grad[0]}, nil)
	require.NoError(t, err)
	pooled := out[0].Value().([][][][]float32)
	// windows: {0,0,0,0} (4 cells), {3,-4} (2), {1,2} (2), {0} (1)
	assert.InDelta(t, 0, pooled[0][0][0][0], 1e-12)
	assert.InDelta(t, math.Sqrt(12.5), pooled[0][0][1][0], 1e-6)
	assert.InDelta(t, math.Sqrt(2.5), pooled[0][1][0][0], 1e-6)
	assert.InDelta(t, 0, pooled[0][1][1][0], 1e-12)
	y01, y10 := math.Sqrt(12.5), math.Sqrt(2.5)
	want := []float64{
		0, 0, 3 / (2 * y01),
		0, 0, -4 / (2 * y01),
		1 / (2 * y10), 2 / (2 * y10), 0,
	}
	got := out[1].Value().([]float32)
	for i := range want {
		assert.InDelta(t, want[i], float64(got[i]), 1e-6, "∂/∂x[%d]", i)
	}
}
