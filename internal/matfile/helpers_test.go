package matfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// node is a decoded array in the form of testdata/expected.json (see
// testdata/make_fixtures.py).
type node struct {
	Name         string    `json:"name,omitempty"`
	Class        string    `json:"class"`
	Dims         []int     `json:"dims"`
	Logical      bool      `json:"logical,omitempty"`
	Data         []number  `json:"data,omitempty"`
	Text         *string   `json:"text,omitempty"`
	Fields       []string  `json:"fields,omitempty"`
	Elems        []*node   `json:"elems,omitempty"`
	SElems       [][]*node `json:"selems,omitempty"`
	EmptyElement bool      `json:"empty_element,omitempty"`
}

// number is a JSON number, or one of the strings "NaN", "Inf", "-Inf".
type number float64

func (n *number) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*n = number(math.NaN())
	case `"Inf"`:
		*n = number(math.Inf(1))
	case `"-Inf"`:
		*n = number(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*n = number(f)
	}
	return nil
}

type expectedFile struct {
	Fixtures map[string]struct {
		Files []string `json:"files"`
		Vars  []*node  `json:"vars"`
	} `json:"fixtures"`
	GoWritten map[string]struct {
		SHA256 string  `json:"sha256"`
		Vars   []*node `json:"vars"`
	} `json:"go_written"`
}

func loadExpected(t testing.TB) *expectedFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	require.NoError(t, err)
	var e expectedFile
	require.NoError(t, json.Unmarshal(b, &e))
	return &e
}

// readMode selects the accessor a walk uses for numeric data.
type readMode int

const (
	useFloat64 readMode = iota
	useFloat32
)

// readNode reads a completely into a node.
func readNode(a *Array, mode readMode) (*node, error) {
	n := &node{Name: a.Name, Class: a.Class.String(), Dims: a.Dims, Logical: a.Logical}
	switch a.Class {
	case ClassChar:
		s, err := a.Text()
		if err != nil {
			return nil, err
		}
		n.Text = &s
	case ClassCell:
		for {
			c, err := a.NextCell()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			cn, err := readNode(c, mode)
			if err != nil {
				return nil, err
			}
			n.Elems = append(n.Elems, cn)
		}
	case ClassStruct:
		n.Fields = a.FieldNames()
		n.SElems = make([][]*node, a.Numel())
		for i := 0; ; i++ {
			f, c, err := a.NextField()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if f != n.Fields[i%len(n.Fields)] || c.Name != f {
				return nil, fmt.Errorf("field %d: got %q (Name %q), want %q", i, f, c.Name, n.Fields[i%len(n.Fields)])
			}
			cn, err := readNode(c, mode)
			if err != nil {
				return nil, err
			}
			cn.Name = ""
			e := i / len(n.Fields)
			n.SElems[e] = append(n.SElems[e], cn)
		}
	default:
		switch mode {
		case useFloat32:
			v, err := a.Float32s()
			if err != nil {
				return nil, err
			}
			for _, x := range v {
				n.Data = append(n.Data, number(x))
			}
		default:
			v, err := a.Float64s()
			if err != nil {
				return nil, err
			}
			for _, x := range v {
				n.Data = append(n.Data, number(x))
			}
		}
	}
	return n, nil
}

// readAll reads every variable of a MAT-file.
func readAll(r io.Reader, mode readMode) ([]*node, error) {
	mr, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var out []*node
	for {
		a, err := mr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		n, err := readNode(a, mode)
		if err != nil {
			return out, err
		}
		out = append(out, n)
	}
}

// assertNodes compares decoded arrays with expectations: NaN equals NaN,
// -0 differs from 0, and with useFloat32 expectations are rounded to
// float32 first.
func assertNodes(t testing.TB, want, got []*node, mode readMode, where string) {
	t.Helper()
	require.Len(t, got, len(want), where)
	for i := range want {
		require.Equal(t, want[i].Name, got[i].Name, where)
		assertNode(t, want[i], got[i], mode, where+":"+want[i].Name)
	}
}

