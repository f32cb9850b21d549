package vgg

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/internal/matfile"
)

// This file writes VGG weight files in the real MatConvNet layouts with the
// matfile Writer, for the bad-file tests, the heap test and the benchmark.

// field is one struct field.
type field struct {
	name string
	v    matfile.Value
}

// layerDef is one element of the layers cell.
type layerDef struct {
	name   string // for edits; the file gets what the "name" field says
	fields []field
}

// varDef is one top-level variable; v == nil for "layers" means the layers
// cell built from fileDef.layers.
type varDef struct {
	name string
	v    matfile.Value
}

// fileDef is a whole file before encoding; tests edit it to break it.
type fileDef struct {
	layers []layerDef
	vars   []varDef
}

// fileSpec says what file to make.
type fileSpec struct {
	arch      Arch
	widths    [5]int
	old       bool // old ("beta16") layout, else new
	compress  bool
	bigEndian bool
	fc        [3]int // output channels of fc6, fc7, fc8; zero: 8, 8, 5
	seed      uint64
	editConvs func(convs []Conv)
	edit      func(f *fileDef)
}

// specFile is a made file and what it should decode to.
type specFile struct {
	data  []byte
	convs []Conv // Stride and Pad zero
	mean  [3]float32
}

// mustValue(t)(matfile.NewX(...)) returns the value or fails t.
func mustValue(t testing.TB) func(matfile.Value, error) matfile.Value {
	return func(v matfile.Value, err error) matfile.Value {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

func num(t testing.TB, class matfile.Class, dims []int, data any) matfile.Value {
	t.Helper()
	return mustValue(t)(matfile.NewNumeric(class, dims, data))
}

func cellOf(t testing.TB, elems ...matfile.Value) matfile.Value {
	t.Helper()
	return mustValue(t)(matfile.NewCell([]int{1, len(elems)}, elems))
}

func structOf(t testing.TB, fields ...field) matfile.Value {
	t.Helper()
	names := make([]string, len(fields))
	vals := make([]matfile.Value, len(fields))
	for i, f := range fields {
		names[i], vals[i] = f.name, f.v
	}
	return mustValue(t)(matfile.NewStruct([]int{1, 1}, names, [][]matfile.Value{vals}))
}

// fromHWIO converts a row-major H×W×Cin×Cout kernel to MATLAB's column-major order.
func fromHWIO(k []float32, d [4]int) []float32 {
	out := make([]float32, len(k))
	i := 0
	for o := range d[3] {
		for c := range d[2] {
			for x := range d[1] {
				for y := range d[0] {
					out[i] = k[((y*d[1]+x)*d[2]+c)*d[3]+o]
					i++
				}
			}
		}
	}
	return out
}

// makeFile writes the file spec describes.
func makeFile(t testing.TB, spec fileSpec) specFile {
	t.Helper()
	convs := synthConvs(spec.arch, spec.widths, spec.seed)
	if spec.editConvs != nil {
		spec.editConvs(convs)
	}
	def := buildDef(t, spec, convs)
	if spec.edit != nil {
		spec.edit(def)
	}
	var buf bytes.Buffer
	writeDef(t, &buf, def, spec)
	mean := meanRGB
	if spec.old {
		mean = oldMean()
	}
	return specFile{data: buf.Bytes(), convs: convs, mean: mean}
}

func writeDef(t testing.TB, w io.Writer, def *fileDef, spec fileSpec) {
	t.Helper()
	opts := matfile.WriterOptions{Compress: spec.compress}
	if spec.bigEndian {
		opts.ByteOrder = binary.BigEndian
	}
	mw, err := matfile.NewWriter(w, opts)
	require.NoError(t, err)
	for _, v := range def.vars {
		val := v.v
		if v.name == "layers" && val == nil {
			elems := make([]matfile.Value, len(def.layers))
			for i, l := range def.layers {
				elems[i] = structOf(t, l.fields...)
			}
			val = cellOf(t, elems...)
		}
		require.NoError(t, mw.WriteVar(v.name, val))
	}
}

// oldAverageImage is the old layout's mean image (small: the decoder averages
// any H×W×3), column-major, and oldMean its spatial mean.
func oldAverageImage() []float32 {
	const h, w = 4, 5
	img := make([]float32, h*w*3)
	for c := range 3 {
		for x := range w {
			for y := range h {
				img[c*h*w+x*h+y] = meanRGB[c] + float32(y) - 2*float32(x) + 4
			}
		}
	}
	return img
}

func oldMean() [3]float32 {
	img := oldAverageImage()
	var m [3]float32
	for c := range 3 {
		var s float64
		for _, v := range img[c*20 : (c+1)*20] {
			s += float64(v)
		}
		m[c] = float32(s / 20)
	}
	return m
}

func buildDef(t testing.TB, spec fileSpec, convs []Conv) *fileDef {
	t.Helper()
	fc := spec.fc
	if fc == ([3]int{}) {
		fc = [3]int{8, 8, 5}
	}
	ch := func(s string) matfile.Value { return matfile.NewChar(s) }
	// MATLAB stores small whole doubles as uint8 data: the decoder must convert.
	dbl := func(v ...uint8) matfile.Value { return num(t, matfile.ClassDouble, []int{1, len(v)}, v) }
	single := func(dims []int, data []float32) matfile.Value { return num(t, matfile.ClassSingle, dims, data) }
	logical := func(b bool) matfile.Value { return mustValue(t)(matfile.NewLogical([]int{1, 1}, []bool{b})) }
	empty := mustValue(t)(matfile.NewCell([]int{0, 0}, nil))

	// weights is the {kernel, bias} cell: kernel column-major H×W×Cin×Cout, bias
	// Cout×1 (new layout) or 1×Cout (old layout).
	weights := func(kernel []float32, shape [4]int, bias []float32) matfile.Value {
		return cellOf(t, single(shape[:], kernel), single(biasDims(spec.old, len(bias)), bias))
	}
	convLayer := func(name string, w matfile.Value, shape [4]int, pad uint8) layerDef {
		if spec.old {
			return layerDef{name: name, fields: []field{
				{"weights", w}, {"pad", dbl(pad, pad, pad, pad)}, {"type", ch("conv")},
				{"name", ch(name)}, {"stride", dbl(1, 1)},
			}}
		}
		return layerDef{name: name, fields: []field{
			{"name", ch(name)}, {"type", ch("conv")}, {"weights", w},
			{"size", num(t, matfile.ClassDouble, []int{1, 4}, []float64{float64(shape[0]), float64(shape[1]), float64(shape[2]), float64(shape[3])})},
			{"pad", dbl(pad, pad, pad, pad)}, {"stride", dbl(1, 1)}, {"precious", logical(false)},
			{"dilate", dbl(1)}, {"opts", empty},
		}}
	}
	relu := func(name string) layerDef {
		if spec.old {
			return layerDef{name: name, fields: []field{{"type", ch("relu")}, {"name", ch(name)}}}
		}
		return layerDef{name: name, fields: []field{{"name", ch(name)}, {"type", ch("relu")}, {"leak", dbl(0)}, {"precious", logical(false)}}}
	}

	var layers []layerDef
	for _, l := range spec.arch.specs() {
		switch l.kind {
		case kindConv:
			c := convs[l.conv]
			w := weights(fromHWIO(c.Kernel, c.KernelShape), c.KernelShape, c.Bias)
			layers = append(layers, convLayer(c.Name, w, c.KernelShape, 1))
		case kindRelu:
			layers = append(layers, relu(l.name))
		case kindPool:
			layers = append(layers, layerDef{name: l.name, fields: []field{
				{"name", ch(l.name)}, {"type", ch("pool")}, {"method", ch("max")}, {"pool", dbl(2, 2)},
				{"stride", dbl(2, 2)}, {"pad", dbl(0, 1, 0, 1)}, {"precious", logical(false)}, {"opts", empty},
			}})
		}
	}
	rng := rand.New(rand.NewPCG(spec.seed, 0xfc))
	randoms := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = rng.Float32() - 0.5
		}
		return out
	}
	cin := spec.widths[4]
	for i, spatial := range []int{7, 1, 1} {
		shape := [4]int{spatial, spatial, cin, fc[i]}
		// fc kernels are random, written column-major as they come.
		name := []string{"fc6", "fc7", "fc8"}[i]
		w := weights(randoms(shape[0]*shape[1]*shape[2]*shape[3]), shape, randoms(fc[i]))
		l := convLayer(name, w, shape, 0)
		layers = append(layers, l)
		if i < 2 {
			layers = append(layers, relu([]string{"relu6", "relu7"}[i]))
		}
		cin = fc[i]
	}
	layers = append(layers, layerDef{name: "prob", fields: []field{{"name", ch("prob")}, {"type", ch("softmax")}}})

	classes := structOf(t,
		field{"name", cellOf(t, ch("n01440764"), ch("n01443537"))},
		field{"description", cellOf(t, ch("tench, Tinca tinca"), ch("goldfish, Carassius auratus"))})
	def := &fileDef{layers: layers}
	if spec.old {
		def.vars = []varDef{
			{name: "layers"},
			{name: "classes", v: classes},
			{name: "normalization", v: structOf(t,
				field{"averageImage", single([]int{4, 5, 3}, oldAverageImage())},
				field{"keepAspect", logical(true)}, field{"border", dbl(32, 32)},
				field{"imageSize", dbl(224, 224, 3)}, field{"interpolation", ch("bilinear")})},
		}
		return def
	}
	def.vars = []varDef{
		{name: "layers"},
		{name: "meta", v: structOf(t,
			field{"inputs", structOf(t, field{"name", ch("input")}, field{"size", dbl(224, 224, 3, 10)})},
			field{"classes", classes},
			field{"normalization", structOf(t,
				field{"imageSize", dbl(224, 224, 3, 10)}, field{"interpolation", ch("bilinear")},
				field{"averageImage", single([]int{1, 1, 3}, meanRGB[:])},
				field{"keepAspect", logical(true)}, field{"border", dbl(32, 32)},
				field{"cropSize", num(t, matfile.ClassDouble, []int{1, 1}, []float64{0.875})})}),
		},
	}
	return def
}

// biasDims is Cout×1 (new layout) or 1×Cout (old layout).
func biasDims(old bool, n int) []int {
	if old {
		return []int{1, n}
	}
	return []int{n, 1}
}

// layer returns the layer called name of f.
func (f *fileDef) layer(t testing.TB, name string) *layerDef {
	t.Helper()
	i := slices.IndexFunc(f.layers, func(l layerDef) bool { return l.name == name })
	require.GreaterOrEqual(t, i, 0, "no layer %q", name)
	return &f.layers[i]
}

// set replaces (or, with v nil, removes) field name of l.
func (l *layerDef) set(name string, v matfile.Value) {
	i := slices.IndexFunc(l.fields, func(f field) bool { return f.name == name })
	switch {
	case i < 0:
		l.fields = append(l.fields, field{name, v})
	case v == nil:
		l.fields = slices.Delete(l.fields, i, i+1)
	default:
		l.fields[i].v = v
	}
}
