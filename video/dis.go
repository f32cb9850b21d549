package video

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "dis.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// DISPreset selects the speed and accuracy of DIS flow, OpenCV's
// cv::DISOpticalFlow presets.
type DISPreset int

const (
	// DISUltrafast is PRESET_ULTRAFAST.
	DISUltrafast DISPreset = 0
	// DISFast is PRESET_FAST: faster than DISMedium, less accurate
	// (times in docs/video.md).
	DISFast DISPreset = 1
	// DISMedium is PRESET_MEDIUM, the default.
	DISMedium DISPreset = 2
)

// DIS is the Dense Inverse Search flow of Kroeger et al. (ECCV 2016),
// OpenCV's cv::DISOpticalFlow, reached through a small C++ shim because
// gocv does not wrap it. The zero value uses DISUltrafast; use
// DIS{Preset: DISMedium} (what the command's "-flow dis" means) for video.
type DIS struct {
	Preset DISPreset
}

// Flow implements FlowMethod.
func (d DIS) Flow(a, b *Gray, _ int, _ bool) (*Flow, error) {
	if err := sameSize(a, b); err != nil {
		return nil, err
	}
	if a.W <= 0 || a.H <= 0 || len(a.Pix) != a.W*a.H || len(b.Pix) != b.W*b.H {
		return nil, fmt.Errorf("video: DIS flow: grey images of %d×%d with %d and %d pixels", a.W, a.H, len(a.Pix), len(b.Pix))
	}
	if d.Preset < DISUltrafast || d.Preset > DISMedium {
		return nil, fmt.Errorf("video: DIS preset %d, want 0, 1 or 2", d.Preset)
	}
	out := NewFlow(a.W, a.H)
	var msg [256]C.char
	rc := C.neuralstyle_dis_flow((*C.uchar)(unsafe.Pointer(&a.Pix[0])), (*C.uchar)(unsafe.Pointer(&b.Pix[0])),
		C.int(a.H), C.int(a.W), C.int(d.Preset), (*C.float)(unsafe.Pointer(&out.UV[0])), &msg[0], C.int(len(msg)))
	if rc != 0 {
		return nil, fmt.Errorf("video: DIS flow: %s", C.GoString(&msg[0]))
	}
	return out, nil
}

// String returns "dis".
func (DIS) String() string { return "dis" }
