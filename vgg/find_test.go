package vgg

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FindWeights looks in the documented order: option, environment, working
// folder, cache; it reports where the file came from, and a clear error
// when nothing is there.
func TestFindWeights(t *testing.T) {
	tests := []struct {
		name       string
		explicit   string
		env        string // "" = unset
		inWorkDir  bool   // ./imagenet-vgg-verydeep-19.mat exists
		inCache    bool   // the installed VGG16 exists
		wantPath   string // "cache" = the installed path
		wantOrigin WeightsOrigin
		wantErr    bool
	}{
		{name: "option wins", explicit: "/x/given.mat", env: "/x/env.mat", inWorkDir: true, inCache: true,
			wantPath: "/x/given.mat", wantOrigin: FromOption},
		{name: "environment next, even if missing", env: "/x/env.mat", inWorkDir: true, inCache: true,
			wantPath: "/x/env.mat", wantOrigin: FromEnv},
		{name: "VGG19 in the working folder before the cache", inWorkDir: true, inCache: true,
			wantPath: DefaultWeightsFile, wantOrigin: FromWorkingDir},
		{name: "the installed VGG16 last", inCache: true, wantPath: "cache", wantOrigin: FromCache},
		{name: "nothing anywhere", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			t.Setenv("XDG_CACHE_HOME", cache)
			t.Setenv(WeightsEnv, tc.env)
			t.Chdir(t.TempDir())
			installed := filepath.Join(cache, "neuralstyle", InstalledWeightsName)
			if tc.inWorkDir {
				require.NoError(t, os.WriteFile(DefaultWeightsFile, []byte("x"), 0o644))
			}
			if tc.inCache {
				require.NoError(t, os.MkdirAll(filepath.Dir(installed), 0o755))
				require.NoError(t, os.WriteFile(installed, []byte("x"), 0o644))
			}
			p, origin, err := FindWeights(tc.explicit)
			if tc.wantErr {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrNoWeights), "%v", err)
				assert.ErrorContains(t, err, "make weights")
				assert.ErrorContains(t, err, installed)
				return
			}
			require.NoError(t, err)
			if tc.wantPath == "cache" {
				tc.wantPath = installed
			}
			assert.Equal(t, tc.wantPath, p)
			assert.Equal(t, tc.wantOrigin, origin)
			assert.NotEmpty(t, origin.String())
		})
	}
}

// A folder named like the weights file is not taken for it.
func TestFindWeightsSkipsFolders(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(WeightsEnv, "")
	t.Chdir(t.TempDir())
	require.NoError(t, os.Mkdir(DefaultWeightsFile, 0o755))
	_, _, err := FindWeights("")
	assert.True(t, errors.Is(err, ErrNoWeights), "%v", err)
}
