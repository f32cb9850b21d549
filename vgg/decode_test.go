package vgg

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/internal/matfile"
)

// TestLoadFixtures loads the files make_fixtures.py wrote with scipy (VGG19
// and VGG16, new and old layout, uncompressed and compressed) and checks that
// they hold exactly the arrays the script wrote: every kernel, as row-major
// HWIO, every bias, and the mean pixel.
func TestLoadFixtures(t *testing.T) {
	g := loadGoldens(t)
	var names []string
	for name := range g.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	require.Len(t, names, 8)
	for _, name := range names {
		f := g.Files[name]
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", name))
			require.NoError(t, err)
			assert.Equal(t, f.Arch, m.Arch().String())
			want := goldenConvs(t, f.Arch)
			got := m.Convs()
			require.Len(t, got, len(want))
			for i := range want {
				assert.Equal(t, want[i].Name, got[i].Name)
				assert.Equal(t, want[i].KernelShape, got[i].KernelShape, want[i].Name)
				// Exact: the permutation from MATLAB's column-major order must
				// put every value where numpy had it.
				assert.Equal(t, want[i].Kernel, got[i].Kernel, want[i].Name)
				assert.Equal(t, want[i].Bias, got[i].Bias, want[i].Name)
				assert.Equal(t, [2]int{1, 1}, got[i].Stride, want[i].Name)
				assert.Equal(t, [4]int{1, 1, 1, 1}, got[i].Pad, want[i].Name)
			}
			wantMean := f.Mean.floats(t)
			gotMean := m.MeanPixel()
			for c := range 3 {
				assert.InDelta(t, wantMean[c], gotMean[c], 1e-4, "mean channel %d", c)
			}
			if f.Layout == "new" {
				assert.Equal(t, [3]float32(wantMean), gotMean, "new layout stores the mean pixel itself")
			}

			// Decode from a plain reader (no Seeker) gives the same model.
			raw, err := os.ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			m2, err := Decode(struct{ io.Reader }{bytes.NewReader(raw)})
			require.NoError(t, err)
			assert.Equal(t, m, m2)
		})
	}
}

// TestLoadFixturesRun runs each fixture file, as loaded, on a golden input:
// file to graph, end to end.
func TestLoadFixturesRun(t *testing.T) {
	g := loadGoldens(t)
	for name, f := range g.Files {
		m, err := Load(filepath.Join("testdata", name))
		require.NoError(t, err, name)
		for _, a := range g.Activations {
			if a.Arch != f.Arch || a.Pooling != "max" || a.Input.Shape[1] != 9 {
				continue
			}
			got, _ := runNet(t, m, MaxPool, []int64{1, 9, 11, 3}, a.Input.floats(t), []string{"relu3_1", "pool5"})
			requireClose(t, a.Layers["relu3_1"].floats(t), got["relu3_1"], name, " relu3_1")
			requireClose(t, a.Layers["pool5"].floats(t), got["pool5"], name, " pool5")
		}
	}
}

// TestDecodeWrittenFiles decodes files written by the matfile Writer in both
// layouts, both byte orders, compressed or not, and checks every value.
func TestDecodeWrittenFiles(t *testing.T) {
	for _, spec := range []fileSpec{
		{arch: VGG19, widths: [5]int{3, 4, 5, 6, 7}, seed: 1},
		{arch: VGG19, widths: [5]int{3, 4, 5, 6, 7}, seed: 2, old: true, compress: true},
		{arch: VGG16, widths: [5]int{5, 4, 3, 2, 1}, seed: 3, bigEndian: true},
		{arch: VGG16, widths: [5]int{2, 2, 2, 2, 2}, seed: 4, old: true, bigEndian: true, compress: true},
	} {
		f := makeFile(t, spec)
		m, err := Decode(bytes.NewReader(f.data))
		require.NoError(t, err, "%+v", spec)
		assert.Equal(t, spec.arch, m.Arch())
		assert.Equal(t, f.mean, m.MeanPixel())
		want, err := New(f.convs, f.mean)
		require.NoError(t, err)
		assert.Equal(t, want, m)
	}
}

