package tfruntime

/*
#cgo LDFLAGS: -ltensorflow
#include <stdlib.h>
#include "tensorflow/c/c_api.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	tf "github.com/wamuir/graft/tensorflow"
	kernelpb "github.com/wamuir/graft/tensorflow/core/framework/kernel_def_go_proto"
	"google.golang.org/protobuf/proto"
)

// Variant is the kind of TensorFlow build the process has loaded.
type Variant int

const (
	// CPUOnly is a build without GPU kernels, such as the tensorflow-cpu
	// wheel that scripts/libtensorflow.sh installs by default.
	CPUOnly Variant = iota
	// CUDA is a build with CUDA kernels, such as the tensorflow wheel that
	// TF_VARIANT=cuda installs. It runs on the CPU when no GPU is visible.
	CUDA
)

// String returns "CPU-only" or "CUDA".
func (v Variant) String() string {
	if v == CUDA {
		return "CUDA"
	}
	return "CPU-only"
}

var variant = sync.OnceValues(loadedVariant)

// LoadedVariant tells the CPU-only build from the CUDA one by asking
// TensorFlow's kernel registry whether Conv2D has a GPU kernel; a CUDA build
// registers its GPU kernels whether or not a GPU is present. The answer is
// cached for the process.
func LoadedVariant() (Variant, error) { return variant() }

func loadedVariant() (Variant, error) {
	name := C.CString("Conv2D")
	defer C.free(unsafe.Pointer(name))
	status := C.TF_NewStatus()
	defer C.TF_DeleteStatus(status)
	buf := C.TF_GetRegisteredKernelsForOp(name, status)
	if C.TF_GetCode(status) != C.TF_OK {
		return CPUOnly, fmt.Errorf("tfruntime: reading the kernel registry: %s", C.GoString(C.TF_Message(status)))
	}
	defer C.TF_DeleteBuffer(buf)
	var list kernelpb.KernelList
	if err := proto.Unmarshal(C.GoBytes(buf.data, C.int(buf.length)), &list); err != nil {
		return CPUOnly, fmt.Errorf("tfruntime: reading the kernel registry: %w", err)
	}
	for _, k := range list.GetKernel() {
		if k.GetDeviceType() == "GPU" {
			return CUDA, nil
		}
	}
	return CPUOnly, nil
}

// Describe is one line about the loaded runtime and the devices it sees,
// for a program to print: "TensorFlow 2.18.0, CPU-only build; devices:
// /device:CPU:0 (CPU, 256 MiB)".
func Describe() string {
	s := "TensorFlow " + tf.Version()
	if v, err := LoadedVariant(); err == nil {
		s += ", " + v.String() + " build"
	}
	list, err := Devices()
	if err != nil {
		return s + "; devices: " + err.Error()
	}
	s += "; devices:"
	for i, d := range list {
		if i > 0 {
			s += ","
		}
		s += " " + d.String()
	}
	return s
}
