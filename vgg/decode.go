package vgg

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/neuralstyle/neuralstyle/internal/matfile"
)

// Load reads a MatConvNet VGG weights file (imagenet-vgg-verydeep-19.mat or
// imagenet-vgg-verydeep-16.mat, either layout) and returns its model; see
// Decode. Errors name path.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vgg: %w", err)
	}
	defer f.Close()
	// The *os.File goes to the MAT reader as it is: it buffers, and it uses
	// the file's size to reject sizes the file cannot hold before allocating.
	m, err := decode(f)
	if err != nil {
		return nil, withPrefix("vgg: "+path, err)
	}
	return m, nil
}

// Decode reads a MatConvNet VGG weights file from r and returns its model.
//
// Both published layouts are accepted (see the package documentation); the
// variables, struct fields and layers are found by name, and VGG16 or VGG19 by
// the layer list. r is read once, front to back, and never held: the weights of
// the fully connected layers are skipped without being stored, so the heap
// needed is about the size of the convolution weights (80 MB for VGG19) plus a
// few MB. When r is an io.Seeker (an *os.File), sizes the file claims are
// checked against its length before anything is allocated.
//
// Errors match ErrTruncated (the file ends early, is not a MAT file, or lacks a
// variable, field or layer: a bad download; the text says where to get the
// file), ErrUnsupportedFormat (a MATLAB v7.3/HDF5 file; also matches
// matfile.ErrHDF5, and the text says how to re-save it) or ErrInvalidModel
// (complete but unusable weights: a kernel shape, NaN or Inf). Decode never
// panics on bad input.
func Decode(r io.Reader) (*Model, error) {
	m, err := decode(r)
	if err != nil {
		return nil, withPrefix("vgg", err)
	}
	return m, nil
}

// maxKernelNumel bounds the 3×3 kernels the decoder reads: 3·3·2048·2048
// floats (VGG's largest is 3·3·512·512). Anything else is skipped unread.
const maxKernelNumel = 3 * 3 * 2048 * 2048

// truncated makes an ErrTruncated error: where went wrong, why (cause, which it
// also wraps when it is an error), and where to get a good file.
func truncated(where string, cause any) error {
	e := &modelError{sentinel: ErrTruncated}
	if err, ok := cause.(error); ok {
		e.cause = err
	}
	e.msg = fmt.Sprintf("%s: %v: %v; %s", where, cause, ErrTruncated, getTheFile)
	return e
}

// layerInfo is what the decoder keeps of one element of the layers cell.
type layerInfo struct {
	name       string
	kernel     []float32 // row-major HWIO, nil if absent or skipped
	kernelDims []int     // as stored, also when the kernel was skipped
	bias       []float32
	biasDims   []int
	pad        []float64
	stride     []float64
}

type decoder struct {
	layers     []layerInfo
	haveLayers bool
	mean       [3]float32
	haveMean   bool
}

func decode(r io.Reader) (*Model, error) {
	rd, err := matfile.NewReader(r)
	if err != nil {
		if errors.Is(err, matfile.ErrHDF5) {
			return nil, &modelError{
				msg: fmt.Sprintf("%v: %v (for the weights: net = load('imagenet-vgg-verydeep-19.mat'); "+
					"save('imagenet-vgg-verydeep-19-v7.mat', '-struct', 'net', '-v7'))", ErrUnsupportedFormat, err),
				sentinel: ErrUnsupportedFormat, cause: err,
			}
		}
		return nil, truncated("not a MAT file", err)
	}
	var d decoder
	for {
		v, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, truncated("reading the file", err)
		}
		switch v.Name {
		case "layers":
			if d.haveLayers {
				continue // Next skips it
			}
			if err := d.readLayers(v); err != nil {
				return nil, err
			}
			d.haveLayers = true
		case "meta": // new layout: meta.normalization.averageImage
			if d.haveMean {
				continue
			}
			if err := d.readMeta(v); err != nil {
				return nil, err
			}
		case "normalization": // old layout
			if d.haveMean {
				continue
			}
			if err := d.readNormalization(v, "normalization"); err != nil {
				return nil, err
			}
		}
	}
	if !d.haveLayers {
		return nil, truncated("the file", `no variable "layers"`)
	}
	if !d.haveMean {
		return nil, truncated("the file", `no mean pixel: no variable "meta" (with meta.normalization.averageImage) nor "normalization" (with normalization.averageImage)`)
	}
	return d.model()
}