// TestDecodeLayerOrderAndExtras checks that the decoder reads fields by name
// (any order) and layers by name (extra layers such as dropout in between are
// ignored), and that it accepts a scalar pad and stride and an old "filters"
// and "biases" pair.
func TestDecodeLayerOrderAndExtras(t *testing.T) {
	f := makeFile(t, fileSpec{arch: VGG19, widths: [5]int{2, 3, 2, 3, 2}, seed: 7, edit: func(f *fileDef) {
		for i := range f.layers {
			slices.Reverse(f.layers[i].fields)
		}
		drop := layerDef{name: "drop1", fields: []field{{"name", matfile.NewChar("drop1")}, {"type", matfile.NewChar("dropout")}}}
		f.layers = slices.Insert(f.layers, 3, drop)
		l := f.layer(t, "conv2_1")
		l.set("pad", num(t, matfile.ClassDouble, []int{1, 1}, []float64{1}))
		l.set("stride", num(t, matfile.ClassInt32, []int{1, 1}, []int32{1}))
		slices.Reverse(f.vars)
	}})
	m, err := Decode(bytes.NewReader(f.data))
	require.NoError(t, err)
	want, err := New(f.convs, meanRGB)
	require.NoError(t, err)
	assert.Equal(t, want, m)
}

// badCase is a broken file and the error it must give.
type badCase struct {
	name    string
	data    []byte
	want    string // exact error text of Decode
	wantErr []error
}

func badFiles(t *testing.T) []badCase {
	full := [5]int{64, 4, 4, 4, 4}
	good := makeFile(t, fileSpec{arch: VGG19, widths: full, seed: 11})
	goodZ := makeFile(t, fileSpec{arch: VGG19, widths: full, seed: 11, compress: true, old: true})
	hdf5 := append([]byte("\x89HDF\r\n\x1a\n"), make([]byte, 1016)...)
	v73 := slices.Clone(good.data[:128])
	copy(v73, "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .")
	v73[124], v73[125] = 0, 2
	html := []byte("<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>Not Found</body></html>" + strings.Repeat(" ", 100))

	edit := func(e func(f *fileDef)) []byte {
		return makeFile(t, fileSpec{arch: VGG19, widths: full, seed: 11, edit: e}).data
	}
	editConvs := func(e func(c []Conv)) []byte {
		return makeFile(t, fileSpec{arch: VGG19, widths: full, seed: 11, editConvs: e}).data
	}
	conv := func(c []Conv, name string) *Conv {
		i := slices.IndexFunc(c, func(c Conv) bool { return c.Name == name })
		require.GreaterOrEqual(t, i, 0)
		return &c[i]
	}
	// Where the layers variable ends, to cut the file just after it.
	layersEnd := len(edit(func(f *fileDef) { f.vars = f.vars[:1] }))

	return []badCase{
		{name: "empty", data: nil, wantErr: []error{ErrTruncated, matfile.ErrFormat}},
		{name: "header cut", data: good.data[:100], wantErr: []error{ErrTruncated, io.ErrUnexpectedEOF}},
		{name: "header only", data: good.data[:128], wantErr: []error{ErrTruncated}},
		{name: "cut in first tag", data: good.data[:132], wantErr: []error{ErrTruncated, io.ErrUnexpectedEOF}},
		{name: "cut in conv1_1", data: good.data[:2000], wantErr: []error{ErrTruncated, io.ErrUnexpectedEOF}},
		{name: "cut at a quarter", data: good.data[:len(good.data)/4], wantErr: []error{ErrTruncated, io.ErrUnexpectedEOF}},
		{name: "cut in fc6", data: good.data[:len(good.data)*3/4], wantErr: []error{ErrTruncated, io.ErrUnexpectedEOF}},
		{name: "cut after layers", data: good.data[:layersEnd], wantErr: []error{ErrTruncated}},
		{name: "last byte missing", data: good.data[:len(good.data)-1], wantErr: []error{ErrTruncated, io.ErrUnexpectedEOF}},
		{name: "compressed cut in half", data: goodZ.data[:len(goodZ.data)/2], wantErr: []error{ErrTruncated}},
		{name: "compressed corrupt", data: corrupt(goodZ.data, len(goodZ.data)/3), wantErr: []error{ErrTruncated, matfile.ErrFormat}},
		{name: "HDF5 signature", data: hdf5, wantErr: []error{ErrUnsupportedFormat, matfile.ErrHDF5}},
		{name: "MATLAB v7.3 header", data: v73, wantErr: []error{ErrUnsupportedFormat, matfile.ErrHDF5}},
		{name: "HTML page", data: html, wantErr: []error{ErrTruncated, matfile.ErrFormat}},
		{name: "no layers variable", data: edit(func(f *fileDef) { f.vars = f.vars[1:] }), wantErr: []error{ErrTruncated}},
		{name: "no mean pixel", data: edit(func(f *fileDef) { f.vars = f.vars[:1] }), wantErr: []error{ErrTruncated}},
		{name: "layers is a struct", data: edit(func(f *fileDef) {
			f.vars[0].v = structOf(t, field{"conv1_1", matfile.NewChar("x")})
		}), wantErr: []error{ErrTruncated}},
		{name: "name is a number", data: edit(func(f *fileDef) {
			f.layer(t, "conv1_2").set("name", num(t, matfile.ClassDouble, []int{1, 1}, []float64{7}))
		}), wantErr: []error{ErrTruncated}},
		{name: "kernel is text", data: edit(func(f *fileDef) {
			f.layer(t, "conv2_1").set("weights", cellOf(t, matfile.NewChar("3x3"), matfile.NewChar("bias")))
		}), wantErr: []error{ErrTruncated}},
		{name: "averageImage is text", data: edit(func(f *fileDef) {
			f.vars[1].v = structOf(t, field{"normalization", structOf(t, field{"averageImage", matfile.NewChar("rgb")})})
		}), wantErr: []error{ErrTruncated}},
		{name: "missing conv layer", data: edit(func(f *fileDef) {
			i := slices.IndexFunc(f.layers, func(l layerDef) bool { return l.name == "conv2_1" })
			f.layers = slices.Delete(f.layers, i, i+1)
		}), wantErr: []error{ErrTruncated}},
		{name: "no weights field", data: edit(func(f *fileDef) { f.layer(t, "conv4_4").set("weights", nil) }), wantErr: []error{ErrTruncated}},
		{name: "no name field", data: edit(func(f *fileDef) { f.layer(t, "relu1_1").set("name", nil) }), wantErr: []error{ErrTruncated}},
		{name: "layers swapped", data: edit(func(f *fileDef) {
			f.layers[0], f.layers[2] = f.layers[2], f.layers[0]
		}), wantErr: []error{ErrTruncated}},
		{name: "wrong Cin", data: editConvs(func(c []Conv) {
			k := conv(c, "conv1_2")
			k.KernelShape = [4]int{3, 3, 5, 64}
			k.Kernel = make([]float32, 3*3*5*64)
		}), wantErr: []error{ErrInvalidModel}},
		{name: "5x5 kernel", data: editConvs(func(c []Conv) {
			k := conv(c, "conv3_2")
			k.KernelShape = [4]int{5, 5, 4, 4}
			k.Kernel = make([]float32, 5*5*4*4)
		}), wantErr: []error{ErrInvalidModel}},
		{name: "bias length", data: editConvs(func(c []Conv) { conv(c, "conv2_2").Bias = make([]float32, 3) }), wantErr: []error{ErrInvalidModel}},
		{name: "NaN in kernel", data: editConvs(func(c []Conv) {
			conv(c, "conv3_1").Kernel[((1*3+2)*4+0)*4+3] = float32(math.NaN())
		}), wantErr: []error{ErrInvalidModel}},
		{name: "Inf in bias", data: editConvs(func(c []Conv) { conv(c, "conv5_4").Bias[2] = float32(math.Inf(1)) }), wantErr: []error{ErrInvalidModel}},
		{name: "pad 0", data: edit(func(f *fileDef) {
			f.layer(t, "conv1_1").set("pad", num(t, matfile.ClassDouble, []int{1, 1}, []float64{0}))
		}), wantErr: []error{ErrInvalidModel}},
	}
}

