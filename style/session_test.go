package style

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	configpb "github.com/wamuir/graft/tensorflow/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// TestSessionOptionsXLA checks the ConfigProto WithXLA builds per device.
func TestSessionOptionsXLA(t *testing.T) {
	tests := []struct {
		name   string
		key    graphKey
		jit    configpb.OptimizerOptions_GlobalJitLevel
		cpuJit bool
	}{
		{"off", graphKey{}, configpb.OptimizerOptions_DEFAULT, false},
		{"cpu default device", graphKey{xla: true}, configpb.OptimizerOptions_ON_2, true},
		{"cpu", graphKey{xla: true, device: "/device:CPU:0"}, configpb.OptimizerOptions_ON_2, true},
		{"gpu", graphKey{xla: true, device: "/device:GPU:0"}, configpb.OptimizerOptions_ON_2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so, err := sessionOptions(tt.key)
			require.NoError(t, err)
			var cfg configpb.ConfigProto
			require.NoError(t, proto.Unmarshal(so.Config, &cfg))
			oo := cfg.GetGraphOptions().GetOptimizerOptions()
			assert.Equal(t, tt.jit, oo.GetGlobalJitLevel())
			assert.Equal(t, tt.cpuJit, oo.GetCpuGlobalJit())
		})
	}
}

// WithXLA compiles the same objective: on the fixture network the loss
// curves of both optimizers match the default graph's to float32
// rounding (XLA may fuse and reorder the sums).
func TestXLAMatchesDefault(t *testing.T) {
	for _, opt := range []Optimizer{Adam(2), LBFGS()} {
		t.Run(opt.String(), func(t *testing.T) {
			plain, err := transfer(t, WithOptimizer(opt), WithIterations(15))
			require.NoError(t, err)
			xla, err := transfer(t, WithOptimizer(opt), WithIterations(15), WithXLA(true))
			require.NoError(t, err)
			require.Len(t, xla.History, len(plain.History))
			for i := range plain.History {
				assert.InEpsilon(t, plain.History[i].Loss, xla.History[i].Loss, 1e-3, "iteration %d", i+1)
			}
			t.Logf("final loss %.6g default, %.6g XLA", plain.Loss, xla.Loss)
		})
	}
}
