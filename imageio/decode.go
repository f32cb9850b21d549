package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the pixel limit used when DecodeOptions.MaxPixels is
// zero: 50 million pixels (about 7071×7071), which decodes to at most 200 MB
// of 8-bit RGBA.
const DefaultMaxPixels = 50_000_000

// DefaultMaxBytes is the input size limit used when DecodeOptions.MaxBytes is
// zero: 256 MiB.
const DefaultMaxBytes = 256 << 20

// DecodeOptions limits and adjusts decoding. The zero value is ready to use.
type DecodeOptions struct {
	// MaxPixels is the largest width×height accepted. The size is read from
	// the image header and checked before any pixel is decoded; a larger image
	// fails with ErrTooLarge. Zero or negative means DefaultMaxPixels.
	MaxPixels int

	// MaxBytes is the largest input accepted, in bytes; a longer input fails
	// with ErrTooLarge. Zero or negative means DefaultMaxBytes.
	MaxBytes int64

	// IgnoreOrientation keeps a JPEG's pixels as stored. By default the EXIF
	// orientation tag (APP1 "Exif", tag 0x0112) of a JPEG is applied, so the
	// image comes out the way viewers display it. Other formats are never
	// reoriented.
	IgnoreOrientation bool
}

func (o DecodeOptions) maxPixels() int64 {
	if o.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return int64(o.MaxPixels)
}

