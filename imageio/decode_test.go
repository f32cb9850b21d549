package imageio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// translucentPattern is the pattern with a half-transparent first block and
// a fully transparent last block.
func translucentPattern() *image.NRGBA {
	img := pattern()
	for y := 0; y < patH; y++ {
		for x := 0; x < patW; x++ {
			i := img.PixOffset(x, y)
			switch {
			case x < 8 && y < 8:
				img.Pix[i+3] = 128
			case x >= 16 && y >= 8:
				img.Pix[i+3] = 0
			}
		}
	}
	return img
}

func to16(img image.Image) *image.RGBA64 {
	b := img.Bounds()
	out := image.NewRGBA64(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			// Spread the values over 16 bits so that rounding is exercised.
			out.SetRGBA64(x, y, color.RGBA64{uint16(r) ^ 0x5a&uint16(a), uint16(g), uint16(bl), uint16(a)})
		}
	}
	return out
}

func toPaletted(img image.Image, p color.Palette) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(b, p)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// patternPalette holds the pattern's six colours and a transparent entry.
var patternPalette = color.Palette{
	patternColours[0][0], patternColours[0][1], patternColours[0][2],
	patternColours[1][0], patternColours[1][1], patternColours[1][2],
	color.NRGBA{},
}

// TestDecodeGoEncoded decodes what the Go encoders write, in every pixel
// layout they can produce, and compares with the source image flattened.
func TestDecodeGoEncoded(t *testing.T) {
	grayJPEG := grayPattern()
	pal := toPaletted(translucentPattern(), patternPalette)
	tests := []struct {
		name   string
		format string
		src    image.Image
		enc    func(*bytes.Buffer, image.Image) error
		tol    int // 0: lossless, every pixel must match
	}{
		{"png nrgba with alpha", "png", translucentPattern(), pngEnc, 0},
		{"png 16-bit rgba", "png", to16(translucentPattern()), pngEnc, 0},
		{"png 16-bit opaque", "png", to16(pattern()), pngEnc, 0},
		{"png gray", "png", grayPattern(), pngEnc, 0},
		{"png gray16", "png", gray16(grayPattern()), pngEnc, 0},
		{"png paletted with transparency", "png", pal, pngEnc, 0},
		{"jpeg ycbcr", "jpeg", pattern(), jpegEnc, 40},
		{"jpeg gray", "jpeg", grayJPEG, jpegEnc, 3},
		{"gif paletted with transparency", "gif", pal, gifEnc, 0},
		{"gif plan9 palette", "gif", toPaletted(pattern(), palette.Plan9), gifEnc, 0},
		{"bmp rgba", "bmp", pattern(), func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }, 0},
		{"bmp paletted", "bmp", toPaletted(pattern(), patternPalette[:6]), func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }, 0},
		{"bmp gray", "bmp", grayPattern(), func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }, 0},
		{"tiff uncompressed", "tiff", translucentPattern(), tiffEnc(tiff.Uncompressed), 0},
		{"tiff deflate 16-bit", "tiff", to16(pattern()), tiffEnc(tiff.Deflate), 0},
		{"tiff gray16", "tiff", gray16(grayPattern()), tiffEnc(tiff.Uncompressed), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeWith(t, func(b *bytes.Buffer) error { return tt.enc(b, tt.src) })
			img, format, err := Decode(bytes.NewReader(data), DecodeOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.format, format)
			require.Equal(t, tt.src.Bounds().Size(), img.Bounds().Size())
			want, got := ToRGBA(tt.src), ToRGBA(img)
			if tt.tol == 0 {
				require.Equal(t, want.Pix, got.Pix)
				return
			}
			for by := 0; by < 2; by++ {
				for bx := 0; bx < 3; bx++ {
					x, y := bx*8+4, by*8+4
					requireNear(t, rgbAt(want, x, y), rgbAt(got, x, y), tt.tol, "block", bx, by)
				}
			}
		})
	}
}

