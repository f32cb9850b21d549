package imageio

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DefaultJPEGQuality is the JPEG quality used when EncodeOptions.JPEGQuality
// is zero.
const DefaultJPEGQuality = 95

// EncodeOptions adjusts encoding. The zero value is ready to use.
type EncodeOptions struct {
	// JPEGQuality is the JPEG quality, 1 (smallest) to 100 (best). Zero
	// means DefaultJPEGQuality (95); other values outside 1..100 are an
	// error. PNG ignores it.
	JPEGQuality int
}

// Encode writes img to w as format: "png" or "jpeg" ("jpg" is accepted;
// case-insensitive). Any other format fails with ErrUnknownFormat.
//
// PNG keeps the image as it is (alpha and 16-bit depth included). JPEG has no
// alpha: the image is flattened first (ToRGBA: alpha over white) and written
// as 8-bit YCbCr at opts.JPEGQuality. An empty image fails with ErrEmpty and
// a quality outside 1..100 with ErrInvalidArgument, before anything is
// written. Encode is safe for concurrent use with distinct writers.
func Encode(w io.Writer, img image.Image, format string, opts EncodeOptions) error {
	f, err := encodeFormat(format)
	if err == nil {
		err = checkEncode(img, opts)
	}
	if err == nil {
		err = encode(w, img, f, opts)
	}
	if err != nil {
		return fmt.Errorf("imageio: encode: %w", err)
	}
	return nil
}

// FormatForPath returns the format Save uses for path, from its extension
// (case-insensitive): ".png" gives "png", ".jpg" and ".jpeg" give "jpeg".
// Any other extension fails with ErrUnknownFormat.
func FormatForPath(path string) (string, error) {
	f, err := formatForPath(path)
	if err != nil {
		return "", fmt.Errorf("imageio: %q: %w", path, err)
	}
	return f, nil
}

func formatForPath(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".png":
		return "png", nil
	case ".jpg", ".jpeg":
		return "jpeg", nil
	}
	return "", fmt.Errorf("%w: extension %q (want .png, .jpg or .jpeg)", ErrUnknownFormat, ext)
}

// Save encodes img into the file at path, choosing the format from the
// extension (see FormatForPath and Encode).
//
// The file is written atomically: the image is encoded into a temporary file
// in the same directory, which is flushed to disk (fsync), closed and then
// renamed over path; the directory is synced afterwards where the platform
// allows. On any failure the temporary file is removed and an existing file
// at path is left untouched, so readers see either the old file or the
// complete new one. A new file gets permissions 0644; a replaced file keeps
// its permissions. Errors name the path. Save is safe for concurrent use,
// even on one path: each rename replaces the file whole and the last wins.
func Save(path string, img image.Image, opts EncodeOptions) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("imageio: save %q: %w", path, err)
		}
	}()
	format, err := formatForPath(path)
	if err != nil {
		return err
	}
	if err := checkEncode(img, opts); err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: not a regular file", ErrInvalidArgument)
		}
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if testWrapWriter != nil {
		w = testWrapWriter(w)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := encode(bw, img, format, opts); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// testWrapWriter, when set by a test, wraps the temporary file's writer in
// Save so that write failures part-way through can be injected. It is nil
// outside tests.
var testWrapWriter func(io.Writer) io.Writer

// syncDir makes a rename durable where the platform supports syncing a
// directory; failures are ignored because the file itself is complete.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func encodeFormat(format string) (string, error) {
	switch strings.ToLower(format) {
	case "png":
		return "png", nil
	case "jpeg", "jpg":
		return "jpeg", nil
	}
	return "", fmt.Errorf("%w: %q (want png or jpeg)", ErrUnknownFormat, format)
}

// checkEncode validates what can be validated before writing anything.
func checkEncode(img image.Image, opts EncodeOptions) error {
	if img == nil {
		return fmt.Errorf("%w: nil image", ErrInvalidArgument)
	}
	if b := img.Bounds(); b.Empty() {
		return fmt.Errorf("%w: %dx%d", ErrEmpty, b.Dx(), b.Dy())
	}
	if q := opts.JPEGQuality; q < 0 || q > 100 {
		return fmt.Errorf("%w: JPEG quality %d (want 1..100, or 0 for %d)", ErrInvalidArgument, q, DefaultJPEGQuality)
	}
	return nil
}

func encode(w io.Writer, img image.Image, format string, opts EncodeOptions) error {
	switch format {
	case "png":
		return png.Encode(w, img)
	case "jpeg":
		q := opts.JPEGQuality
		if q == 0 {
			q = DefaultJPEGQuality
		}
		if b := img.Bounds(); b.Dx() >= 1<<16 || b.Dy() >= 1<<16 {
			// jpeg.Encode would say so too, but only after ToRGBA's copy.
			return errors.New("jpeg: image is too large to encode (65535 pixels per side at most)")
		}
		return jpeg.Encode(w, ToRGBA(img), &jpeg.Options{Quality: q})
	}
	return fmt.Errorf("%w: %q", ErrUnknownFormat, format)
}
