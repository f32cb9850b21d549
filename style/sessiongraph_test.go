package style

import tf "github.com/wamuir/graft/tensorflow"

// sessionGraph is the graph of the session that t's last transfer ran on
// (nil before any transfer). It is the tests' one reach into the engines:
// the placement and memory tests read the ops and variables of the graph
// that TensorFlow actually runs.
func sessionGraph(t *Transferer) *tf.Graph {
	switch e := t.engine.(type) {
	case *engine:
		return e.graph
	case *tiledEngine:
		return e.graph
	}
	return nil
}
