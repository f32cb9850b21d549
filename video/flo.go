package video

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"unsafe"
)

// floMagic is the tag that starts a Middlebury .flo file: the float32
// 202021.25, whose little-endian bytes spell "PIEH".
const floMagic = 202021.25

// maxFloPixels bounds the size a .flo header may claim (a 16k × 16k
// frame), so that a corrupt header cannot ask for gigabytes.
const maxFloPixels = 1 << 28

// ErrFlo matches the errors of a malformed .flo file.
var ErrFlo = errors.New("video: not a valid .flo file")

// DecodeFlo reads a flow in the Middlebury .flo format (Baker et al.,
// "A Database and Evaluation Methodology for Optical Flow"): the float32
// 202021.25, the width and height as int32, then u, v float32 pairs row by
// row, all little-endian. DeepFlow, RAFT's tools and neural-style-tf use it.
func DecodeFlo(r io.Reader) (*Flow, error) {
	var hdr struct {
		Magic float32
		W, H  int32
	}
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFlo, err)
	}
	if hdr.Magic != floMagic {
		return nil, fmt.Errorf("%w: tag %g, want %g (\"PIEH\")", ErrFlo, hdr.Magic, floMagic)
	}
	if hdr.W <= 0 || hdr.H <= 0 || int64(hdr.W)*int64(hdr.H) > maxFloPixels {
		return nil, fmt.Errorf("%w: size %d×%d", ErrFlo, hdr.W, hdr.H)
	}
	f := NewFlow(int(hdr.W), int(hdr.H))
	if err := binary.Read(r, binary.LittleEndian, f.UV); err != nil {
		return nil, fmt.Errorf("%w: %d×%d flow values: %v", ErrFlo, hdr.W, hdr.H, err)
	}
	for _, v := range f.UV {
		// Middlebury marks unknown flow with values above 1e9.
		if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 1e9 {
			return nil, fmt.Errorf("%w: unknown or non-finite flow values", ErrFlo)
		}
	}
	return f, nil
}

// ReadFlo reads a .flo file (see DecodeFlo); errors name the file.
func ReadFlo(path string) (*Flow, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	defer fh.Close()
	f, err := DecodeFlo(bufio.NewReader(fh))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// EncodeFlo writes f in the .flo format.
func EncodeFlo(w io.Writer, f *Flow) error {
	if f.W <= 0 || f.H <= 0 || len(f.UV) != 2*f.W*f.H {
		return fmt.Errorf("video: flow of %d×%d with %d values", f.W, f.H, len(f.UV))
	}
	hdr := struct {
		Magic float32
		W, H  int32
	}{floMagic, int32(f.W), int32(f.H)}
	if err := binary.Write(w, binary.LittleEndian, hdr); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, f.UV)
}

// WriteFlo writes f to path as a .flo file, atomically (a temporary file in
// the same folder, renamed).
func WriteFlo(path string, f *Flow) error {
	return writeAtomic(path, func(w io.Writer) error { return EncodeFlo(w, f) })
}

// writeAtomic writes path through a temporary file in its folder that is
// renamed over it once write has succeeded and the file is closed.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return fmt.Errorf("video: writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("video: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("video: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("video: %w", err)
	}
	return nil
}

// FlowFiles reads precomputed flow from a folder of .flo files named as
// neural-style-tf names them: forward_<i−1>_<i>.flo (frame i−1 to frame i)
// and backward_<i>_<i−1>.flo (frame i to frame i−1), with frames numbered
// from 1. A file whose size differs from the frames' original size is an
// error naming it; one at the original size is resized to the working size
// (Flow.Resize).
type FlowFiles struct {
	// Dir is the folder of the .flo files.
	Dir string
	// W and H are the size of the original frames, which the files must
	// have. Zero means: the size of the frames given to Flow.
	W, H int
}

// Path returns the file FlowFiles reads for the flow into (or, backward,
// out of) frame index.
func (d FlowFiles) Path(index int, backward bool) string {
	if backward {
		return filepath.Join(d.Dir, fmt.Sprintf("backward_%d_%d.flo", index, index-1))
	}
	return filepath.Join(d.Dir, fmt.Sprintf("forward_%d_%d.flo", index-1, index))
}

// Flow implements FlowMethod: it reads the file for frame index and
// direction; the images only give the working size.
func (d FlowFiles) Flow(a, b *Gray, index int, backward bool) (*Flow, error) {
	if err := sameSize(a, b); err != nil {
		return nil, err
	}
	path := d.Path(index, backward)
	f, err := ReadFlo(path)
	if err != nil {
		return nil, err
	}
	w, h := d.W, d.H
	if w == 0 || h == 0 {
		w, h = a.W, a.H
	}
	if f.W != w || f.H != h {
		return nil, fmt.Errorf("%s: flow of %d×%d, the frames are %d×%d", path, f.W, f.H, w, h)
	}
	return f.Resize(a.W, a.H)
}

// String returns the folder.
func (d FlowFiles) String() string { return d.Dir }

// float32Bytes views f as bytes (for OpenCV Mats, which copy them).
func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}
