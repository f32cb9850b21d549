package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/video"
)

// -preview prints the URL once; the page shows the frame being stylized and
// the strip of finished ones, and its Stop button ends the run as Ctrl-C
// does: the finished frames stay.
func TestPreview(t *testing.T) {
	in := writeFrames(t, 3, 48, 32)
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	var strip int
	var label string
	testHookFrame = func(f *video.Frame) {
		if f.Index != 2 {
			return
		}
		m := regexp.MustCompile(`preview: (http://127\.0\.0\.1:[0-9]+/)\n`).FindStringSubmatch(stdout.String())
		require.NotNil(t, m, stdout.String())
		page, err := http.Get(m[1])
		require.NoError(t, err)
		body, _ := io.ReadAll(page.Body)
		page.Body.Close()
		tok := regexp.MustCompile(`name="preview-token" content="([0-9a-f]+)"`).FindSubmatch(body)
		require.NotNil(t, tok)

		ev, err := http.Get(m[1] + "events")
		require.NoError(t, err)
		sc := bufio.NewScanner(ev.Body)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var msg struct {
					Label string            `json:"label"`
					Strip []json.RawMessage `json:"strip"`
				}
				require.NoError(t, json.Unmarshal([]byte(data), &msg))
				strip, label = len(msg.Strip), msg.Label
				break
			}
		}
		ev.Body.Close()
		resp, err := http.PostForm(m[1]+"stop", url.Values{"token": {string(tok[1])}})
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	defer func() { testHookFrame = nil }()
	code := run(context.Background(), []string{"-in", in, "-out", out, "-style", styleFile(t), "-weights", fixtureWeights,
		"-max-size", "40", "-iterations", "5", "-first-frame-iterations", "5", "-preview", ":0"}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(stdout.String(), "preview: http://"), "the URL, once")
	assert.Equal(t, 2, strip, "the strip holds the finished frames")
	assert.Equal(t, "frame 2 of 3", label)
	assert.Contains(t, stderr.String(), "stopped during frame 3; 2 frames are in "+out)
	assert.Contains(t, stderr.String(), "preview: stopped from the page")
}