func corrupt(b []byte, at int) []byte {
	b = slices.Clone(b)
	for i := at; i < at+64 && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	return b
}

// The error texts of the bad-file cases, in the order of badFiles; the
// download hint is abbreviated as "…".
var badWant = map[string]string{
	"empty":                  `vgg: not a MAT file: matfile: malformed MAT-file: empty input, want a 128-byte MAT-file header: unexpected EOF: truncated or corrupt download; …`,
	"header cut":             `vgg: not a MAT file: matfile: malformed MAT-file: input ends after 100 bytes, inside the 128-byte MAT-file header: unexpected EOF: truncated or corrupt download; …`,
	"header only":            `vgg: the file: no variable "layers": truncated or corrupt download; …`,
	"cut in first tag":       `vgg: reading the file: matfile: malformed MAT-file: variable at input offset 128: input ends inside the element tag (truncated file?): unexpected EOF: truncated or corrupt download; …`,
	"HDF5 signature":         "vgg: unsupported file format: matfile: MATLAB v7.3 (HDF5) file, not a Level-5 MAT-file; re-save it in MATLAB with `save -v7` (for the weights: net = load('imagenet-vgg-verydeep-19.mat'); save('imagenet-vgg-verydeep-19-v7.mat', '-struct', 'net', '-v7'))",
	"no layers variable":     `vgg: the file: no variable "layers": truncated or corrupt download; …`,
	"no mean pixel":          `vgg: the file: no mean pixel: no variable "meta" (with meta.normalization.averageImage) nor "normalization" (with normalization.averageImage): truncated or corrupt download; …`,
	"layers is a struct":     `vgg: variable "layers": class struct, want cell: truncated or corrupt download; …`,
	"name is a number":       `vgg: layers{3}: field "name": class double, want char: truncated or corrupt download; …`,
	"kernel is text":         `vgg: layer "conv2_1": field "weights{1}": class char, want single: truncated or corrupt download; …`,
	"averageImage is text":   `vgg: meta.normalization.averageImage: class char with dims [1 3], want 1×1×3 or H×W×3 numbers: truncated or corrupt download; …`,
	"missing conv layer":     `vgg: layers: no layer "conv2_1" (VGG19 has conv1_1 relu1_1 conv1_2 relu1_2 pool1 conv2_1 relu2_1 conv2_2 relu2_2 pool2 conv3_1 relu3_1 conv3_2 relu3_2 conv3_3 relu3_3 conv3_4 relu3_4 pool3 conv4_1 relu4_1 conv4_2 relu4_2 conv4_3 relu4_3 conv4_4 relu4_4 pool4 conv5_1 relu5_1 conv5_2 relu5_2 conv5_3 relu5_3 conv5_4 relu5_4 pool5; the file has 42 layers): truncated or corrupt download; …`,
	"no weights field":       `vgg: layer "conv4_4": no kernel (field "weights"): truncated or corrupt download; …`,
	"no name field":          `vgg: layers{2}: no field "name": truncated or corrupt download; …`,
	"layers swapped":         `vgg: layers: layer "conv1_2" comes where "conv1_1" belongs: truncated or corrupt download; …`,
	"wrong Cin":              `vgg: layer "conv1_2": kernel shape [3 3 5 64], want Cin 64`,
	"5x5 kernel":             `vgg: layer "conv3_2": kernel shape [5 5 4 4], want 3×3`,
	"bias length":            `vgg: layer "conv2_2": bias dims [3 1], want 4×1 or 1×4 (Cout)`,
	"NaN in kernel":          `vgg: layer "conv3_1": kernel[1 2 0 3] is NaN`,
	"Inf in bias":            `vgg: layer "conv5_4": bias[2] is +Inf`,
	"pad 0":                  `vgg: layer "conv1_1": pad [0 0 0 0], want [1 1 1 1]`,
	"MATLAB v7.3 header":     "vgg: unsupported file format: matfile: MATLAB v7.3 (HDF5) file, not a Level-5 MAT-file; re-save it in MATLAB with `save -v7` (for the weights: net = load('imagenet-vgg-verydeep-19.mat'); save('imagenet-vgg-verydeep-19-v7.mat', '-struct', 'net', '-v7'))",
	"HTML page":              `vgg: not a MAT file: matfile: malformed MAT-file: header: endian indicator "  ", want "IM" or "MI" (not a Level-5 MAT-file; MATLAB v4 files are not supported): truncated or corrupt download; …`,
	"cut in conv1_1":         "",
	"cut at a quarter":       "",
	"cut in fc6":             "",
	"cut after layers":       `vgg: the file: no mean pixel: no variable "meta" (with meta.normalization.averageImage) nor "normalization" (with normalization.averageImage): truncated or corrupt download; …`,
	"last byte missing":      "",
	"compressed cut in half": "",
	"compressed corrupt":     "",
}

