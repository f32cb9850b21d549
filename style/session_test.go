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