func assertNode(t testing.TB, want, got *node, mode readMode, path string) {
	t.Helper()
	if want.EmptyElement {
		require.Equal(t, "double", got.Class, path)
		require.Equal(t, []int{0, 0}, got.Dims, path)
		require.Empty(t, got.Data, path)
		return
	}
	require.Equal(t, want.Class, got.Class, path)
	require.Equal(t, want.Dims, got.Dims, path)
	require.Equal(t, want.Logical, got.Logical, path)
	switch want.Class {
	case "char":
		require.NotNil(t, got.Text, path)
		require.Equal(t, *want.Text, *got.Text, path)
	case "cell":
		require.Len(t, got.Elems, len(want.Elems), path)
		for i := range want.Elems {
			assertNode(t, want.Elems[i], got.Elems[i], mode, fmt.Sprintf("%s{%d}", path, i+1))
		}
	case "struct":
		require.Equal(t, len(want.Fields), len(got.Fields), path)
		if len(want.Fields) > 0 {
			require.Equal(t, want.Fields, got.Fields, path)
		}
		require.Len(t, got.SElems, len(want.SElems), path)
		for i := range want.SElems {
			require.Len(t, got.SElems[i], len(want.SElems[i]), path)
			for j := range want.SElems[i] {
				assertNode(t, want.SElems[i][j], got.SElems[i][j], mode, fmt.Sprintf("%s(%d).%s", path, i+1, want.Fields[j]))
			}
		}
	default:
		require.Len(t, got.Data, len(want.Data), path)
		for i, w := range want.Data {
			wf := float64(w)
			if mode == useFloat32 {
				wf = float64(float32(wf))
			}
			g := float64(got.Data[i])
			ok := g == wf && math.Signbit(g) == math.Signbit(wf) || math.IsNaN(g) && math.IsNaN(wf)
			require.Truef(t, ok, "%s: element %d: got %v, want %v", path, i, g, wf)
		}
	}
}

// valueNode is the node a Value should read back as.
func valueNode(name string, v Value) *node {
	if v == nil {
		return &node{Class: "double", Dims: []int{0, 0}, EmptyElement: true}
	}
	flags, dims := v.flags()
	n := &node{Name: name, Class: Class(flags & 0xff).String(), Dims: dims, Logical: flags&0x200 != 0}
	switch v := v.(type) {
	case *numericValue:
		n.Data = make([]number, v.n)
		for i := range v.n {
			n.Data[i] = number(sliceValue(v.data, i))
		}
	case *charValue:
		s := string(v.bytes)
		n.Text = &s
	case *cellValue:
		for _, c := range v.elems {
			n.Elems = append(n.Elems, valueNode("", c))
		}
	case *structValue:
		n.Fields = v.fields
		for _, el := range v.elems {
			var row []*node
			for _, c := range el {
				row = append(row, valueNode("", c))
			}
			n.SElems = append(n.SElems, row)
		}
	}
	return n
}

func sliceValue(data any, i int) float64 {
	switch d := data.(type) {
	case []float64:
		return d[i]
	case []float32:
		return float64(d[i])
	case []int8:
		return float64(d[i])
	case []uint8:
		return float64(d[i])
	case []int16:
		return float64(d[i])
	case []uint16:
		return float64(d[i])
	case []int32:
		return float64(d[i])
	case []uint32:
		return float64(d[i])
	case []int64:
		return float64(d[i])
	case []uint64:
		return float64(d[i])
	}
	panic(fmt.Sprintf("sliceValue: %T", data))
}

// namedValue is a variable for the writer.
type namedValue struct {
	name string
	v    Value
}

// must returns a function that unwraps a constructor's result, failing t
// on error: m := must(t); v := m(NewNumeric(...)).
func must(t testing.TB) func(Value, error) Value {
	return func(v Value, err error) Value {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

// writeFile writes vars with the given options and returns the bytes.
func writeFile(t testing.TB, opts WriterOptions, vars []namedValue) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, opts)
	require.NoError(t, err)
	for _, nv := range vars {
		require.NoError(t, w.WriteVar(nv.name, nv.v))
	}
	return buf.Bytes()
}

// noSeek hides the io.Seeker of a reader, so that the Reader cannot learn
// the input size.
type noSeek struct{ r io.Reader }

func (n noSeek) Read(p []byte) (int, error) { return n.r.Read(p) }

// isPackageError reports whether err wraps one of the package's sentinels.
func isPackageError(err error) bool {
	for _, s := range []error{ErrFormat, ErrHDF5, ErrUnsupported, ErrClass, ErrConsumed} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// fixtureFiles lists the .mat files in testdata.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", "*.mat"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	return m
}

func mathFloat64bits(f float64) uint64 { return math.Float64bits(f) }
