package ingraph_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"

	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/optim/ingraph"
)

// counting is a Runner that counts the bytes of the tensors fed and
// fetched.
type counting struct {
	sess  *tf.Session
	runs  int
	bytes int64
}

func tensorBytes(t *tf.Tensor) int64 {
	n := int64(4) // float32 and int32
	for _, d := range t.Shape() {
		n *= d
	}
	return n
}

func (c *counting) Run(feeds map[tf.Output]*tf.Tensor, fetches []tf.Output, targets []*tf.Operation) ([]*tf.Tensor, error) {
	c.runs++
	for _, t := range feeds {
		c.bytes += tensorBytes(t)
	}
	out, err := c.sess.Run(feeds, fetches, targets)
	for _, t := range out {
		c.bytes += tensorBytes(t)
	}
	return out, err
}

// Only scalars cross per iteration: the steady state, measured between
// the 5th and the last iteration, moves at most 64 bytes per iteration for
// either method, on a point of 400 000 bytes.
func TestOnlyScalarsCross(t *testing.T) {
	for _, method := range []string{"adam", "lbfgs"} {
		t.Run(method, func(t *testing.T) {
			var cfg any = optim.Adam{LearningRate: 0.5}
			if method == "lbfgs" {
				cfg = optim.LBFGS{}
			}
			p := newProblem(t, 100_000, method, 0, cfg)
			c := &counting{sess: p.sess}
			var at5 int64
			var runs5 int
			res, err := ingraph.Minimize(context.Background(), c, p.g, p.x0(t), ingraph.Settings{Iterations: 25,
				Progress: func(pr ingraph.Progress) error {
					if pr.Iteration == 5 {
						at5, runs5 = c.bytes, c.runs
					}
					return nil
				}})
			require.NoError(t, err)
			require.Equal(t, 25, res.Iterations)
			perIter := float64(c.bytes-at5) / 20
			t.Logf("%s: %.1f bytes and %.2f runs per iteration", method, perIter, float64(c.runs-runs5)/20)
			assert.LessOrEqual(t, perIter, 64.0)
			assert.Greater(t, perIter, 0.0)
		})
	}
}
