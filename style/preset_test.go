package style

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFast checks what the Fast preset sets, and that options given after
// it override its parts while options before it are overridden.
func TestFast(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		optimizer  string
		multiScale int
		iterations int
	}{
		{"defaults", nil, "lbfgs", 0, DefaultIterations},
		{"fast", []Option{Fast()}, "lbfgs", FastMinSize, FastIterations},
		{"fast, then iterations", []Option{Fast(), WithIterations(7)}, "lbfgs", FastMinSize, 7},
		{"iterations, then fast", []Option{WithIterations(7), Fast()}, "lbfgs", FastMinSize, FastIterations},
		{"adam, then fast", []Option{WithOptimizer(Adam(2)), Fast()}, "lbfgs", FastMinSize, FastIterations},
		{"fast, then one scale", []Option{Fast(), WithMultiScale(0)}, "lbfgs", 0, FastIterations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := resolve(tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.optimizer, cfg.optimizer.String())
			assert.Equal(t, tt.multiScale, cfg.multiScaleMin)
			assert.Equal(t, tt.iterations, cfg.iterations)
			// What is minimized stays the default objective.
			def := defaultConfig()
			assert.Equal(t, def.contentWeight, cfg.contentWeight)
			assert.Equal(t, def.styleWeight, cfg.styleWeight)
			assert.Equal(t, def.styleLayers, cfg.styleLayers)
			assert.Equal(t, def.maxSize, cfg.maxSize)
		})
	}
}