// TestDecodeBadFiles checks the error of every kind of broken file: what it
// matches, and its exact text where the text does not depend on byte offsets
// (those cases check the start and the end). No case may panic.
func TestDecodeBadFiles(t *testing.T) {
	for _, tt := range badFiles(t) {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(bytes.NewReader(tt.data))
			require.Error(t, err)
			assert.Nil(t, m)
			t.Logf("%s", err)
			for _, w := range tt.wantErr {
				assert.ErrorIs(t, err, w)
			}
			msg := err.Error()
			if errors.Is(err, ErrTruncated) {
				require.True(t, strings.HasSuffix(msg, "truncated or corrupt download; "+getTheFile), msg)
				msg = strings.TrimSuffix(msg, getTheFile) + "…"
			} else {
				assert.NotContains(t, msg, "truncated")
			}
			// Through a reader that cannot seek, the MAT reader finds the
			// problem while streaming rather than from the file size: the text
			// may differ, what it matches may not.
			_, err2 := Decode(struct{ io.Reader }{bytes.NewReader(tt.data)})
			require.Error(t, err2)
			for _, w := range tt.wantErr {
				assert.ErrorIs(t, err2, w, "streaming: %v", err2)
			}

			want, ok := badWant[tt.name]
			require.True(t, ok, "no expected text for %q", tt.name)
			if want != "" {
				assert.Equal(t, want, msg)
			} else {
				assert.True(t, strings.HasPrefix(msg, "vgg: "), msg)
				assert.Contains(t, msg, "matfile: malformed MAT-file: ")
			}
		})
	}
}

