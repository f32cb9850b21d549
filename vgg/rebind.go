package vgg

import (
	"fmt"
	"maps"
	"slices"

	tf "github.com/wamuir/graft/tensorflow"
)

// Rebind returns the net as it appears in g, a graph imported (without a
// prefix) from the GraphDef of the graph n was built in — for example to
// re-import the graph with a default device, since graft's gradients refuse
// scopes with a device. Every op is looked up by name; Init of the result
// loads the weights into g's variables. It is an error, naming the op, if g
// lacks one.
func (n *Net) Rebind(g *tf.Graph) (*Net, error) {
	if g == nil {
		return nil, fmt.Errorf("vgg: rebind: nil graph")
	}
	var missing string
	out := func(o tf.Output) tf.Output {
		op := g.Operation(o.Op.Name())
		if op == nil {
			if missing == "" {
				missing = o.Op.Name()
			}
			return tf.Output{}
		}
		return op.Output(o.Index)
	}
	r := &Net{
		model:  n.model,
		input:  out(n.input),
		names:  slices.Clone(n.names),
		layers: maps.Clone(n.layers),
		vars:   slices.Clone(n.vars),
	}
	for name, o := range r.layers {
		r.layers[name] = out(o)
	}
	for i := range r.vars {
		r.vars[i].init = out(r.vars[i].init)
	}
	for _, a := range n.assigns {
		op := g.Operation(a.Name())
		if op == nil && missing == "" {
			missing = a.Name()
		}
		r.assigns = append(r.assigns, op)
	}
	if missing != "" {
		return nil, fmt.Errorf("vgg: rebind: the graph has no op %q", missing)
	}
	return r, nil
}