// readLayers reads the layers cell, keeping the conv weights and the names.
func (d *decoder) readLayers(v *matfile.Array) error {
	if v.Class != matfile.ClassCell {
		return truncated(`variable "layers"`, fmt.Sprintf("class %v, want cell", v.Class))
	}
	for i := 0; ; i++ {
		el, err := v.NextCell()
		if err == io.EOF {
			return nil
		}
		where := fmt.Sprintf("layers{%d}", i+1)
		if err != nil {
			return truncated(where, err)
		}
		if el.Class != matfile.ClassStruct || el.Numel() != 1 {
			return truncated(where, fmt.Sprintf("class %v with dims %v, want a 1×1 struct", el.Class, el.Dims))
		}
		l, err := readLayer(el, where)
		if err != nil {
			return err
		}
		d.layers = append(d.layers, l)
	}
}

// readLayer reads one layer struct. Fields are matched by name; in the old
// layout "weights" comes before "name", so whether a kernel is kept is decided
// from its dims (3×3 kernels are read, fc6's 7×7 and fc7/fc8's 1×1 are skipped)
// and checked against the name afterwards.
func readLayer(el *matfile.Array, where string) (layerInfo, error) {
	var l layerInfo
	loc := func() string {
		if l.name != "" {
			return fmt.Sprintf("layer %q", l.name)
		}
		return where
	}
	for {
		field, val, err := el.NextField()
		if err == io.EOF {
			break
		}
		if err != nil {
			return l, truncated(loc(), err)
		}
		switch field {
		case "name":
			if val.Class != matfile.ClassChar {
				return l, truncated(loc(), fmt.Sprintf("field \"name\": class %v, want char", val.Class))
			}
			name, err := val.Text()
			if err != nil {
				return l, truncated(loc(), err)
			}
			l.name = strings.TrimSpace(name)
		case "weights": // {kernel, bias}
			if val.Class != matfile.ClassCell {
				return l, truncated(loc(), fmt.Sprintf("field \"weights\": class %v, want cell", val.Class))
			}
			for j := 0; ; j++ {
				w, err := val.NextCell()
				if err == io.EOF {
					break
				}
				if err != nil {
					return l, truncated(loc(), err)
				}
				switch j {
				case 0:
					err = l.readKernel(w, "weights{1}")
				case 1:
					err = l.readBias(w, "weights{2}")
				}
				if err != nil {
					return l, truncated(loc(), err)
				}
			}
		case "filters": // very old MatConvNet files
			if err := l.readKernel(val, "filters"); err != nil {
				return l, truncated(loc(), err)
			}
		case "biases":
			if err := l.readBias(val, "biases"); err != nil {
				return l, truncated(loc(), err)
			}
		case "pad", "stride":
			if !val.Class.Numeric() || val.Complex || val.Numel() > 4 {
				return l, truncated(loc(), fmt.Sprintf("field %q: class %v with dims %v, want up to 4 numbers", field, val.Class, val.Dims))
			}
			nums, err := val.Float64s()
			if err != nil {
				return l, truncated(loc(), err)
			}
			if field == "pad" {
				l.pad = nums
			} else {
				l.stride = nums
			}
		}
		// Other fields (type, size, method, precious, opts, …) are skipped by
		// the next NextField call without being read.
	}
	return l, nil
}

// readKernel reads a 3×3 kernel, converting MATLAB's column-major H×W×Cin×Cout
// to row-major HWIO, and skips any other.
func (l *layerInfo) readKernel(w *matfile.Array, field string) error {
	if !w.Class.Numeric() || w.Complex {
		return fmt.Errorf("field %q: class %v, want single", field, w.Class)
	}
	l.kernelDims = slices.Clone(w.Dims)
	dims, ok := dims4(w.Dims)
	if !ok || dims[0] != 3 || dims[1] != 3 || w.Numel() > maxKernelNumel {
		return w.Skip()
	}
	cm, err := w.Float32s()
	if err != nil {
		return err
	}
	l.kernel = toHWIO(cm, dims)
	return nil
}

