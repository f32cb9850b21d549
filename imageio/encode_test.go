package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		name, format string
		img          image.Image
		lossless     bool
	}{
		{"png nrgba keeps alpha", "png", translucentPattern(), true},
		{"png 16-bit", "PNG", to16(pattern()), true},
		{"png gray", "png", grayPattern(), true},
		{"jpeg", "jpeg", pattern(), false},
		{"jpg alias", "jpg", pattern(), false},
		{"jpeg translucent flattens on white", "JPEG", translucentPattern(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Encode(&b, tt.img, tt.format, EncodeOptions{}))
			got, _, err := Decode(&b, DecodeOptions{})
			require.NoError(t, err)
			if tt.lossless {
				// Compare in 16-bit: nothing may be lost.
				require.Equal(t, tt.img.Bounds(), got.Bounds())
				for y := 0; y < patH; y++ {
					for x := 0; x < patW; x++ {
						r0, g0, b0, a0 := tt.img.At(x, y).RGBA()
						r1, g1, b1, a1 := got.At(x, y).RGBA()
						require.Equal(t, [4]uint32{r0, g0, b0, a0}, [4]uint32{r1, g1, b1, a1})
					}
				}
				return
			}
			want, flat := ToRGBA(tt.img), ToRGBA(got)
			for by := 0; by < 2; by++ {
				for bx := 0; bx < 3; bx++ {
					requireNear(t, rgbAt(want, bx*8+4, by*8+4), rgbAt(flat, bx*8+4, by*8+4), 40)
				}
			}
			// Transparent became white, not black.
			if tt.name == "jpeg translucent flattens on white" {
				requireNear(t, [3]int{255, 255, 255}, rgbAt(flat, 20, 12), 8)
			}
		})
	}
}

func TestEncodeJPEGQuality(t *testing.T) {
	img := randomRGBA(64, 64, 7)
	size := func(q int) int {
		var b bytes.Buffer
		require.NoError(t, Encode(&b, img, "jpeg", EncodeOptions{JPEGQuality: q}))
		return b.Len()
	}
	assert.Less(t, size(10), size(50))
	assert.Less(t, size(50), size(100))
	assert.Equal(t, size(DefaultJPEGQuality), size(0), "0 means the default")
	assert.Positive(t, size(1))
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		img    image.Image
		format string
		opts   EncodeOptions
		want   error
		msg    string
	}{
		{"gif", pattern(), "gif", EncodeOptions{}, ErrUnknownFormat, `imageio: encode: unknown image format: "gif" (want png or jpeg)`},
		{"empty format", pattern(), "", EncodeOptions{}, ErrUnknownFormat, "unknown image format"},
		{"quality 101", pattern(), "jpeg", EncodeOptions{JPEGQuality: 101}, ErrInvalidArgument, "imageio: encode: invalid argument: JPEG quality 101 (want 1..100, or 0 for 95)"},
		{"quality -1", pattern(), "jpeg", EncodeOptions{JPEGQuality: -1}, ErrInvalidArgument, "JPEG quality -1"},
		{"nil image", nil, "png", EncodeOptions{}, ErrInvalidArgument, "nil image"},
		{"empty image", image.NewRGBA(image.Rect(0, 0, 0, 0)), "png", EncodeOptions{}, ErrEmpty, "imageio: encode: empty image: 0x0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Encode(&b, tt.img, tt.format, tt.opts)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Zero(t, b.Len(), "nothing written")
		})
	}
}

func TestFormatForPath(t *testing.T) {
	for path, want := range map[string]string{"a.png": "png", "b.PNG": "png", "c.jpg": "jpeg", "d.JPEG": "jpeg", "dir.png/e.jpeg": "jpeg"} {
		got, err := FormatForPath(path)
		require.NoError(t, err)
		assert.Equal(t, want, got, path)
	}
	for _, path := range []string{"a.gif", "a", "a.png.bak", "a.webp"} {
		_, err := FormatForPath(path)
		require.ErrorIs(t, err, ErrUnknownFormat, path)
		assert.Contains(t, err.Error(), fmt.Sprintf("imageio: %q: unknown image format: extension", path))
	}
}

// dirEntries lists the names in dir, sorted.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"out.png", "out.jpg", "OUT.JPEG"} {
		p := filepath.Join(dir, name)
		require.NoError(t, Save(p, pattern(), EncodeOptions{}))
		img, err := Load(p, DecodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, image.Pt(patW, patH), img.Bounds().Size())
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o644), fi.Mode().Perm())
	}
	assert.Equal(t, []string{"OUT.JPEG", "out.jpg", "out.png"}, dirEntries(t, dir), "no temporary files left")

	// Replacing keeps the old file's permissions.
	p := filepath.Join(dir, "out.png")
	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, Save(p, grayPattern(), EncodeOptions{}))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	img, err := Load(p, DecodeOptions{})
	require.NoError(t, err)
	assert.IsType(t, &image.Gray{}, img)

	// A relative path with no directory works.
	t.Chdir(dir)
	require.NoError(t, Save("rel.png", pattern(), EncodeOptions{}))
	_, err = os.Stat(filepath.Join(dir, "rel.png"))
	require.NoError(t, err)
}

