package vgg

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// goldenArray is a float32 array of goldens.json: shape plus little-endian
// float32 data, base64-encoded.
type goldenArray struct {
	Shape []int  `json:"shape"`
	Data  string `json:"data"`
}

// shape64 returns the array's shape as TensorFlow's int64 dimensions.
func (g goldenArray) shape64() []int64 {
	out := make([]int64, len(g.Shape))
	for i, d := range g.Shape {
		out[i] = int64(d)
	}
	return out
}

func (g goldenArray) floats(t testing.TB) []float32 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(g.Data)
	require.NoError(t, err)
	require.Zero(t, len(raw)%4)
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	n := 1
	for _, d := range g.Shape {
		n *= d
	}
	require.Len(t, out, n, "shape %v", g.Shape)
	return out
}

// goldens is vgg/testdata/goldens.json, written by make_fixtures.py.
type goldens struct {
	Files map[string]struct {
		Arch       string      `json:"arch"`
		Layout     string      `json:"layout"`
		Compressed bool        `json:"compressed"`
		Mean       goldenArray `json:"mean"`
	} `json:"files"`
	Models map[string]struct {
		Convs []struct {
			Name   string      `json:"name"`
			Kernel goldenArray `json:"kernel"`
			Bias   goldenArray `json:"bias"`
		} `json:"convs"`
	} `json:"models"`
	Activations []struct {
		Arch    string                 `json:"arch"`
		Pooling string                 `json:"pooling"`
		Input   goldenArray            `json:"input"`
		Layers  map[string]goldenArray `json:"layers"`
	} `json:"activations"`
}

var (
	goldenOnce sync.Once
	goldenData *goldens
	goldenErr  error
)

func loadGoldens(t testing.TB) *goldens {
	t.Helper()
	goldenOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("testdata", "goldens.json"))
		if err != nil {
			goldenErr = err
			return
		}
		goldenData = new(goldens)
		goldenErr = json.Unmarshal(raw, goldenData)
	})
	require.NoError(t, goldenErr)
	return goldenData
}

// goldenConvs returns the convolutions the fixture script wrote for arch.
func goldenConvs(t testing.TB, arch string) []Conv {
	t.Helper()
	g := loadGoldens(t)
	m, ok := g.Models[arch]
	require.True(t, ok, "no golden model %s", arch)
	var out []Conv
	for _, c := range m.Convs {
		require.Len(t, c.Kernel.Shape, 4)
		out = append(out, Conv{
			Name:        c.Name,
			Kernel:      c.Kernel.floats(t),
			KernelShape: [4]int(c.Kernel.Shape),
			Bias:        c.Bias.floats(t),
		})
	}
	return out
}

// fullWidths are the channel counts of blocks 1..5 of the real networks.
var fullWidths = [5]int{64, 128, 256, 512, 512}

// synthConvs returns random convolutions for arch with the given block widths
// (Stride and Pad left zero). Weights are He-scaled normals, biases small.
func synthConvs(arch Arch, widths [5]int, seed uint64) []Conv {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var out []Conv
	cin := 3
	for _, name := range arch.convNames() {
		var b, i int
		fmt.Sscanf(name, "conv%d_%d", &b, &i)
		cout := widths[b-1]
		k := make([]float32, 9*cin*cout)
		std := math.Sqrt(2 / float64(9*cin))
		for j := range k {
			k[j] = float32(rng.NormFloat64() * std)
		}
		bias := make([]float32, cout)
		for j := range bias {
			bias[j] = float32(rng.NormFloat64() * 0.1)
		}
		out = append(out, Conv{Name: name, Kernel: k, KernelShape: [4]int{3, 3, cin, cout}, Bias: bias})
		cin = cout
	}
	return out
}

var meanRGB = [3]float32{123.68, 116.779, 103.939}

// runNet builds m on a placeholder of the given NHWC shape, feeds input and
// returns every built layer's value (flat, row-major) and shape.
func runNet(t testing.TB, m *Model, pooling Pooling, shape []int64, input []float32, names []string) (map[string][]float32, map[string][]int64) {
	t.Helper()
	return runNetWith(t, m, BuildOptions{Pooling: pooling, Layers: names}, shape, input)
}

// runNetWith is runNet with every build option: the layers of opts.Layers,
// or all, by name, with their shapes.
func runNetWith(t testing.TB, m *Model, opts BuildOptions, shape []int64, input []float32) (map[string][]float32, map[string][]int64) {
	t.Helper()
	s := op.NewScope()
	in := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(shape...)))
	net, err := m.Build(s, in, opts)
	require.NoError(t, err)
	names := opts.Layers
	if len(names) == 0 {
		names = net.Names()
	}
	var fetch []tf.Output
	for _, n := range names {
		out, err := net.Layer(n)
		require.NoError(t, err)
		fetch = append(fetch, out)
	}
	graph, err := s.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(graph, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	require.NoError(t, net.Init(sess))

	feed, err := tf.NewTensor(input)
	require.NoError(t, err)
	require.NoError(t, feed.Reshape(shape))
	res, err := sess.Run(map[tf.Output]*tf.Tensor{in: feed}, fetch, nil)
	require.NoError(t, err)
	vals := make(map[string][]float32, len(names))
	shapes := make(map[string][]int64, len(names))
	for i, n := range names {
		require.Equal(t, tf.Float, res[i].DataType(), "layer %s", n)
		shapes[n] = res[i].Shape()
		vals[n] = flatten(t, res[i])
	}
	return vals, shapes
}

// flatten returns the values of a float32 tensor in row-major order.
func flatten(t testing.TB, x *tf.Tensor) []float32 {
	t.Helper()
	var buf bytes.Buffer
	_, err := x.WriteContentsTo(&buf)
	require.NoError(t, err)
	raw := buf.Bytes()
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// requireClose checks got against want to float32 precision: every element
// within 1e-4 relative to itself plus 1e-4 of the layer's largest magnitude
// (the rounding of a float32 sum scales with its terms, not its result).
func requireClose(t testing.TB, want, got []float32, msgAndArgs ...any) {
	t.Helper()
	requireNear(t, want, got, 1e-4, 1e-4, msgAndArgs...)
}

// requireWithin checks that every element of got is within frac of the
// largest magnitude in want.
func requireWithin(t testing.TB, want, got []float32, frac float64, msgAndArgs ...any) {
	t.Helper()
	requireNear(t, want, got, 0, frac, msgAndArgs...)
}

// requireNear checks that every element of got is within rel of the
// element of want plus ofLargest of want's largest magnitude, and reports
// the element that misses by most.
func requireNear(t testing.TB, want, got []float32, rel, ofLargest float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	var scale float64
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	worst, at := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		tol := rel*math.Abs(float64(want[i])) + ofLargest*scale
		if d > tol && d-tol > worst {
			worst, at = d-tol, i
		}
	}
	if at >= 0 {
		require.Failf(t, "values differ", "element %d: got %v, want %v, more than %g of itself plus %g of the largest magnitude %v; %s",
			at, got[at], want[at], rel, ofLargest, scale, fmt.Sprint(msgAndArgs...))
	}
}