// readBias reads the bias that goes with a kernel that was read, and skips
// the bias of a skipped one.
func (l *layerInfo) readBias(w *matfile.Array, field string) error {
	if !w.Class.Numeric() || w.Complex {
		return fmt.Errorf("field %q: class %v, want single", field, w.Class)
	}
	l.biasDims = slices.Clone(w.Dims)
	if l.kernel == nil || w.Numel() > 1<<16 {
		return w.Skip()
	}
	b, err := w.Float32s()
	if err != nil {
		return err
	}
	l.bias = b
	return nil
}

// dims4 pads MATLAB dims to four (MATLAB drops trailing singleton dimensions:
// a kernel with Cout 1 is stored as H×W×Cin).
func dims4(d []int) ([4]int, bool) {
	out := [4]int{1, 1, 1, 1}
	if len(d) > 4 {
		for _, x := range d[4:] {
			if x != 1 {
				return out, false
			}
		}
		d = d[:4]
	}
	copy(out[:], d)
	return out, true
}

// toHWIO converts a column-major H×W×Cin×Cout array (element (h,w,i,o) at
// h + H·(w + W·(i + Cin·o))) to row-major order (at ((h·W + w)·Cin + i)·Cout + o).
func toHWIO(cm []float32, d [4]int) []float32 {
	h, w, cin, cout := d[0], d[1], d[2], d[3]
	out := make([]float32, len(cm))
	src := 0
	for o := range cout {
		for i := range cin {
			for x := range w {
				for y := range h {
					out[((y*w+x)*cin+i)*cout+o] = cm[src]
					src++
				}
			}
		}
	}
	return out
}

// readMeta finds meta.normalization (new layout).
func (d *decoder) readMeta(v *matfile.Array) error {
	if v.Class != matfile.ClassStruct || v.Numel() != 1 {
		return truncated(`variable "meta"`, fmt.Sprintf("class %v with dims %v, want a 1×1 struct", v.Class, v.Dims))
	}
	for {
		field, val, err := v.NextField()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return truncated(`variable "meta"`, err)
		}
		if field == "normalization" {
			return d.readNormalization(val, "meta.normalization")
		}
	}
}

// readNormalization reads averageImage from a normalization struct: a 1×1×3
// mean pixel (new layout) or an H×W×3 mean image (old layout), averaged over
// space.
func (d *decoder) readNormalization(v *matfile.Array, where string) error {
	if v.Class != matfile.ClassStruct || v.Numel() != 1 {
		return truncated(where, fmt.Sprintf("class %v with dims %v, want a 1×1 struct", v.Class, v.Dims))
	}
	for {
		field, val, err := v.NextField()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return truncated(where, err)
		}
		if field != "averageImage" {
			continue
		}
		where += ".averageImage"
		n := val.Numel()
		if !val.Class.Numeric() || val.Complex || n == 0 || n%3 != 0 ||
			(n > 3 && (len(val.Dims) != 3 || val.Dims[2] != 3)) {
			return truncated(where, fmt.Sprintf("class %v with dims %v, want 1×1×3 or H×W×3 numbers", val.Class, val.Dims))
		}
		img, err := val.Float64s()
		if err != nil {
			return truncated(where, err)
		}
		// Column-major H×W×3: each channel is a contiguous block of n/3 values.
		per := n / 3
		for c := range 3 {
			var sum float64
			for _, x := range img[c*per : (c+1)*per] {
				sum += x
			}
			d.mean[c] = float32(sum / float64(per))
		}
		d.haveMean = true
		return nil
	}
}

