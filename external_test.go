package neuralstyle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// readmeSetup is the set-up line that README.md and docs/runtime.md give a
// module that depends on neuralstyle: the install
// script run from wherever the go command keeps the module. In the test
// that is the checkout, through a replace directive; after `go get` it is
// the module cache, where files are read-only and not executable, hence
// `bash`.
const readmeSetup = `eval "$(bash "$(go list -m -f '{{.Dir}}' github.com/neuralstyle/neuralstyle)/scripts/libtensorflow.sh" env)"`

// TestExternalModule does what the docs tell a user of the library to
// do, in a fresh module outside the repository: require the module, run
// the set-up line, build a program that imports style, vgg and imageio, and
// run a tiny transfer on the fixture network. It needs the module cache
// (or the Go module proxy) for the dependencies, as the user's build does.
func TestExternalModule(t *testing.T) {
	checkout, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	goMod := "module example.com/stylizer\n\ngo 1.26.0\n\n" +
		"require github.com/neuralstyle/neuralstyle v0.0.0\n\n" +
		"replace github.com/neuralstyle/neuralstyle => " + checkout + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))
	sum, err := os.ReadFile("go.sum") // the checksums of the same dependencies
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	prog, err := os.ReadFile("testdata/external/main.go.txt")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), prog, 0o644))

	script := readmeSetup + " && go mod tidy && go build -o stylizer ."
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	// The user's shell: none of the cgo flags `make test` exported, so the
	// set-up line has to provide them.
	cmd.Env = withoutEnv(os.Environ(), "CGO_CFLAGS", "CGO_LDFLAGS", "LIBTENSORFLOW_DIR", "TF_CPP_MIN_LOG_LEVEL")
	cmd.Env = append(cmd.Env, "GOFLAGS=-mod=mod -buildvcs=false")
	built, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", built)

	// The binary runs without any environment: the rpath finds libtensorflow.
	weights := filepath.Join(checkout, "vgg", "testdata", "vgg19_new.mat")
	for _, verbose := range []bool{false, true} {
		out := filepath.Join(dir, "out.png")
		args := []string{weights, out}
		if verbose {
			args = append(args, "-v")
		}
		run := exec.Command(filepath.Join(dir, "stylizer"), args...)
		run.Env = []string{"HOME=" + dir}
		var stdout, stderr strings.Builder
		run.Stdout, run.Stderr = &stdout, &stderr
		require.NoError(t, run.Run(), "stderr:\n%s", stderr.String())
		assert.Regexp(t, `^stylized 32×26 in 3 iterations on /device:(CPU|GPU):0\n$`, stdout.String())
		img, err := imageio.Load(out, imageio.DecodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, 32, img.Bounds().Dx())
		if verbose {
			// TensorFlow's start-up notice and Abseil's first line, at least.
			assert.Contains(t, stderr.String(), "oneDNN custom operations are on")
			assert.Contains(t, stderr.String(), "absl::InitializeLog")
		} else {
			assert.Empty(t, stderr.String(), "tfruntime/quiet lets no TensorFlow line through")
		}
	}
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			keep = keep && name != n
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