func pngEnc(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }
func jpegEnc(b *bytes.Buffer, m image.Image) error {
	return jpeg.Encode(b, m, &jpeg.Options{Quality: 95})
}
func gifEnc(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }
func tiffEnc(c tiff.CompressionType) func(*bytes.Buffer, image.Image) error {
	return func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, &tiff.Options{Compression: c}) }
}

func gray16(g *image.Gray) *image.Gray16 {
	out := image.NewGray16(g.Rect)
	for i, v := range g.Pix {
		out.SetGray16(i%g.Rect.Dx(), i/g.Rect.Dx(), color.Gray16{Y: uint16(v)*257 + 100})
	}
	return out
}

// fixtures mirrors testdata/fixtures.json, written by make_images.py.
type fixtures struct {
	Pillow string `json:"pillow"`
	Files  map[string]struct {
		Width   int          `json:"width"`
		Height  int          `json:"height"`
		Centres [2][3][3]int `json:"centres"`
	} `json:"files"`
}

// TestDecodePillowFixtures decodes files written by Pillow (an independent
// encoder) and compares with what Pillow itself decodes from them.
func TestDecodePillowFixtures(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "fixtures.json"))
	require.NoError(t, err)
	var fx fixtures
	require.NoError(t, json.Unmarshal(raw, &fx))
	require.Len(t, fx.Files, 16)
	formats := map[string]string{".jpg": "jpeg", ".bmp": "bmp", ".tiff": "tiff", ".webp": "webp"}
	for name, want := range fx.Files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
			require.NoError(t, err)
			img, format, err := Decode(bytes.NewReader(data), DecodeOptions{})
			require.NoError(t, err)
			assert.Equal(t, formats[filepath.Ext(name)], format)
			require.Equal(t, image.Pt(want.Width, want.Height), img.Bounds().Size(), "display size")
			// Go's and libjpeg's IDCT and rounding may differ by a level;
			// lossless formats must match exactly.
			tol := 0
			if format == "jpeg" || strings.HasPrefix(name, "lossy") {
				tol = 2
			}
			got := ToRGBA(img)
			for by := 0; by < 2; by++ {
				for bx := 0; bx < 3; bx++ {
					requireNear(t, want.Centres[by][bx], rgbAt(got, bx*8+4, by*8+4), tol, "block", bx, by)
				}
			}
		})
	}
}

// TestDecodeIgnoreOrientation keeps the stored pixels of a rotated JPEG.
func TestDecodeIgnoreOrientation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "formats", "exif-orientation-6.jpg"))
	require.NoError(t, err)
	img, _, err := Decode(bytes.NewReader(data), DecodeOptions{IgnoreOrientation: true})
	require.NoError(t, err)
	assert.Equal(t, image.Pt(16, 24), img.Bounds().Size())
	img, _, err = Decode(bytes.NewReader(data), DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, image.Pt(24, 16), img.Bounds().Size())
}

// TestDecodeOneByOne checks that the smallest image decodes in every format.
func TestDecodeOneByOne(t *testing.T) {
	px := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	px.SetNRGBA(0, 0, color.NRGBA{10, 200, 30, 255})
	encs := map[string]func(*bytes.Buffer, image.Image) error{
		"png": pngEnc, "jpeg": jpegEnc, "gif": gifEnc, "tiff": tiffEnc(tiff.Uncompressed),
		"bmp": func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) },
	}
	for format, enc := range encs {
		t.Run(format, func(t *testing.T) {
			data := encodeWith(t, func(b *bytes.Buffer) error { return enc(b, px) })
			img, got, err := Decode(bytes.NewReader(data), DecodeOptions{})
			require.NoError(t, err)
			assert.Equal(t, format, got)
			assert.Equal(t, image.Pt(1, 1), img.Bounds().Size())
		})
	}
}