// hugeImage claims bounds that encoders refuse, after Save has created its
// temporary file.
type hugeImage struct{ w, h int }

func (m hugeImage) ColorModel() color.Model { return color.RGBAModel }
func (m hugeImage) Bounds() image.Rectangle { return image.Rect(0, 0, m.w, m.h) }
func (m hugeImage) At(int, int) color.Color { return color.Black }

// failAfter is a writer that accepts n bytes and then fails.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("disk full")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestSaveAtomicOnFailure: whatever fails, no temporary file is left and an
// existing file at the path keeps its old content.
func TestSaveAtomicOnFailure(t *testing.T) {
	old := []byte("old content")
	big := randomRGBA(300, 300, 8) // encodes to more than bufio's 64 KiB buffer
	tests := []struct {
		name  string
		file  string // relative to the test's directory
		img   image.Image
		opts  EncodeOptions
		wrap  func(io.Writer) io.Writer
		setup func(t *testing.T, dir string)
		want  error
		msg   string
	}{
		{name: "unknown extension", file: "out.gif", img: pattern(), want: ErrUnknownFormat, msg: "unknown image format"},
		{name: "empty image", file: "out.png", img: image.NewRGBA(image.Rect(0, 0, 0, 0)), want: ErrEmpty, msg: "empty image: 0x0"},
		{name: "bad quality", file: "out.jpg", img: pattern(), opts: EncodeOptions{JPEGQuality: 500}, want: ErrInvalidArgument, msg: "JPEG quality 500"},
		{name: "png encoder refuses", file: "out.png", img: hugeImage{1 << 32, 1}, msg: "png: invalid format: invalid image size"},
		{name: "jpeg encoder refuses", file: "out.jpg", img: hugeImage{70000, 1}, msg: "jpeg: image is too large to encode"},
		{name: "write fails part-way (png)", file: "out.png", img: big, wrap: func(w io.Writer) io.Writer { return &failAfter{w, 70000} }, msg: "disk full"},
		{name: "write fails part-way (jpeg)", file: "out.jpg", img: big, wrap: func(w io.Writer) io.Writer { return &failAfter{w, 70000} }, msg: "disk full"},
		{name: "write fails at once", file: "out.png", img: pattern(), wrap: func(w io.Writer) io.Writer { return &failAfter{w, 0} }, msg: "disk full"},
		{name: "missing directory", file: "nodir/out.png", img: pattern(), want: fs.ErrNotExist, msg: "no such file or directory"},
		{name: "parent is a file", file: "afile/out.png", img: pattern(), msg: "not a directory",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644))
			}},
		{name: "target is a directory", file: "adir.png", img: pattern(), want: ErrInvalidArgument, msg: "not a regular file",
			setup: func(t *testing.T, dir string) { require.NoError(t, os.Mkdir(filepath.Join(dir, "adir.png"), 0o755)) }},
	}
	for _, tt := range tests {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s existing=%v", tt.name, existing), func(t *testing.T) {
				dir := t.TempDir()
				if tt.setup != nil {
					tt.setup(t, dir)
				}
				path := filepath.Join(dir, tt.file)
				if existing {
					if err := os.WriteFile(path, old, 0o644); err != nil {
						// Only possible where the directory exists.
						require.Contains(t, []string{"missing directory", "parent is a file", "target is a directory"}, tt.name)
					}
				}
				before := dirEntries(t, dir)
				testWrapWriter = tt.wrap
				defer func() { testWrapWriter = nil }()

				err := Save(path, tt.img, tt.opts)
				require.Error(t, err)
				if tt.want != nil {
					assert.ErrorIs(t, err, tt.want)
				}
				assert.Contains(t, err.Error(), tt.msg)
				assert.Contains(t, err.Error(), fmt.Sprintf("imageio: save %q: ", path)+"", "names the path")
				assert.Equal(t, before, dirEntries(t, dir), "no temporary file left")
				if existing {
					if got, err := os.ReadFile(path); err == nil {
						assert.Equal(t, old, got, "existing file untouched")
					}
				}
			})
		}
	}
}

// TestSaveConcurrent: writers racing on one path each replace it whole.
func TestSaveConcurrent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "race.png")
	imgs := []image.Image{pattern(), grayPattern(), randomRGBA(24, 16, 9), translucentPattern()}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, Save(p, imgs[i%len(imgs)], EncodeOptions{}))
		}()
	}
	wg.Wait()
	got, err := Load(p, DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, image.Pt(24, 16), got.Bounds().Size())
	assert.Equal(t, []string{"race.png"}, dirEntries(t, dir))
}
