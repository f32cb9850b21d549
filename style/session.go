package style

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"

	tf "github.com/wamuir/graft/tensorflow"
	configpb "github.com/wamuir/graft/tensorflow/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"

	"github.com/neuralstyle/neuralstyle/vgg"
)

// graphSession is what both engines share: a finished graph, its
// placement on the WithDevice device, the TensorFlow session on it with the
// network's weights loaded, the count of what crosses between Go and the
// session, and close.
//
// An engine keeps the outputs and operations of the graph it built; run
// resolves them by name in the session's graph, which placement
// re-imported. Nothing is listed by hand for placement, so an output added
// to an engine later cannot be missed.
type graphSession struct {
	key   graphKey
	built *tf.Graph // the graph the engine built
	graph *tf.Graph // the graph the session runs: built, or its re-import onto key.device
	sess  *tf.Session

	counted traffic
}

// liveSessions counts the TensorFlow sessions opened by engines and not yet
// closed; tests check that it returns to zero.
var liveSessions atomic.Int64

// openGraphSession places built on key.device (when set), starts a session
// on it with key's options and loads net's weights into it. net is the
// network as built into built.
func openGraphSession(built *tf.Graph, key graphKey, net *vgg.Net) (*graphSession, error) {
	gs := &graphSession{key: key, built: built, graph: built}
	if key.device != "" {
		g, err := reimport(built, key.device)
		if err != nil {
			return nil, err
		}
		if net, err = net.Rebind(g); err != nil {
			return nil, fmt.Errorf("style: WithDevice(%q): %w", key.device, err)
		}
		gs.graph = g
	}
	opts, err := sessionOptions(key)
	if err != nil {
		return nil, err
	}
	sess, err := tf.NewSession(gs.graph, opts)
	if err != nil {
		return nil, fmt.Errorf("style: starting a TensorFlow session: %w", err)
	}
	liveSessions.Add(1)
	if err := net.Init(sess); err != nil {
		sess.Close()
		liveSessions.Add(-1)
		return nil, fmt.Errorf("style: loading the weights into the session: %w", err)
	}
	gs.sess = sess
	return gs, nil
}

// reimport returns a copy of g with device as the default device of every
// node. graft's op.Gradients refuses scopes with a device, so the engines
// build their graphs without one and the session runs this copy.
func reimport(g *tf.Graph, device string) (*tf.Graph, error) {
	var def bytes.Buffer
	if _, err := g.WriteTo(&def); err != nil {
		return nil, fmt.Errorf("style: WithDevice(%q): serializing the graph: %w", device, err)
	}
	out := tf.NewGraph()
	if err := out.ImportWithOptions(def.Bytes(), tf.GraphImportOptions{Device: device}); err != nil {
		return nil, fmt.Errorf("style: WithDevice(%q): %w", device, err)
	}
	return out, nil
}

func sessionOptions(key graphKey) (*tf.SessionOptions, error) {
	cfg := &configpb.ConfigProto{
		IntraOpParallelismThreads: int32(key.intra),
		InterOpParallelismThreads: int32(key.inter),
		AllowSoftPlacement:        key.device == "",
	}
	if key.precision == BFloat16 && key.compute == tf.Float { // the CPU's rewrite, see Precision.compute
		cfg.GraphOptions = &configpb.GraphOptions{RewriteOptions: &configpb.RewriterConfig{
			AutoMixedPrecisionOnednnBfloat16: configpb.RewriterConfig_ON,
		}}
	}
	if key.xla {
		if cfg.GraphOptions == nil {
			cfg.GraphOptions = &configpb.GraphOptions{}
		}
		cfg.GraphOptions.OptimizerOptions = &configpb.OptimizerOptions{
			GlobalJitLevel: configpb.OptimizerOptions_ON_2,
			CpuGlobalJit:   !strings.Contains(strings.ToUpper(key.device), "GPU"),
		}
	}
	b, err := proto.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("style: session config: %w", err)
	}
	return &tf.SessionOptions{Config: b}, nil
}

// output is o, an output of the built graph, in the session's graph.
func (gs *graphSession) output(o tf.Output) tf.Output {
	if gs.graph == gs.built {
		return o
	}
	return gs.graph.Operation(o.Op.Name()).Output(o.Index)
}

// Run runs the session on outputs and operations of the built graph and
// counts the call. It is the ingraph.Runner of the optimizer on the device.
func (gs *graphSession) Run(feeds map[tf.Output]*tf.Tensor, fetches []tf.Output, targets []*tf.Operation) ([]*tf.Tensor, error) {
	if gs.sess == nil {
		return nil, fmt.Errorf("style: the session is closed")
	}
	if gs.graph != gs.built {
		placed := make(map[tf.Output]*tf.Tensor, len(feeds))
		for o, t := range feeds {
			placed[gs.output(o)] = t
		}
		feeds = placed
		fs := make([]tf.Output, len(fetches))
		for i, o := range fetches {
			fs[i] = gs.output(o)
		}
		fetches = fs
		ts := make([]*tf.Operation, len(targets))
		for i, o := range targets {
			ts[i] = gs.graph.Operation(o.Name())
		}
		targets = ts
	}
	return gs.counted.run(gs.sess, feeds, fetches, targets)
}

// graphKey is the key the graph was built for.
func (gs *graphSession) graphKey() graphKey { return gs.key }

// counter counts the session's runs.
func (gs *graphSession) counter() *traffic { return &gs.counted }

// close closes the session; the graphs' memory goes with their last
// reference. It is idempotent.
func (gs *graphSession) close() error {
	if gs == nil || gs.sess == nil {
		return nil
	}
	err := gs.sess.Close()
	liveSessions.Add(-1)
	gs.sess, gs.graph, gs.built = nil, nil, nil
	return err
}

// Traffic is what crossed between Go and TensorFlow's session: the
// Session.Run calls and the bytes of the tensors fed and fetched.
type Traffic struct {
	Runs         int64
	Fed, Fetched int64 // bytes
}

// traffic counts a session's Run calls. outside is the part that is not an
// iteration's work: the targets, the starting point, image reads.
type traffic struct {
	Traffic
	outside int64 // bytes
}

// tensorBytes is the size of t's data (4 bytes per element for the
// float32 and int32 tensors the engines use).
func tensorBytes(t *tf.Tensor) int64 {
	n := int64(4)
	for _, d := range t.Shape() {
		n *= d
	}
	return n
}

// run runs sess and counts the call.
func (c *traffic) run(sess *tf.Session, feeds map[tf.Output]*tf.Tensor, fetches []tf.Output, targets []*tf.Operation) ([]*tf.Tensor, error) {
	c.Runs++
	for _, t := range feeds {
		c.Fed += tensorBytes(t)
	}
	out, err := sess.Run(feeds, fetches, targets)
	for _, t := range out {
		c.Fetched += tensorBytes(t)
	}
	return out, err
}

// loop is the bytes counted so far that an iteration moved.
func (c *traffic) loop() int64 { return c.Fed + c.Fetched - c.outside }

// aside runs f and counts what it moves as outside the iterations.
func (c *traffic) aside(f func() error) error {
	before := c.Fed + c.Fetched
	err := f()
	c.outside += c.Fed + c.Fetched - before
	return err
}