// validFiles returns one small valid encoding per format.
func validFiles(t testing.TB) map[string][]byte {
	files := map[string][]byte{
		"png":  encodeWith(t, func(b *bytes.Buffer) error { return pngEnc(b, pattern()) }),
		"jpeg": encodeWith(t, func(b *bytes.Buffer) error { return jpegEnc(b, pattern()) }),
		"gif":  encodeWith(t, func(b *bytes.Buffer) error { return gifEnc(b, toPaletted(pattern(), patternPalette)) }),
		"bmp":  encodeWith(t, func(b *bytes.Buffer) error { return bmp.Encode(b, pattern()) }),
		"tiff": encodeWith(t, func(b *bytes.Buffer) error { return tiffEnc(tiff.Uncompressed)(b, pattern()) }),
	}
	for _, name := range []string{"lossy.webp", "lossless-alpha.webp", "lossy-alpha.webp"} {
		data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
		require.NoError(t, err)
		files[name] = data
	}
	return files
}

// TestDecodeBadInput: every malformed input gives its sentinel, never a
// panic or an image.
func TestDecodeBadInput(t *testing.T) {
	valid := validFiles(t)
	type tc struct {
		name    string
		data    []byte
		want    error
		wantMsg string
	}
	tests := []tc{
		{"empty", nil, ErrEmpty, "imageio: empty image: input has zero bytes"},
		{"text", []byte("hello, world: not an image\n"), ErrUnknownFormat, `imageio: unknown image format (content starts with "hello, w")`},
		{"one byte", []byte{0x89}, ErrUnknownFormat, "unknown image format"},
		{"zeros", make([]byte, 4096), ErrUnknownFormat, "unknown image format"},
		{"html", []byte("<!DOCTYPE html><html></html>"), ErrUnknownFormat, "unknown image format"},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), ErrCorrupt, "imageio: corrupt image (png): "},
		{"jpeg SOI only", []byte{0xff, 0xd8}, ErrCorrupt, "corrupt image (jpeg)"},
		{"riff but not webp", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), ErrUnknownFormat, "unknown image format"},
		{"png 0x0", zeroSizePNG(), ErrEmpty, "imageio: empty image: png image is 0x0"},
		{"gif 0x0", encodeWith(t, func(b *bytes.Buffer) error {
			return gif.Encode(b, image.NewPaletted(image.Rect(0, 0, 0, 0), patternPalette), nil)
		}), ErrEmpty, "gif image is 0x0"},
		{"jpeg 0x0", encodeWith(t, func(b *bytes.Buffer) error { return jpegEnc(b, image.NewGray(image.Rect(0, 0, 0, 0))) }), ErrEmpty, "jpeg image is 0x0"},
		{"bmp 0x0", encodeWith(t, func(b *bytes.Buffer) error { return bmp.Encode(b, image.NewGray(image.Rect(0, 0, 0, 0))) }), ErrEmpty, "bmp image is 0x0"},
	}
	for format, data := range valid {
		// Truncations at several points, each must fail cleanly.
		for _, frac := range []float64{0.1, 0.5, 0.9} {
			n := int(float64(len(data)) * frac)
			if n < 16 {
				n = 16
			}
			tests = append(tests, tc{name: fmt.Sprintf("truncated %s at %d%%", format, int(frac*100)),
				data: data[:n], want: ErrCorrupt, wantMsg: "imageio: corrupt image ("})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := Decode(bytes.NewReader(tt.data), DecodeOptions{})
			require.Error(t, err)
			assert.Nil(t, img)
			assert.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.True(t, strings.HasPrefix(err.Error(), "imageio: "), err.Error())
		})
	}
}

// zeroSizePNG is a PNG signature and an IHDR chunk claiming 0×0.
func zeroSizePNG() []byte { return pngHeader(0, 0) }

