package doccheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRepositoryDocs is the link check of `make test`: every relative link
// and image in README.md and docs/**/*.md resolves, anchors included.
func TestRepositoryDocs(t *testing.T) {
	root := repoRoot(t)
	pages, err := Pages(root)
	require.NoError(t, err)
	require.Contains(t, pages, "README.md")
	require.Contains(t, pages, "docs/design.md", "the docs pages are found")
	problems, err := Check(root, pages)
	require.NoError(t, err)
	for _, p := range problems {
		t.Errorf("broken link: %s", p)
	}
}

// repoRoot is the folder above this package that holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the package")
		dir = parent
	}
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want []Link
	}{
		{"inline link", "see [the docs](docs/a.md) here", []Link{{Target: "docs/a.md", Line: 1}}},
		{"image", "![a cat](img/cat.png)", []Link{{Target: "img/cat.png", Line: 1, Image: true}}},
		{"empty alt", "| ![](g/x.jpg) |", []Link{{Target: "g/x.jpg", Line: 1, Image: true}}},
		{"anchor only", "[up](#top)", []Link{{Target: "#top", Line: 1}}},
		{"file and anchor", "[w](weights.md#how-it-works)", []Link{{Target: "weights.md#how-it-works", Line: 1}}},
		{"title", `[a](b.md "the title") and [c](d.md 'x') and [e](f.md (y))`,
			[]Link{{Target: "b.md", Line: 1}, {Target: "d.md", Line: 1}, {Target: "f.md", Line: 1}}},
		{"angle brackets", "[a](<my file.md>)", []Link{{Target: "my file.md", Line: 1}}},
		{"balanced parentheses", "[a](docs/f(1).md)", []Link{{Target: "docs/f(1).md", Line: 1}}},
		{"image inside a link", "[![badge](b.svg)](https://example.com)",
			[]Link{{Target: "b.svg", Line: 1, Image: true}, {Target: "https://example.com", Line: 1}}},
		{"text over two lines", "a [long\nlink text](x.md)", []Link{{Target: "x.md", Line: 2}}},
		{"line numbers", "one\n\n[a](a.md)\n\n![b](b.png)", []Link{{Target: "a.md", Line: 3}, {Target: "b.png", Line: 5, Image: true}}},
		{"code span skipped", "`[a](no.md)` but [b](yes.md)", []Link{{Target: "yes.md", Line: 1}}},
		{"double-backtick span", "``x ` [a](no.md)`` [b](yes.md)", []Link{{Target: "yes.md", Line: 1}}},
		{"unmatched backtick is literal", "a ` b [c](yes.md)", []Link{{Target: "yes.md", Line: 1}}},
		{"fenced block skipped", "```go\nx := a[i](j)\n[a](no.md)\n```\n[b](yes.md)", []Link{{Target: "yes.md", Line: 5}}},
		{"indented fence in a list", "- item\n  ```\n  [a](no.md)\n  ```\n- [b](yes.md)", []Link{{Target: "yes.md", Line: 5}}},
		{"tilde fence", "~~~\n[a](no.md)\n~~~", nil},
		{"reference definition", "[ref]: ../x.md\n[y][ref]", []Link{{Target: "../x.md", Line: 1}}},
		{"html image and link", `<img src="a.png" width="10"> <a href="b.md">b</a>`,
			[]Link{{Target: "a.png", Line: 1, Image: true}, {Target: "b.md", Line: 1}}},
		{"not a link", "a [bracket] (and a parenthesis) and f(x)[i]", nil},
		{"no closing parenthesis", "[a](b.md", nil},
		{"autolink is not extracted", "<https://example.com>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Links([]byte(tt.md)))
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ heading, want string }{
		{"The TensorFlow runtime", "the-tensorflow-runtime"},
		{"Gallery: Gram against W2, and max, avg and L2 pooling", "gallery-gram-against-w2-and-max-avg-and-l2-pooling"},
		{"Is my GPU used?", "is-my-gpu-used"},
		{"The CUDA runtime: TF_VARIANT=cuda", "the-cuda-runtime-tf_variantcuda"},
		{"The poster: 4096×2728 px", "the-poster-40962728-px"},
		{"Against TensorFlow-Python and PyTorch", "against-tensorflow-python-and-pytorch"},
		{"*Emphasis* and [a link](x.md)", "emphasis-and-a-link"},
		{"Ünïcode café", "ünïcode-café"},
		{"Two  spaces", "two--spaces"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Slug(tt.heading), tt.heading)
	}
}

func TestAnchors(t *testing.T) {
	md := "# Title\n\n## What you do\n\n```\n# not a heading\n```\n\n## What you do\n\n" +
		"### `style.Fast()` and friends ###\n\n#hashtag\n\n<a name=\"old-name\"></a>\n"
	got := Anchors([]byte(md))
	assert.Equal(t, map[string]bool{
		"title": true, "what-you-do": true, "what-you-do-1": true,
		"stylefast-and-friends": true, "old-name": true,
	}, got)
}

func TestCheck(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("README.md", strings.Join([]string{
		"# Front",
		"[ok](docs/a.md) [ok](docs/a.md#section-one) [ok](#front) [ok](docs/img/x.png)",
		"[ok](docs/) [ok](https://example.com/missing) [ok](mailto:a@b.c) [ok](docs/a%20b.md)",
		"[missing](docs/nope.md)",
		"![missing](docs/img/nope.png)",
		"[bad anchor](docs/a.md#section-two)",
		"[bad own anchor](#nowhere)",
		"[outside](../elsewhere.md)",
		"[through a file](docs/a.md/x)",
	}, "\n"))
	write("docs/a.md", "# A\n\n## Section one\n\n[back](../README.md#front) [up](../../x.md) ![](img/x.png)\n")
	write("docs/a b.md", "# spaces\n")
	write("docs/img/x.png", "png")

	pages, err := Pages(root)
	require.NoError(t, err)
	assert.Equal(t, []string{"README.md", "docs/a b.md", "docs/a.md"}, pages)

	problems, err := Check(root, pages)
	require.NoError(t, err)
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	assert.Equal(t, []string{
		"README.md:4: docs/nope.md: no such file or folder",
		"README.md:5: docs/img/nope.png: no such file or folder",
		`README.md:6: docs/a.md#section-two: no heading with ID "section-two" in docs/a.md`,
		`README.md:7: #nowhere: no heading with ID "nowhere" in README.md`,
		"README.md:8: ../elsewhere.md: outside the repository",
		"README.md:9: docs/a.md/x: no such file or folder",
		"docs/a.md:5: ../../x.md: outside the repository",
	}, got)
}