// model checks the layer list, picks the architecture and validates the convs.
func (d *decoder) model() (*Model, error) {
	names := make([]string, len(d.layers))
	byName := make(map[string]*layerInfo, len(d.layers))
	for i := range d.layers {
		l := &d.layers[i]
		if l.name == "" {
			return nil, truncated(fmt.Sprintf("layers{%d}", i+1), `no field "name"`)
		}
		names[i] = l.name
		if _, dup := byName[l.name]; dup {
			return nil, truncated(fmt.Sprintf("layers{%d}", i+1), fmt.Sprintf("second layer named %q", l.name))
		}
		byName[l.name] = l
	}
	arch := VGG16
	if byName["conv3_4"] != nil || byName["conv4_4"] != nil || byName["conv5_4"] != nil {
		arch = VGG19
	}
	// The feature layers must all be there, in order; other layers (fc6 …
	// prob) may follow or sit between.
	want := arch.LayerNames()
	var got []string
	for _, n := range names {
		if HasLayer(arch, n) {
			got = append(got, n)
		}
	}
	for _, n := range want {
		if byName[n] == nil {
			return nil, truncated("layers", fmt.Sprintf("no layer %q (%v has %s; the file has %d layers)", n, arch, strings.Join(want, " "), len(names)))
		}
	}
	for i := range want {
		if got[i] != want[i] {
			return nil, truncated("layers", fmt.Sprintf("layer %q comes where %q belongs", got[i], want[i]))
		}
	}

	convs := make([]Conv, 0, len(arch.convNames()))
	for _, name := range arch.convNames() {
		l := byName[name]
		c, err := l.conv()
		if err != nil {
			return nil, err
		}
		convs = append(convs, c)
	}
	return newModel(convs, d.mean)
}

// conv turns a conv layer's fields into a Conv (validated later by newModel).
func (l *layerInfo) conv() (Conv, error) {
	fail := func(format string, args ...any) error {
		return invalid(fmt.Sprintf("layer %q: ", l.name) + fmt.Sprintf(format, args...))
	}
	switch {
	case l.kernelDims == nil:
		return Conv{}, truncated(fmt.Sprintf("layer %q", l.name), `no kernel (field "weights")`)
	case l.kernel == nil:
		d := l.kernelDims
		if k, ok := dims4(d); ok {
			return Conv{}, fail("kernel shape %v, want 3×3", k[:])
		}
		return Conv{}, fail("kernel dims %v, want H×W×Cin×Cout", d)
	case l.biasDims == nil:
		return Conv{}, truncated(fmt.Sprintf("layer %q", l.name), `no bias (field "weights")`)
	}
	shape, _ := dims4(l.kernelDims)
	c := Conv{Name: l.name, Kernel: l.kernel, KernelShape: shape, Bias: l.bias,
		Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}}
	if l.bias == nil || len(l.bias) != shape[3] || !isVector(l.biasDims) {
		return Conv{}, fail("bias dims %v, want %d×1 or 1×%d (Cout)", l.biasDims, shape[3], shape[3])
	}
	if l.stride != nil {
		s, ok := expand(l.stride, 2)
		if !ok {
			return Conv{}, fail("stride %v, want whole numbers", l.stride)
		}
		c.Stride = [2]int(s)
	}
	if l.pad != nil {
		p, ok := expand(l.pad, 4)
		if !ok {
			return Conv{}, fail("pad %v, want whole numbers", l.pad)
		}
		c.Pad = [4]int(p)
	}
	return c, nil
}

// isVector reports whether MATLAB dims describe a vector (n×1 or 1×n).
func isVector(d []int) bool {
	big := 0
	for _, x := range d {
		if x != 1 {
			big++
		}
	}
	return big <= 1
}

// expand turns a MATLAB stride or pad (1, 2 or 4 numbers) into n ints:
// a scalar is repeated, a pair [a b] becomes [a a b b] for n = 4.
func expand(v []float64, n int) ([]int, bool) {
	var out []int
	switch {
	case len(v) == 1:
		out = slices.Repeat([]int{0}, n)
		for i := range out {
			out[i] = int(v[0])
		}
	case len(v) == n:
		out = make([]int, n)
		for i := range out {
			out[i] = int(v[i])
		}
	case len(v) == 2 && n == 4:
		out = []int{int(v[0]), int(v[0]), int(v[1]), int(v[1])}
	default:
		return nil, false
	}
	for _, x := range v {
		if x != math.Trunc(x) || x < 0 || x > 1<<20 {
			return nil, false
		}
	}
	return out, true
}