// pngHeader returns a PNG signature and a valid IHDR chunk (8-bit RGB) for a
// w×h image, with no image data.
func pngHeader(w, h uint32) []byte {
	chunk := make([]byte, 0, 25)
	chunk = binary.BigEndian.AppendUint32(chunk, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = binary.BigEndian.AppendUint32(chunk, w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 2, 0, 0, 0)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// patchBMP sets a BMP's width and height fields (BITMAPINFOHEADER).
func patchBMP(data []byte, w, h int32) []byte {
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint32(out[18:], uint32(w))
	binary.LittleEndian.PutUint32(out[22:], uint32(h))
	return out
}

// patchJPEG sets the size in a JPEG's SOF0 segment.
func patchJPEG(t testing.TB, data []byte, w, h uint16) []byte {
	out := bytes.Clone(data)
	i := bytes.Index(out, []byte{0xff, 0xc0})
	require.Positive(t, i)
	binary.BigEndian.PutUint16(out[i+5:], h)
	binary.BigEndian.PutUint16(out[i+7:], w)
	return out
}

// patchGIF sets a GIF's logical screen size.
func patchGIF(data []byte, w, h uint16) []byte {
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint16(out[6:], w)
	binary.LittleEndian.PutUint16(out[8:], h)
	return out
}

// patchTIFF sets ImageWidth and ImageLength in the first IFD of a
// little-endian TIFF.
func patchTIFF(t testing.TB, data []byte, w, h uint32) []byte {
	out := bytes.Clone(data)
	le := binary.LittleEndian
	off := le.Uint32(out[4:])
	n := int(le.Uint16(out[off:]))
	found := 0
	for k := 0; k < n; k++ {
		e := out[int(off)+2+12*k:]
		var v uint32
		switch le.Uint16(e) {
		case 256:
			v = w
		case 257:
			v = h
		default:
			continue
		}
		found++
		if le.Uint16(e[2:]) == 3 { // SHORT
			le.PutUint16(e[8:], uint16(v))
		} else {
			le.PutUint32(e[8:], v)
		}
	}
	require.Equal(t, 2, found)
	return out
}

// patchWebPCanvas sets the canvas size of a VP8X WebP file.
func patchWebPCanvas(data []byte, w, h uint32) []byte {
	out := bytes.Clone(data)
	put24 := func(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(out[24:], w-1)
	put24(out[27:], h-1)
	return out
}

// TestDecodeRefusesHugeHeader: a header that claims a huge size is refused
// with ErrTooLarge from the header alone, without allocating the pixels.
func TestDecodeRefusesHugeHeader(t *testing.T) {
	valid := validFiles(t)
	tests := []struct {
		name, format string
		data         []byte
		msg          string
	}{
		{"png 100000x100000", "png", pngHeader(100000, 100000), "png image is 100000x100000 = 10000000000 pixels, over the limit of 50000000"},
		{"png 2^31-1 wide", "png", pngHeader(1<<31-1, 1), "png image is 2147483647x1"},
		{"jpeg 65535x65535", "jpeg", patchJPEG(t, valid["jpeg"], 65535, 65535), "jpeg image is 65535x65535"},
		{"gif 65535x65535", "gif", patchGIF(valid["gif"], 65535, 65535), "gif image is 65535x65535"},
		{"bmp 100000x100000", "bmp", patchBMP(valid["bmp"], 100000, 100000), "bmp image is 100000x100000"},
		{"tiff 60000x60000", "tiff", patchTIFF(t, valid["tiff"], 60000, 60000), "tiff image is 60000x60000"},
		{"webp 20000x20000", "webp", patchWebPCanvas(valid["lossy-alpha.webp"], 20000, 20000), "webp image is 20000x20000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			img, format, err := Decode(bytes.NewReader(tt.data), DecodeOptions{})
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrTooLarge)
			assert.Nil(t, img)
			assert.Equal(t, tt.format, format)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	data := validFiles(t)["png"] // 24×16 = 384 pixels
	tests := []struct {
		name string
		opts DecodeOptions
		want error
	}{
		{"default", DecodeOptions{}, nil},
		{"exactly the pixel limit", DecodeOptions{MaxPixels: 384}, nil},
		{"one pixel over", DecodeOptions{MaxPixels: 383}, ErrTooLarge},
		{"exactly the byte limit", DecodeOptions{MaxBytes: int64(len(data))}, nil},
		{"one byte over", DecodeOptions{MaxBytes: int64(len(data) - 1)}, ErrTooLarge},
		{"byte limit below the sniff length", DecodeOptions{MaxBytes: 8}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := Decode(bytes.NewReader(data), tt.opts)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, image.Pt(24, 16), img.Bounds().Size())
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDecodeReaderErrors(t *testing.T) {
	_, _, err := Decode(failingReader{}, DecodeOptions{})
	require.ErrorContains(t, err, "imageio: reading input: disk on fire")

	// An error after the first bytes is reported with the format.
	r := io.MultiReader(bytes.NewReader(validFiles(t)["png"][:20]), failingReader{})
	_, format, err := Decode(r, DecodeOptions{})
	require.ErrorContains(t, err, "imageio: reading png input: disk on fire")
	assert.Equal(t, "png", format)

	_, _, err = Decode(nil, DecodeOptions{})
	require.ErrorIs(t, err, ErrInvalidArgument)
}

// TestLoad: errors from Load name the file.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	good := write("good.png", validFiles(t)["png"])
	img, err := Load(good, DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, image.Pt(24, 16), img.Bounds().Size())

	// A JPEG named .png is read as what it is.
	renamed := write("really-a-jpeg.png", validFiles(t)["jpeg"])
	_, err = Load(renamed, DecodeOptions{})
	require.NoError(t, err)

	tests := []struct {
		name string
		path string
		want error
		msg  string
	}{
		{"missing", filepath.Join(dir, "missing.png"), fs.ErrNotExist, "imageio: open " + filepath.Join(dir, "missing.png") + ": no such file or directory"},
		{"text with png extension", write("notes.png", []byte("just some text\n")), ErrUnknownFormat,
			`imageio: "` + filepath.Join(dir, "notes.png") + `": unknown image format (content starts with "just som")`},
		{"empty", write("empty.jpg", nil), ErrEmpty, `imageio: "` + filepath.Join(dir, "empty.jpg") + `": empty image: input has zero bytes`},
		{"truncated", write("cut.png", validFiles(t)["png"][:60]), ErrCorrupt, `imageio: "` + filepath.Join(dir, "cut.png") + `": corrupt image (png): `},
		{"huge", write("huge.png", pngHeader(100000, 100000)), ErrTooLarge, `imageio: "` + filepath.Join(dir, "huge.png") + `": image too large: png image is 100000x100000`},
		{"directory", dir, nil, `imageio: "` + dir + `": reading input: read ` + dir + `: is a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Load(tt.path, DecodeOptions{})
			require.Error(t, err)
			assert.Nil(t, img)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// exifAPP1 builds an APP1 Exif segment whose IFD0 holds the given entries
// (tag, type, count, value), in byte order "II" or "MM".
func exifAPP1(order string, entries ...[4]uint32) []byte {
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.BigEndian
	if order == "II" {
		bo = binary.LittleEndian
	}
	t := []byte(order)
	t = bo.AppendUint16(t, 42)
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, uint16(len(entries)))
	for _, e := range entries {
		t = bo.AppendUint16(t, uint16(e[0]))
		t = bo.AppendUint16(t, uint16(e[1]))
		t = bo.AppendUint32(t, e[2])
		if e[1] == 3 {
			t = bo.AppendUint16(t, uint16(e[3]))
			t = append(t, 0, 0)
		} else {
			t = bo.AppendUint32(t, e[3])
		}
	}
	t = bo.AppendUint32(t, 0) // no next IFD
	body := append([]byte("Exif\x00\x00"), t...)
	seg := []byte{0xff, 0xe1, byte((len(body) + 2) >> 8), byte(len(body) + 2)}
	return append(seg, body...)
}

// withSegments inserts marker segments right after a JPEG's SOI.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func TestJPEGOrientation(t *testing.T) {
	jpg := validFiles(t)["jpeg"]
	const orientation, short, long = 0x0112, 3, 4
	xmp := append([]byte{0xff, 0xe1, 0, 12}, "http://ns."...)
	app0 := []byte{0xff, 0xe0, 0, 4, 'J', 'F'}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"no exif", jpg, 1},
		{"II orientation 6", withSegments(jpg, exifAPP1("II", [4]uint32{orientation, short, 1, 6})), 6},
		{"MM orientation 8", withSegments(jpg, exifAPP1("MM", [4]uint32{orientation, short, 1, 8})), 8},
		{"after other tags", withSegments(jpg, exifAPP1("II", [4]uint32{0x010f, 2, 4, 0}, [4]uint32{orientation, short, 1, 3})), 3},
		{"LONG type", withSegments(jpg, exifAPP1("MM", [4]uint32{orientation, long, 1, 5})), 5},
		{"after APP0 and XMP", withSegments(jpg, app0, xmp, exifAPP1("II", [4]uint32{orientation, short, 1, 7})), 7},
		{"fill bytes before marker", withSegments(jpg, []byte{0xff, 0xff}, exifAPP1("II", [4]uint32{orientation, short, 1, 2})), 2},
		{"value 0", withSegments(jpg, exifAPP1("II", [4]uint32{orientation, short, 1, 0})), 1},
		{"value 9", withSegments(jpg, exifAPP1("II", [4]uint32{orientation, short, 1, 9})), 1},
		{"wrong type", withSegments(jpg, exifAPP1("II", [4]uint32{orientation, 2, 1, 6})), 1},
		{"count 2", withSegments(jpg, exifAPP1("II", [4]uint32{orientation, short, 2, 6})), 1},
		{"no orientation tag", withSegments(jpg, exifAPP1("II", [4]uint32{0x010f, 2, 4, 0})), 1},
		{"bad byte order", withSegments(jpg, bytes.Replace(exifAPP1("II", [4]uint32{orientation, short, 1, 6}), []byte("II"), []byte("XX"), 1)), 1},
		{"IFD offset past the end", withSegments(jpg, func() []byte {
			s := exifAPP1("II", [4]uint32{orientation, short, 1, 6})
			binary.LittleEndian.PutUint32(s[14:], 0xfffffff0)
			return s
		}()), 1},
		{"entry count past the end", withSegments(jpg, func() []byte {
			s := exifAPP1("II", [4]uint32{0x010f, 2, 4, 0})
			binary.LittleEndian.PutUint16(s[18:], 0xffff)
			return s
		}()), 1},
		{"segment length past the end", []byte{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 'E', 'x'}, 1},
		{"segment length 0", []byte{0xff, 0xd8, 0xff, 0xe1, 0, 0, 'E', 'x'}, 1},
		{"garbage after SOI", []byte{0xff, 0xd8, 1, 2, 3, 4, 5, 6}, 1},
		{"exif after SOS is ignored", append(append([]byte{}, jpg...), exifAPP1("II", [4]uint32{orientation, short, 1, 6})...), 1},
		{"not a jpeg", []byte("hello world"), 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, jpegOrientation(tt.data))
		})
	}
}

// TestDecodeOrientationSpliced checks every orientation end to end on a
// lossless-looking gray JPEG with an Exif segment written here, in both byte
// orders, against the EXIF definition of each transform written out
// longhand.
func TestDecodeOrientationSpliced(t *testing.T) {
	stored := grayPattern() // 24×16 as stored
	jpg := encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, stored, &jpeg.Options{Quality: 100}) })
	base, _, err := Decode(bytes.NewReader(jpg), DecodeOptions{})
	require.NoError(t, err)
	baseRGBA := ToRGBA(base)
	W, H := patW, patH
	// EXIF 2.32, tag Orientation: where stored row 0 and column 0 appear.
	display := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return W - 1 - x, y },         // row 0 top, column 0 right
		3: func(x, y int) (int, int) { return W - 1 - x, H - 1 - y }, // row 0 bottom, column 0 right
		4: func(x, y int) (int, int) { return x, H - 1 - y },         // row 0 bottom, column 0 left
		5: func(x, y int) (int, int) { return y, x },                 // row 0 left, column 0 top
		6: func(x, y int) (int, int) { return y, H - 1 - x },         // row 0 right, column 0 top
		7: func(x, y int) (int, int) { return W - 1 - y, H - 1 - x }, // row 0 right, column 0 bottom
		8: func(x, y int) (int, int) { return W - 1 - y, x },         // row 0 left, column 0 bottom
	}
	for o := 1; o <= 8; o++ {
		for _, order := range []string{"II", "MM"} {
			data := withSegments(jpg, exifAPP1(order, [4]uint32{0x0112, 3, 1, uint32(o)}))
			img, format, err := Decode(bytes.NewReader(data), DecodeOptions{})
			require.NoError(t, err)
			require.Equal(t, "jpeg", format)
			got := ToRGBA(img)
			dw, dh := W, H
			if o >= 5 {
				dw, dh = H, W
			}
			require.Equal(t, image.Pt(dw, dh), got.Rect.Size(), "orientation %d", o)
			for y := 0; y < dh; y++ {
				for x := 0; x < dw; x++ {
					sx, sy := display[o](x, y)
					require.Equal(t, rgbAt(baseRGBA, sx, sy), rgbAt(got, x, y), "orientation %d %s at (%d,%d)", o, order, x, y)
				}
			}
		}
	}
}

// lastScan returns a JPEG's last scan (SOS segment and entropy-coded data,
// up to EOI), found from the end so as not to depend on jpegScans.
func lastScan(t *testing.T, jpg []byte) []byte {
	i := bytes.LastIndex(jpg, []byte{0xff, 0xda})
	require.Positive(t, i)
	return jpg[i : len(jpg)-2] // up to EOI
}

func TestJPEGScans(t *testing.T) {
	prog, err := os.ReadFile(filepath.Join("testdata", "formats", "progressive.jpg"))
	require.NoError(t, err)
	baseline := validFiles(t)["jpeg"]
	scan := lastScan(t, prog)
	many := func(k int) []byte {
		out := bytes.Clone(prog[:len(prog)-2])
		for range k {
			out = append(out, scan...)
		}
		return append(out, 0xff, 0xd9)
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"baseline", baseline, 1},
		{"progressive (Pillow)", prog, 10},
		{"progressive plus 5 repeated scans", many(5), 15},
		{"with exif and fill bytes", withSegments(baseline, []byte{0xff, 0xff}, exifAPP1("II", [4]uint32{0x0112, 3, 1, 6})), 1},
		{"truncated in a segment", baseline[:30], 0},
		{"length past the end", []byte{0xff, 0xd8, 0xff, 0xda, 0xff, 0xff}, 0},
		{"sos then nothing", []byte{0xff, 0xd8, 0xff, 0xda, 0, 2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, jpegScans(tt.data, 1000))
		})
	}
	assert.Equal(t, 4, jpegScans(many(100), 3), "stops counting past the limit")

	// Within the limit it decodes; past it, it is refused before decoding.
	_, _, err = Decode(bytes.NewReader(many(maxJPEGScans-10)), DecodeOptions{})
	require.NoError(t, err)
	_, _, err = Decode(bytes.NewReader(many(maxJPEGScans-9)), DecodeOptions{})
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "imageio: image too large: jpeg has more than 256 scans")
}
