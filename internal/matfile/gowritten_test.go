package matfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/go_written_*.mat (then rerun testdata/make_fixtures.py)")

// goWrittenVars is the content of testdata/go_written_*.mat. The function
// go_written_expected in testdata/make_fixtures.py describes the same
// variables by hand; that script checks that scipy.io.loadmat reads the
// files as described, and this test that the writer still produces them.
func goWrittenVars(t testing.TB) []namedValue {
	m := must(t)
	i16 := m(NewNumeric(ClassInt16, []int{1, 4}, []int16{-32768, -1, 0, 32767}))
	f32 := m(NewNumeric(ClassSingle, []int{2, 2, 2}, []float32{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5}))
	weights := m(NewCell([]int{1, 2}, []Value{f32, f32}))
	return []namedValue{
		// MATLAB stores a double array of small integers as uint8 data.
		{"dbl_as_u8", m(NewNumeric(ClassDouble, []int{2, 3}, []uint8{1, 2, 3, 4, 5, 6}))},
		{"i16", i16},
		{"u64", m(NewNumeric(ClassUint64, []int{1, 2}, []uint64{0, math.MaxUint64}))},
		{"f32_3d", f32},
		{"f64", m(NewNumeric(ClassDouble, []int{1, 4}, []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}))},
		{"text", NewChar("héllo ∑ 日本 😀")},
		{"empty_text", NewChar("")},
		{"mask", m(NewLogical([]int{2, 2}, []bool{true, false, false, true}))},
		{"c", m(NewCell([]int{1, 3}, []Value{i16, nil, NewChar("a")}))},
		{"s", m(NewStruct([]int{1, 2}, []string{"name", "w"}, [][]Value{
			{NewChar("conv1"), weights},
			{NewChar("relu"), nil},
		}))},
	}
}

var goWrittenFiles = []struct {
	name string
	opts WriterOptions
}{
	{"go_written_le.mat", WriterOptions{}},
	{"go_written_be_z.mat", WriterOptions{Compress: true, ByteOrder: binary.BigEndian}},
}

// TestGoWrittenFiles checks that scipy.io.loadmat read the committed
// Go-written files as intended (testdata/expected.json, written by
// make_fixtures.py, records what scipy saw and the files' SHA-256), that
// the writer still writes those bytes, and that this package reads them.
func TestGoWrittenFiles(t *testing.T) {
	vars := goWrittenVars(t)
	var want []*node
	for _, nv := range vars {
		want = append(want, valueNode(nv.name, nv.v))
	}
	var exp *expectedFile
	if !*update {
		exp = loadExpected(t)
	}
	for _, f := range goWrittenFiles {
		t.Run(f.name, func(t *testing.T) {
			out := writeFile(t, f.opts, vars)
			path := filepath.Join("testdata", f.name)
			if *update {
				require.NoError(t, os.WriteFile(path, out, 0o644))
				t.Logf("wrote %s; now run testdata/make_fixtures.py", path)
				return
			}
			committed, err := os.ReadFile(path)
			require.NoError(t, err)
			if !f.opts.Compress {
				// Compressed bytes depend on compress/flate; the rest must not change.
				require.Equal(t, committed, out, "writer output changed; rerun with -update and make_fixtures.py")
			}
			sum := sha256.Sum256(committed)
			g, ok := exp.GoWritten[f.name]
			require.True(t, ok, "expected.json has no entry for %s", f.name)
			require.Equal(t, g.SHA256, hex.EncodeToString(sum[:]), "scipy checked other bytes; rerun make_fixtures.py")
			// What scipy read equals what the writer was given.
			assertNodes(t, g.Vars, want, useFloat64, f.name+" (scipy vs Go values)")
			for _, data := range [][]byte{committed, out} {
				for _, mode := range []readMode{useFloat64, useFloat32} {
					got, err := readAll(bytes.NewReader(data), mode)
					require.NoError(t, err)
					assertNodes(t, g.Vars, got, mode, f.name)
				}
			}
		})
	}
}
