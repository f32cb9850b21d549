package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. It must never panic or hang;
// it either returns a non-empty image within the pixel limit, which then
// survives ToRGBA and a tensor round trip, or an error that wraps one of the
// package's sentinels. A decoder panic, which Decode recovers from, counts
// as a failure here so that it gets looked at.
//
//	go test ./imageio -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	for _, data := range validFiles(f) {
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "formats"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "formats", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte("GIF89a"))
	f.Add(pngHeader(100000, 100000))
	f.Add(zeroSizePNG())
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"))

	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		// PNG checksums every chunk, so random mutations rarely get past
		// the first CRC; decode a copy with the CRCs recomputed as well.
		if fixed, ok := fixPNGCRCs(data); ok {
			checkDecode(t, fixed)
		}
	})
}

// fixPNGCRCs returns a copy of a PNG stream with every complete chunk's CRC
// recomputed, and whether data looked like a PNG.
func fixPNGCRCs(data []byte) ([]byte, bool) {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, false
	}
	out := bytes.Clone(data)
	for i := 8; i+12 <= len(out); {
		n := int(binary.BigEndian.Uint32(out[i:]))
		if n < 0 || n > len(out)-i-12 {
			break
		}
		binary.BigEndian.PutUint32(out[i+8+n:], crc32.ChecksumIEEE(out[i+4:i+8+n]))
		i += 12 + n
	}
	return out, true
}

// checkDecode asserts FuzzDecode's properties for one input.
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	const maxPixels = 1 << 16
	img, format, err := Decode(bytes.NewReader(data), DecodeOptions{MaxPixels: maxPixels})
	if err != nil {
		if img != nil {
			t.Fatalf("image and error both returned: %v", err)
		}
		if strings.Contains(err.Error(), "panicked") {
			t.Fatalf("decoder panic (recovered): %v", err)
		}
		known := false
		for _, s := range []error{ErrEmpty, ErrUnknownFormat, ErrCorrupt, ErrTooLarge} {
			known = known || errors.Is(err, s)
		}
		if !known {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		return
	}
	b := img.Bounds()
	if b.Empty() || b.Dx()*b.Dy() > maxPixels {
		t.Fatalf("%s image with bounds %v returned", format, b)
	}
	flat := ToRGBA(img)
	data32, h, w := ToTensor(img, VGGMean)
	back, err := FromTensor(data32, h, w, VGGMean)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(flat.Pix, back.Pix) {
		t.Fatal("tensor round trip changed the image")
	}
}
