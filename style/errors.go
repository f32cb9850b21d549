package style

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalidOption is matched by every error about an option's value or
	// about options that contradict each other (for example more blend
	// weights than style images). The message names the option and the value.
	ErrInvalidOption = errors.New("style: invalid option")

	// ErrInvalidImage is matched by errors about the content, style or mask
	// images (nil, empty, or smaller than the network can take).
	ErrInvalidImage = errors.New("style: invalid image")

	// ErrClosed is returned by a Transferer used after Close.
	ErrClosed = errors.New("style: transferer is closed")

	// ErrXLAToolchain is matched by the error of a run with WithXLA(true)
	// on a GPU when XLA cannot compile for it: it needs CUDA's ptxas and
	// libdevice, which the CUDA build's install does not include
	// (docs/gpu.md). The message says where XLA looks and what to do.
	ErrXLAToolchain = errors.New("style: WithXLA(true): XLA cannot compile for the GPU")
)

// xlaToolchain returns err, or, when err is XLA's failure to find CUDA's
// PTX toolchain (ptxas, nvlink or libdevice) in a run with WithXLA(true),
// an error matching ErrXLAToolchain that names the device and says what to
// do, with TensorFlow's first line for reference.
func xlaToolchain(err error, xla bool, device string) error {
	if err == nil || !xla {
		return err
	}
	msg := err.Error()
	if !containsAny(msg, "ptxas", "No PTX compilation provider", "libdevice", "nvlink") {
		return err
	}
	first, _, _ := strings.Cut(msg, "\n")
	return fmt.Errorf("%w on %s: it needs CUDA's ptxas and libdevice (the CUDA toolkit, or PyPI's nvidia-cuda-nvcc-cu12), "+
		"found on PATH or through XLA_FLAGS=--xla_gpu_cuda_data_dir=DIR; or run without WithXLA / -xla (docs/gpu.md). "+
		"TensorFlow said: %s", ErrXLAToolchain, device, first)
}

// Limits on image sizes. The network halves the image five times (pool1 …
// pool5), so a side shorter than 16 pixels leaves nothing for the deepest
// layers. The largest side is limited by memory (WithMemoryLimit), which
// is checked before any large allocation; maxSide only keeps pixel counts
// within int64 arithmetic with room to spare.
const (
	minSide = 16
	maxSide = 1 << 17
)

// validDevice accepts TensorFlow device names such as "/cpu:0", "/gpu:1",
// "/device:GPU:0" or "/job:localhost/replica:0/task:0/device:CPU:0".
func validDevice(d string) bool {
	if !strings.HasPrefix(d, "/") || strings.ContainsAny(d, " \t\n") {
		return false
	}
	l := strings.ToLower(d)
	return strings.Contains(l, "cpu:") || strings.Contains(l, "gpu:") || strings.Contains(l, "tpu:")
}
