package style

import (
	"errors"
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
)

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
