package batch

import (
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, image.NewGray(image.Rect(0, 0, w, h))))
	require.NoError(t, f.Close())
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 30, 20)
	writePNG(t, filepath.Join(dir, "s.png"), 10, 10)
	writePNG(t, filepath.Join(dir, "frames", "0001.png"), 10, 10)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clip.mp4"), []byte("not checked here"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("text"), 0o644))
	check := func(it *Item) (Facts, error) {
		for _, o := range it.Options {
			if o.Name == "bad" {
				return Facts{}, errors.New("option bad: rejected")
			}
		}
		return Facts{Group: "g"}, nil
	}
	tests := []struct {
		name    string
		lines   string
		wantErr string
		check   func(t *testing.T, m *Manifest)
	}{
		{name: "image", lines: `{"content": "a.png", "style": "s.png", "out": "out/a.png", "options": {"max-size": 512, "iterations": 300, "color-match": true, "init": "noise"}}`,
			check: func(t *testing.T, m *Manifest) {
				it := m.Items[0]
				assert.Equal(t, filepath.Join(dir, "a.png"), it.Content)
				assert.Equal(t, "out/a.png", it.ID)
				assert.False(t, it.Video)
				assert.Equal(t, []string{"-color-match=true", "-init=noise", "-iterations=300", "-max-size=512"}, it.Args())
				assert.Equal(t, filepath.Join(dir, "out"), m.OutDir())
			}},
		{name: "style list and blank lines", lines: "\n" + `{"content": "a.png", "style": ["s.png", "a.png"], "out": "b.jpg", "options": {"style-weights": [1, 2]}}` + "\n\n",
			check: func(t *testing.T, m *Manifest) {
				assert.Equal(t, 2, m.Items[0].Line)
				assert.Len(t, m.Items[0].Styles, 2)
				assert.Equal(t, []string{"-style-weights=1", "-style-weights=2"}, m.Items[0].Args())
			}},
		{name: "frame folder and video file", lines: `{"content": "frames", "style": "s.png", "out": "v1"}` + "\n" + `{"content": "clip.mp4", "style": "s.png", "out": "v2"}`,
			check: func(t *testing.T, m *Manifest) {
				assert.True(t, m.Items[0].Video)
				assert.True(t, m.Items[1].Video)
			}},
		{name: "path option resolved", lines: `{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"mask": "s.png"}}`,
			check: func(t *testing.T, m *Manifest) {
				assert.Equal(t, []string{"-mask=" + filepath.Join(dir, "s.png")}, m.Items[0].Args())
			}},
		{name: "not JSON", lines: `{"content": "a.png",`, wantErr: "m.jsonl:1: not a JSON object"},
		{name: "unknown field", lines: `{"content": "a.png", "style": "s.png", "out": "o.png", "opts": {}}`, wantErr: `m.jsonl:1: not a JSON object of content, style, out and options: json: unknown field "opts"`},
		{name: "missing content", lines: `{"style": "s.png", "out": "o.png"}`, wantErr: `m.jsonl:1: "content" is missing`},
		{name: "missing out", lines: `{"content": "a.png", "style": "s.png"}`, wantErr: `"out" is missing`},
		{name: "missing style", lines: `{"content": "a.png", "out": "o.png"}`, wantErr: `"style": want a file`},
		{name: "content not there", lines: `{"content": "nope.png", "style": "s.png", "out": "o.png"}`, wantErr: `content "nope.png": no such file or directory`},
		{name: "content not an image", lines: `{"content": "notes.txt", "style": "s.png", "out": "o.png"}`, wantErr: `content "notes.txt": neither an image`},
		{name: "style not an image", lines: `{"content": "a.png", "style": ["s.png", "notes.txt"], "out": "o.png"}`, wantErr: `style "notes.txt": not an image`},
		{name: "duplicate outputs", lines: `{"content": "a.png", "style": "s.png", "out": "o.png"}` + "\n" + `{"content": "a.png", "style": "s.png", "out": "./x/../o.png"}`, wantErr: `m.jsonl:2: out "o.png": already the output of line 1`},
		{name: "output is an input", lines: `{"content": "a.png", "style": "s.png", "out": "a.png"}`, wantErr: "the same file as an input"},
		{name: "output inside a frame folder", lines: `{"content": "frames", "style": "s.png", "out": "v"}` + "\n" + `{"content": "a.png", "style": "s.png", "out": "v/x.png"}`, wantErr: "m.jsonl:2: out \"v/x.png\": inside the frame folder of line 1"},
		{name: "option rejected by the check", lines: `{"content": "a.png", "style": "s.png", "out": "o.png"}` + "\n" + `{"content": "a.png", "style": "s.png", "out": "p.png", "options": {"bad": 1}}`, wantErr: "m.jsonl:2: option bad: rejected"},
		{name: "option with a dash", lines: `{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"-iterations": 1}}`, wantErr: "without the dash"},
		{name: "option object value", lines: `{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"iterations": {"n": 1}}}`, wantErr: `option "iterations": value {"n": 1}`},
		{name: "path option missing", lines: `{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"mask": "m.png"}}`, wantErr: `option "mask": no such file`},
		{name: "empty", lines: "\n\n", wantErr: "no items"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "m.jsonl")
			require.NoError(t, os.WriteFile(p, []byte(tc.lines), 0o644))
			m, err := Load(p, Config{Check: check, PathOptions: []string{"mask"}})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.ErrorIs(t, err, ErrManifest)
				return
			}
			require.NoError(t, err)
			tc.check(t, m)
		})
	}
}

// The key changes with what the item is, not with its line or with how
// its paths are written.
func TestKey(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 30, 20)
	writePNG(t, filepath.Join(dir, "s.png"), 10, 10)
	key := func(lines, salt string) string {
		p := filepath.Join(dir, "m.jsonl")
		require.NoError(t, os.WriteFile(p, []byte(lines), 0o644))
		m, err := Load(p, Config{Salt: salt})
		require.NoError(t, err)
		return m.Items[len(m.Items)-1].Key
	}
	base := key(`{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"iterations": 3}}`, "w")
	assert.Equal(t, base, key("\n\n"+`{"content": "./a.png", "style": ["s.png"], "out": "x/../o.png", "options": {"iterations": 3}}`, "w"))
	assert.NotEqual(t, base, key(`{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"iterations": 4}}`, "w"))
	assert.NotEqual(t, base, key(`{"content": "a.png", "style": "s.png", "out": "o.png", "options": {"iterations": 3}}`, "other weights"))
}

// A killed process's temporary file is removed; WriteFile leaves nothing
// behind on failure.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "o.png")
	require.Error(t, WriteFile(p, func(w io.Writer) error { return errors.New("encoder failed") }))
	entries, _ := os.ReadDir(filepath.Dir(p))
	assert.Empty(t, entries)
	require.NoError(t, WriteFile(p, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }))
	assert.FileExists(t, p)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", ".o.png.tmp-123"), []byte("partial"), 0o644))
	assert.Equal(t, 1, RemoveTemp(p))
	entries, _ = os.ReadDir(filepath.Dir(p))
	require.Len(t, entries, 1)
	assert.Equal(t, "o.png", entries[0].Name())
}
