package loss

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// reference.json is written by testdata/reference.py, an independent numpy
// (float64) implementation of every term and of its gradient with respect to
// the input features, derived by hand from the formulas in doc.go.
type reference struct {
	Generator string               `json:"generator"`
	Tensors   map[string]refTensor `json:"tensors"`
	Cases     []refCase            `json:"cases"`
}

type refTensor struct {
	Shape []int64   `json:"shape"`
	Data  []float64 `json:"data"`
}

type refImage struct {
	Styles []string `json:"styles"`
	Weight float64  `json:"weight"`
	Mask   string   `json:"mask"`
}

type refCase struct {
	Name            string               `json:"name"`
	Kind            string               `json:"kind"`
	Features        json.RawMessage      `json:"features"` // a name, or a list of names
	Style           string               `json:"style"`
	Mask            string               `json:"mask"`
	Norm            string               `json:"norm"`
	Loss            string               `json:"loss"`
	ContentNorm     int                  `json:"content_norm"`
	Target          string               `json:"target"`
	Targets         []string             `json:"targets"`
	Image           string               `json:"image"`
	TV              string               `json:"tv"`
	Sizes           [][2]int64           `json:"sizes"`
	LayerWeights    []float64            `json:"layer_weights"`
	Images          []refImage           `json:"images"`
	ContentFeatures string               `json:"content_features"`
	ContentTarget   string               `json:"content_target"`
	StyleFeatures   string               `json:"style_features"`
	Weights         []float64            `json:"weights"`
	Value           float64              `json:"value"`
	Grads           map[string][]float64 `json:"grads"`
	Arrays          map[string][]float64 `json:"arrays"`
}

func (c refCase) featureNames(t testing.TB) []string {
	var one string
	if json.Unmarshal(c.Features, &one) == nil {
		return []string{one}
	}
	var many []string
	require.NoError(t, json.Unmarshal(c.Features, &many), "case %s: features", c.Name)
	return many
}

func loadReference(t testing.TB) reference {
	t.Helper()
	raw, err := os.ReadFile("testdata/reference.json")
	require.NoError(t, err)
	var ref reference
	require.NoError(t, json.Unmarshal(raw, &ref))
	require.NotEmpty(t, ref.Cases)
	return ref
}

// refGraph builds one reference case: every tensor it names becomes a
// placeholder of type dt fed with the reference's (float32-exact) values.
type refGraph struct {
	t     testing.TB
	ref   reference
	s     *op.Scope
	dt    tf.DataType
	ph    map[string]tf.Output
	feeds map[tf.Output]*tf.Tensor
}

func (g *refGraph) in(name string) tf.Output {
	if x, ok := g.ph[name]; ok {
		return x
	}
	rt, ok := g.ref.Tensors[name]
	require.True(g.t, ok, "tensor %q missing from reference.json", name)
	x := placeholder(g.s, g.dt, rt.Shape...)
	g.ph[name] = x
	g.feeds[x] = newTensor(g.t, g.dt, rt.Data, rt.Shape)
	return x
}

func (g *refGraph) target(name string) tf.Output {
	tgt, err := StyleTarget(g.s, g.in(name))
	require.NoError(g.t, err)
	return tgt
}

func (g *refGraph) w2Target(name string) tf.Output {
	tgt, err := W2Target(g.s, g.in(name))
	require.NoError(g.t, err)
	return tgt
}