// TestLoadBadFileNamesPath checks that Load puts the path in its errors and
// that a missing file is reported as such.
func TestLoadBadFileNamesPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "imagenet-vgg-verydeep-19.mat")
	good := makeFile(t, fileSpec{arch: VGG19, widths: [5]int{2, 2, 2, 2, 2}, seed: 5})
	require.NoError(t, os.WriteFile(path, good.data[:len(good.data)/2], 0o644))
	_, err := Load(path)
	require.ErrorIs(t, err, ErrTruncated)
	assert.True(t, strings.HasPrefix(err.Error(), "vgg: "+path+": "), err.Error())
	assert.Contains(t, err.Error(), "truncated or corrupt download; get imagenet-vgg-verydeep-19.mat (MD5 106118b7cf60435e6d8e04f6a6dc3657) from https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat; the older beta16 file (MD5 8ee3263992981a1d26e73b3ca028a123) works too")

	_, err = Load(filepath.Join(dir, "absent.mat"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, "vgg: open "+filepath.Join(dir, "absent.mat")+": no such file or directory", err.Error())

	require.NoError(t, os.WriteFile(path, good.data, 0o644))
	m, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, VGG19, m.Arch())
}

// TestLoadHeapBound loads a file whose fc6 (7×7×32×2048 floats, 12.8 MB) dwarfs
// its convolutions and checks that the fc layers are skipped without being
// read into memory: the bytes allocated during Load, an upper bound of the
// heap growth, stay within twice the conv weights (column-major as read plus
// row-major as kept) plus 4 MB, and under half of fc6.
func TestLoadHeapBound(t *testing.T) {
	for _, compress := range []bool{false, true} {
		spec := fileSpec{arch: VGG19, widths: [5]int{8, 16, 32, 32, 32}, fc: [3]int{2048, 64, 10}, seed: 8, compress: compress}
		f := makeFile(t, spec)
		path := filepath.Join(t.TempDir(), "big.mat")
		require.NoError(t, os.WriteFile(path, f.data, 0o644))
		fc6 := 7 * 7 * 32 * 2048 * 4
		var weights int
		for _, c := range f.convs {
			weights += 4 * (len(c.Kernel) + len(c.Bias))
		}
		size := len(f.data)
		f = specFile{}

		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Load(path)
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("compress=%v: file %d bytes, fc6 %d bytes, conv weights %d bytes, allocated during Load %d bytes",
			compress, size, fc6, weights, alloc)
		assert.Less(t, alloc, uint64(2*weights+4<<20))
		assert.Less(t, alloc, uint64(fc6/2))
		runtime.KeepAlive(m)
	}
}

// FuzzDecode feeds arbitrary bytes to Decode, seeded with small valid files
// of both layouts (plain and compressed) and the broken ones of
// TestDecodeBadFiles: nothing may panic, and a success must be a valid model.
func FuzzDecode(f *testing.F) {
	for _, spec := range []fileSpec{
		{arch: VGG16, widths: [5]int{1, 1, 1, 1, 1}, fc: [3]int{1, 1, 1}, seed: 1},
		{arch: VGG19, widths: [5]int{1, 2, 1, 2, 1}, fc: [3]int{1, 1, 1}, seed: 2, old: true},
		{arch: VGG16, widths: [5]int{1, 1, 1, 1, 1}, fc: [3]int{1, 1, 1}, seed: 3, compress: true},
	} {
		f.Add(makeFile(f, spec).data)
	}
	for _, tt := range []string{"", "\x89HDF\r\n\x1a\n", "MATLAB 5.0 MAT-file"} {
		f.Add([]byte(tt))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(bytes.NewReader(data))
		if err != nil {
			if m != nil {
				t.Fatalf("model and error %v", err)
			}
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrInvalidModel) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("error matches no sentinel: %v", err)
			}
			return
		}
		if _, err := New(m.Convs(), m.MeanPixel()); err != nil {
			t.Fatalf("decoded model does not validate: %v", err)
		}
	})
}
