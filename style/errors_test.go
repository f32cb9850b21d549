package style

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// XLA's failures to find CUDA's PTX toolchain (messages of TensorFlow and
// XLA releases, as users reported them) become ErrXLAToolchain, naming the
// device and what to do; other errors, and runs without XLA, keep theirs.
func TestXLAToolchainError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		msg     string
		xla     bool
		matched bool
	}{
		{"no PTX provider", "INTERNAL: No PTX compilation provider is available. Neither ptxas/nvlink nor nvjtlink is available.\n - ptxas_path: Couldn't find a suitable version of ptxas.", true, true},
		{"ptxas not found", "Not found: ./bin/ptxas not found\n\t [[{{node cluster_0_1/xla_compile}}]]", true, true},
		{"libdevice", "INTERNAL: libdevice not found at ./libdevice.10.bc", true, true},
		{"without XLA", "Not found: ./bin/ptxas not found", false, false},
		{"another error", "INVALID_ARGUMENT: Incompatible shapes: [1,2] vs. [1,3]", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := errors.New(tc.msg)
			err := xlaToolchain(raw, tc.xla, "/device:GPU:0")
			if !tc.matched {
				assert.Equal(t, raw, err)
				return
			}
			assert.ErrorIs(t, err, ErrXLAToolchain)
			assert.ErrorContains(t, err, "style: WithXLA(true): XLA cannot compile for the GPU on /device:GPU:0: it needs CUDA's ptxas and libdevice")
			assert.ErrorContains(t, err, "XLA_FLAGS=--xla_gpu_cuda_data_dir=DIR")
			assert.NotContains(t, err.Error(), "\n", "TensorFlow's first line only")
		})
	}
	assert.NoError(t, xlaToolchain(nil, true, "/device:GPU:0"))
}