// build adds the case's loss (zero Output for array-only cases) and named
// arrays to compare.
func (g *refGraph) build(c refCase) (tf.Output, map[string]tf.Output) {
	t := g.t
	arrays := map[string]tf.Output{}
	var (
		v   tf.Output
		err error
	)
	switch c.Kind {
	case "gram":
		x := g.in(c.featureNames(t)[0])
		arrays["gram"], err = GramMatrix(g.s, x)
		require.NoError(t, err)
		arrays["mean_gram"], err = MeanGram(g.s, x)
	case "resize":
		m := g.in(c.Mask)
		b := builder{s: g.s.SubScope("resize"), dt: g.dt}
		shape := g.ref.Tensors[c.Mask].Shape
		for _, hw := range c.Sizes {
			// Identity: the same-size resize returns the fed mask itself, which may not be fetched.
			arrays[fmt.Sprintf("%dx%d", hw[0], hw[1])] = op.Identity(b.f(), b.resizeMask(m, shape[0], shape[1], hw[0], hw[1]))
		}
	case "style_layer":
		norm, perr := ParseGramNorm(c.Norm)
		require.NoError(t, perr)
		x := g.in(c.featureNames(t)[0])
		if c.Mask == "" {
			v, err = StyleLayer(g.s, x, g.target(c.Style), norm)
		} else {
			v, err = MaskedStyleLayer(g.s, x, g.target(c.Style), g.in(c.Mask), norm)
		}
	case "w2_target":
		arrays["target"] = g.w2Target(c.Style)
	case "w2_layer":
		x := g.in(c.featureNames(t)[0])
		if c.Mask == "" {
			v, err = W2Layer(g.s, x, g.w2Target(c.Style))
		} else {
			v, err = MaskedW2Layer(g.s, x, g.w2Target(c.Style), g.in(c.Mask))
		}
	case "content_layer":
		norm, perr := ParseContentNorm(fmt.Sprint(c.ContentNorm))
		require.NoError(t, perr)
		v, err = ContentLayer(g.s, g.in(c.featureNames(t)[0]), g.in(c.Target), norm)
	case "tv":
		kind, perr := ParseTVKind(c.TV)
		require.NoError(t, perr)
		v, err = TotalVariation(g.s, g.in(c.Image), kind)
	case "style":
		norm, perr := ParseGramNorm(c.Norm)
		require.NoError(t, perr)
		spec := StyleSpec{LayerWeights: c.LayerWeights, Norm: norm}
		if c.Loss != "" {
			spec.Loss, perr = ParseStyleLoss(c.Loss)
			require.NoError(t, perr)
		}
		for _, f := range c.featureNames(t) {
			spec.Features = append(spec.Features, g.in(f))
		}
		for _, im := range c.Images {
			si := StyleImage{Weight: im.Weight}
			for _, st := range im.Styles {
				if spec.Loss == W2 {
					si.Targets = append(si.Targets, g.w2Target(st))
				} else {
					si.Targets = append(si.Targets, g.target(st))
				}
			}
			if im.Mask != "" {
				si.Mask = g.in(im.Mask)
			}
			spec.Images = append(spec.Images, si)
		}
		v, err = Style(g.s, spec)
	case "content":
		norm, perr := ParseContentNorm(fmt.Sprint(c.ContentNorm))
		require.NoError(t, perr)
		spec := ContentSpec{LayerWeights: c.LayerWeights, Norm: norm}
		for i, f := range c.featureNames(t) {
			spec.Features = append(spec.Features, g.in(f))
			spec.Targets = append(spec.Targets, g.in(c.Targets[i]))
		}
		v, err = Content(g.s, spec)
	case "weighted":
		var in Terms
		in.Content, err = ContentLayer(g.s, g.in(c.ContentFeatures), g.in(c.ContentTarget), ContentTutorial)
		require.NoError(t, err)
		in.Style, err = StyleLayer(g.s, g.in(c.StyleFeatures), g.target(c.Style), GramTutorial)
		require.NoError(t, err)
		in.TV, err = TotalVariation(g.s, g.in(c.Image), TVAbsolute)
		require.NoError(t, err)
		out, werr := Weighted(g.s, in, Weights{Content: c.Weights[0], Style: c.Weights[1], TV: c.Weights[2]})
		require.NoError(t, werr)
		v = out.Total
		terms := op.Pack(g.s.SubScope("terms"), []tf.Output{out.Content, out.Style, out.TV})
		arrays["terms"] = terms
	default:
		t.Fatalf("case %s: unknown kind %q", c.Name, c.Kind)
	}
	require.NoError(t, err, "case %s", c.Name)
	return v, arrays
}

// TestReference compares every term's value, and its gradient with respect to
// each input feature tensor, with the numpy reference: in float32 to the
// tolerance of float32 arithmetic, and in float64 to near machine precision.
// The worst relative errors are logged (go test -v -run TestReference).
func TestReference(t *testing.T) {
	ref := loadReference(t)
	tol := map[tf.DataType]struct{ value, grad float64 }{
		tf.Float:  {1e-4, 1e-3},
		tf.Double: {1e-10, 1e-10},
	}
	type worst struct{ value, grad, array float64 }
	report := map[string]map[string]worst{}
	for _, dt := range []tf.DataType{tf.Float, tf.Double} {
		dtName := tfutil.TypeName(dt)
		report[dtName] = map[string]worst{}
		for _, c := range ref.Cases {
			t.Run(dtName+"/"+c.Name, func(t *testing.T) {
				g := &refGraph{t: t, ref: ref, s: op.NewScope(), dt: dt, ph: map[string]tf.Output{}, feeds: map[tf.Output]*tf.Tensor{}}
				v, arrays := g.build(c)
				var fetches []tf.Output
				var names []string
				if v.Op != nil {
					fetches = append(fetches, v)
					names = append(names, "value")
					gradNames := make([]string, 0, len(c.Grads))
					for k := range c.Grads {
						gradNames = append(gradNames, k)
					}
					sort.Strings(gradNames)
					xs := make([]tf.Output, len(gradNames))
					for i, k := range gradNames {
						xs[i] = g.in(k)
					}
					fetches = append(fetches, gradients(t, g.s, v, xs...)...)
					for _, k := range gradNames {
						names = append(names, "grad:"+k)
					}
				}
				for k, a := range arrays {
					fetches = append(fetches, a)
					names = append(names, "array:"+k)
				}
				got := run(t, session(t, g.s), g.feeds, fetches...)
				var w worst
				for i, name := range names {
					switch {
					case name == "value":
						e := relErr(got[i], []float64{c.Value})
						w.value = max(w.value, e)
						assert.Less(t, e, tol[dt].value, "value %v, want %v", got[i][0], c.Value)
					case strings.HasPrefix(name, "grad:"):
						e := relErr(got[i], c.Grads[name[5:]])
						w.grad = max(w.grad, e)
						assert.Less(t, e, tol[dt].grad, "%s", name)
					default:
						want, ok := c.Arrays[name[6:]]
						require.True(t, ok, "%s missing from reference", name)
						e := relErr(got[i], want)
						w.array = max(w.array, e)
						assert.Less(t, e, tol[dt].value, "%s: %v, want %v", name, got[i], want)
					}
				}
				report[dtName][c.Name] = w
			})
		}
	}
	for _, dt := range []string{"float32", "float64"} {
		t.Logf("worst relative errors against numpy (%s), value | gradient | arrays:", dt)
		for _, c := range ref.Cases {
			w := report[dt][c.Name]
			t.Logf("  %-45s %9.2e | %9.2e | %9.2e", c.Name, w.value, w.grad, w.array)
		}
	}
}