func (o DecodeOptions) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// codec is one decodable format, recognised by its leading bytes.
type codec struct {
	name   string
	match  func(head []byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// sniffLen is how many leading bytes identify every supported format.
const sniffLen = 16

// codecs lists the decodable formats. The table is private, so what other
// packages register with image.RegisterFormat changes nothing here.
var codecs = []codec{
	{"png", prefix("\x89PNG\r\n\x1a\n"), png.DecodeConfig, png.Decode},
	{"jpeg", prefix("\xff\xd8"), jpeg.DecodeConfig, jpeg.Decode},
	{"gif", func(h []byte) bool { return prefix("GIF87a")(h) || prefix("GIF89a")(h) }, gif.DecodeConfig, gif.Decode},
	{"bmp", prefix("BM"), bmp.DecodeConfig, bmp.Decode},
	{"tiff", func(h []byte) bool { return prefix("II*\x00")(h) || prefix("MM\x00*")(h) }, tiff.DecodeConfig, tiff.Decode},
	{"webp", func(h []byte) bool {
		return len(h) >= 15 && string(h[:4]) == "RIFF" && string(h[8:15]) == "WEBPVP8"
	}, webp.DecodeConfig, webp.Decode},
}

func prefix(p string) func([]byte) bool {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

func sniff(head []byte) *codec {
	for i := range codecs {
		if codecs[i].match(head) {
			return &codecs[i]
		}
	}
	return nil
}

// Decode reads one image from r and reports its format: "png", "jpeg",
// "gif", "bmp", "tiff" or "webp". The format is recognised by the content's
// leading bytes, never by a file name.
//
// Untrusted input is handled in this order: at most opts.MaxBytes are read;
// the header is parsed and an image wider×higher than opts.MaxPixels is
// refused with ErrTooLarge, and one with a zero side with ErrEmpty, before
// any pixel buffer is allocated; a JPEG with more than 256 scans (each one a
// pass over the whole image; encoders write about 10) is refused with
// ErrTooLarge too; only then is the image decoded. Malformed or
// truncated content fails with ErrCorrupt (wrapping the decoder's error); a
// decoder panic is recovered and reported the same way.
//
// The image is returned in the decoder's own type (*image.YCbCr,
// *image.NRGBA64, *image.Paletted, ...); use ToRGBA for 8-bit RGB. A JPEG
// with an EXIF orientation other than 1 is returned rotated/mirrored into
// display orientation as an *image.RGBA (unless opts.IgnoreOrientation). For
// an animated GIF, the first frame is returned. A lossy WebP is returned as
// *image.RGBA (or *image.NRGBA with alpha), converted with the limited-range
// matrix of the VP8 format, which golang.org/x/image/webp leaves undone
// (golang/go#40173).
//
// Decode is safe for concurrent use.
func Decode(r io.Reader, opts DecodeOptions) (image.Image, string, error) {
	img, format, err := decode(r, opts)
	if err != nil {
		return nil, format, fmt.Errorf("imageio: %w", err)
	}
	return img, format, nil
}

// Load decodes the image file at path with Decode's rules. Errors name the
// path, for example
//
//	imageio: "photo.png": corrupt image (png): unexpected EOF
func Load(path string, opts DecodeOptions) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imageio: %w", err) // *fs.PathError names the path
	}
	defer f.Close()
	img, _, err := decode(f, opts)
	if err != nil {
		return nil, fmt.Errorf("imageio: %q: %w", path, err)
	}
	return img, nil
}

// decode does Decode's work and returns errors without the package prefix.
func decode(r io.Reader, opts DecodeOptions) (image.Image, string, error) {
	if r == nil {
		return nil, "", fmt.Errorf("%w: nil reader", ErrInvalidArgument)
	}
	maxBytes := opts.maxBytes()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("reading input: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return nil, "", fmt.Errorf("%w: input has zero bytes", ErrEmpty)
	}
	c := sniff(head)
	if c == nil {
		return nil, "", fmt.Errorf("%w (content starts with %q)", ErrUnknownFormat, head[:min(n, 8)])
	}
	var buf bytes.Buffer
	buf.Write(head)
	if int64(n) == sniffLen {
		if _, err := buf.ReadFrom(io.LimitReader(r, maxBytes-sniffLen+1)); err != nil {
			return nil, c.name, fmt.Errorf("reading %s input: %w", c.name, err)
		}
	}
	if int64(buf.Len()) > maxBytes {
		return nil, c.name, fmt.Errorf("%w: %s input longer than the limit of %d bytes", ErrTooLarge, c.name, maxBytes)
	}
	data := buf.Bytes()

	if c.name == "png" && len(data) >= 24 && string(data[12:16]) == "IHDR" {
		// The PNG decoder rejects a zero side as malformed; report it as
		// empty, like the other formats whose decoders accept it.
		w, h := binary.BigEndian.Uint32(data[16:]), binary.BigEndian.Uint32(data[20:])
		if w == 0 || h == 0 {
			return nil, c.name, fmt.Errorf("%w: png image is %dx%d", ErrEmpty, w, h)
		}
	}
	cfg, err := guard(c.name, func() (image.Config, error) { return c.config(bytes.NewReader(data)) })
	if err != nil {
		return nil, c.name, fmt.Errorf("%w (%s): %w", ErrCorrupt, c.name, err)
	}
	if err := checkSize(c.name, cfg.Width, cfg.Height, opts.maxPixels()); err != nil {
		return nil, c.name, err
	}
	if c.name == "jpeg" {
		if n := jpegScans(data, maxJPEGScans); n > maxJPEGScans {
			return nil, c.name, fmt.Errorf("%w: jpeg has more than %d scans", ErrTooLarge, maxJPEGScans)
		}
	}
	img, err := guard(c.name, func() (image.Image, error) { return c.decode(bytes.NewReader(data)) })
	if err != nil {
		return nil, c.name, fmt.Errorf("%w (%s): %w", ErrCorrupt, c.name, err)
	}
	if img == nil {
		return nil, c.name, fmt.Errorf("%w (%s): decoder returned no image", ErrCorrupt, c.name)
	}
	b := img.Bounds()
	if err := checkSize(c.name, b.Dx(), b.Dy(), opts.maxPixels()); err != nil {
		return nil, c.name, err // the decoded image disagrees with its header
	}
	if c.name == "webp" {
		img = fixVP8Range(img)
	}
	if c.name == "jpeg" && !opts.IgnoreOrientation {
		if o := jpegOrientation(data); o > 1 {
			img = orient(img, o)
		}
	}
	return img, c.name, nil
}

// checkSize refuses zero-area and over-limit sizes.
func checkSize(format string, w, h int, maxPixels int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: %s image is %dx%d", ErrEmpty, format, w, h)
	}
	if int64(w) > maxPixels || int64(h) > maxPixels || int64(w)*int64(h) > maxPixels {
		return fmt.Errorf("%w: %s image is %dx%d = %d pixels, over the limit of %d",
			ErrTooLarge, format, w, h, int64(w)*int64(h), maxPixels)
	}
	return nil
}

// guard runs a third-party decoder and turns a panic into an error, so that
// no input can crash the caller.
func guard[T any](format string, f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("%s decoder panicked: %v", format, p)
		}
	}()
	return f()
}
