package video

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The core packages never depend on this package or on OpenCV, so that they
// build without OpenCV installed (docs/design.md, "Layers, and who may
// import whom").
func TestCoreDoesNotImportVideoOrOpenCV(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	cmd := exec.Command(goBin, "list", "-deps", "./style/...", "./vgg/...", "./loss/...", "./optim/...", "./imageio/...", "./internal/...")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/neuralstyle/neuralstyle/style")
	for _, d := range deps {
		assert.False(t, strings.HasPrefix(d, "gocv.io/"), "core depends on %s", d)
		assert.NotEqual(t, "github.com/neuralstyle/neuralstyle/video", d)
	}
}
