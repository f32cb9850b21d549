package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/internal/batch"
	"github.com/neuralstyle/neuralstyle/internal/cli"
	"github.com/neuralstyle/neuralstyle/style"
)

// TestMain lets the test binary act as the stylize command when
// STYLIZE_TEST_MAIN=1, so that the Slurm test can run it as the launcher's
// $STYLIZE. STYLIZE_TEST_PAUSE_ITEM names an item whose first iteration
// writes this process's id to STYLIZE_TEST_PAUSE_MARKER and then waits to
// be killed: a task stopped mid-item, on cue, without timing.
func TestMain(m *testing.M) {
	if os.Getenv("STYLIZE_TEST_MAIN") != "1" {
		os.Exit(m.Run())
	}
	if item := os.Getenv("STYLIZE_TEST_PAUSE_ITEM"); item != "" {
		marker := os.Getenv("STYLIZE_TEST_PAUSE_MARKER")
		testHookBatchProgress = func(it *batch.Item, _ style.Progress) {
			if it.ID != item {
				return
			}
			if err := batch.WriteFile(marker, func(w io.Writer) error {
				_, err := fmt.Fprint(w, os.Getpid())
				return err
			}); err != nil {
				os.Exit(3)
			}
			for {
				time.Sleep(time.Hour)
			}
		}
	}
	os.Exit(cli.Run(dispatch, os.Args[1:], os.Stdout, os.Stderr))
}

// writeManifest writes one JSON line per item into dir/name.
func writeManifest(t *testing.T, dir, name string, items []map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, it := range items {
		line, err := json.Marshal(it)
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// A shard goes on past a failing item, records it, and exits 1; the
// report counts it; a second run skips what is done and retries the
// failure.
func TestBatchFailureDoesNotStopShard(t *testing.T) {
	in := newInputs(t)
	writeImage(t, in.dir, "thin.png", 60, 4, "gradient") // too thin for the network at 32 px
	opts := map[string]any{"max-size": 32, "iterations": 2}
	m := writeManifest(t, in.dir, "m.jsonl", []map[string]any{
		{"content": "content.png", "style": "style.png", "out": "out/a.png", "options": opts},
		{"content": "thin.png", "style": "style.png", "out": "out/thin.png", "options": opts},
		{"content": "content.png", "style": []string{"style.png", "style2.png"}, "out": "out/b.jpg", "options": opts},
	})
	ctx := context.Background()
	code, stdout, stderr := stylizeBatch(t, ctx, "-manifest", m, "-weights", fixtureWeights)
	assert.Equal(t, 1, code, stdout+stderr)
	assert.Contains(t, stdout, "whole manifest")
	assert.Contains(t, stderr, "some items failed")
	assert.FileExists(t, filepath.Join(in.dir, "out/a.png"))
	assert.FileExists(t, filepath.Join(in.dir, "out/b.jpg"))
	assert.NoFileExists(t, filepath.Join(in.dir, "out/thin.png"))

	code, stdout, _ = stylizeBatch(t, ctx, "-report", "-manifest", m, "-weights", fixtureWeights)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "3 items: 2 done, 1 failed, 0 pending")
	assert.Contains(t, stdout, "failed: line 2 out/thin.png")

	code, stdout, _ = stylizeBatch(t, ctx, "-manifest", m, "-weights", fixtureWeights)
	assert.Equal(t, 1, code)
	assert.Equal(t, 2, strings.Count(stdout, "skipped (done before)"), stdout)
}

// Manifest mistakes are found before any work, with the line.
func TestBatchManifestErrors(t *testing.T) {
	in := newInputs(t)
	tests := []struct {
		name string
		item map[string]any
		want string
	}{
		{"bad option value", map[string]any{"content": "content.png", "style": "style.png", "out": "a.png", "options": map[string]any{"iterations": 0}}, "m.jsonl:2: options: -iterations 0"},
		{"unknown option", map[string]any{"content": "content.png", "style": "style.png", "out": "a.png", "options": map[string]any{"colour": 1}}, "m.jsonl:2: options: flag provided but not defined: -colour"},
		{"batch-wide option", map[string]any{"content": "content.png", "style": "style.png", "out": "a.png", "options": map[string]any{"weights": "x.mat"}}, `m.jsonl:2: option "weights": not per item`},
		{"missing style", map[string]any{"content": "content.png", "style": "nope.png", "out": "a.png"}, `m.jsonl:2: style "nope.png"`},
		{"duplicate output", map[string]any{"content": "content.png", "style": "style.png", "out": "./ok.png"}, "m.jsonl:2: out \"ok.png\": already the output of line 1"},
		{"video option on an image", map[string]any{"content": "content.png", "style": "style.png", "out": "a.png", "options": map[string]any{"temporal-weight": 1}}, "only for video items"},
		{"bad output format", map[string]any{"content": "content.png", "style": "style.png", "out": "a.gif"}, "-out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := writeManifest(t, in.dir, "m.jsonl", []map[string]any{
				{"content": "content.png", "style": "style.png", "out": "ok.png"}, tc.item})
			code, stdout, stderr := stylizeBatch(t, context.Background(), "-manifest", m, "-weights", fixtureWeights)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
			assert.NoFileExists(t, filepath.Join(in.dir, "ok.png"))
		})
	}
}

func stylizeBatch(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := dispatch(ctx, append([]string{"batch"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A frame folder is a shot: stylized in video mode into a folder of
// frames, in order, and skipped once done.
func TestBatchVideoShot(t *testing.T) {
	in := newInputs(t)
	frames := filepath.Join(in.dir, "shot")
	require.NoError(t, os.Mkdir(frames, 0o755))
	for i := range 3 {
		writeImage(t, frames, fmt.Sprintf("%04d.png", i+1), 48, 40, "gradient")
	}
	m := writeManifest(t, in.dir, "m.jsonl", []map[string]any{
		{"content": "shot", "style": "style.png", "out": "out/shot", "options": map[string]any{
			"max-size": 32, "iterations": 2, "first-frame-iterations": 2, "flow": "farneback"}},
		{"content": "content.png", "style": "style.png", "out": "out/a.png", "options": map[string]any{"max-size": 32, "iterations": 2}},
	})
	code, stdout, stderr := stylizeBatch(t, context.Background(), "-manifest", m, "-weights", fixtureWeights)
	require.Equal(t, 0, code, stdout+stderr)
	for i := 1; i <= 3; i++ {
		assert.FileExists(t, filepath.Join(in.dir, "out/shot", fmt.Sprintf("frame_%05d.png", i)))
	}
	recs, _, err := batch.ReadStatus(filepath.Join(in.dir, "out"))
	require.NoError(t, err)
	last, ok := batch.Latest(recs["out/shot"], recs["out/shot"][0].Key)
	require.True(t, ok)
	assert.Equal(t, 3, last.Frames)
	image, ok := batch.Latest(recs["out/a.png"], recs["out/a.png"][0].Key)
	require.True(t, ok)
	assert.Equal(t, "iteration limit", image.Stop, "an image item records why its run ended")
	assert.Contains(t, stdout, "(iteration limit)")
	code, stdout, _ = stylizeBatch(t, context.Background(), "-manifest", m, "-weights", fixtureWeights)
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(stdout, "skipped (done before)"), stdout)
}
