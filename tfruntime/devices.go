package tfruntime

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/neuralstyle/neuralstyle/internal/bytesize"
	tf "github.com/wamuir/graft/tensorflow"
	configpb "github.com/wamuir/graft/tensorflow/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// ErrNoDevice is matched by the error of Lookup for a device TensorFlow does
// not see (a GPU on a machine or runtime without one, or an index past the
// last device).
var ErrNoDevice = errors.New("tfruntime: no such device")

// Device is one device TensorFlow can place operations on.
type Device struct {
	// Name is TensorFlow's full name, such as
	// "/job:localhost/replica:0/task:0/device:GPU:0".
	Name string
	// Type is "CPU" or "GPU" (or another type a plugin adds).
	Type string
	// Index is the device's number among those of its type: the 0 of GPU:0.
	Index int
	// MemoryBytes is the memory TensorFlow may allocate on the device, as
	// it reports it: for a GPU, most of its free memory at start-up; for
	// the CPU, TensorFlow's nominal figure (not the host's RAM).
	MemoryBytes int64
}

// Short is the device's name without the job, replica and task:
// "/device:GPU:0".
func (d Device) Short() string {
	return "/device:" + d.Type + ":" + strconv.Itoa(d.Index)
}

// String describes d in one line: "/device:GPU:0 (GPU, 79.1 GiB)".
func (d Device) String() string {
	if d.MemoryBytes < 0 {
		return fmt.Sprintf("%s (%s, memory unknown)", d.Short(), d.Type)
	}
	return fmt.Sprintf("%s (%s, %s)", d.Short(), d.Type, bytesize.Format(d.MemoryBytes))
}

// devices caches the list: TensorFlow creates its devices once per process.
var devices = sync.OnceValues(listDevices)

// Devices returns the devices TensorFlow sees, CPUs first, in TensorFlow's
// order. It opens (and closes) one session on an empty graph, which on the
// CUDA runtime initializes CUDA; the result is cached for the process.
//
// The session asks for GPU memory to be allocated as needed
// (allow_growth) instead of most of the GPU at once. TensorFlow keeps one
// GPU allocator per process, made with the options of the first session
// that uses the GPU, so calling Devices before any other session (as style
// does) makes every later session allocate as needed too.
func Devices() ([]Device, error) {
	list, err := devices()
	return append([]Device(nil), list...), err
}

func listDevices() ([]Device, error) {
	cfg, err := proto.Marshal(&configpb.ConfigProto{GpuOptions: &configpb.GPUOptions{AllowGrowth: true}})
	if err != nil {
		return nil, fmt.Errorf("tfruntime: session config: %w", err)
	}
	sess, err := tf.NewSession(tf.NewGraph(), &tf.SessionOptions{Config: cfg})
	if err != nil {
		return nil, fmt.Errorf("tfruntime: listing devices: %w", err)
	}
	defer sess.Close()
	raw, err := sess.ListDevices()
	if err != nil {
		return nil, fmt.Errorf("tfruntime: listing devices: %w", err)
	}
	out := make([]Device, 0, len(raw))
	for _, d := range raw {
		dev := Device{Name: d.Name, Type: d.Type, MemoryBytes: d.MemoryLimitBytes}
		if m := deviceName.FindStringSubmatch(d.Name); m != nil {
			dev.Index, _ = strconv.Atoi(m[2])
		}
		out = append(out, dev)
	}
	return out, nil
}

// deviceName matches the type and index at the end of a device name:
// "/gpu:0", "/device:GPU:0", "/job:localhost/replica:0/task:0/device:CPU:0".
var deviceName = regexp.MustCompile(`(?i)(?:^|/)(?:device:)?([a-z_]+):(\d+)$`)

// Lookup returns the device among Devices() that name refers to. name is a
// TensorFlow device name in any of its forms ("/gpu:1", "/device:GPU:1",
// "/job:localhost/replica:0/task:0/device:GPU:1"); the type is matched
// without regard to case. When no listed device matches, the error matches
// ErrNoDevice and says which devices there are and which runtime is loaded,
// with what to do about it.
func Lookup(name string) (Device, error) {
	m := deviceName.FindStringSubmatch(name)
	if m == nil {
		return Device{}, fmt.Errorf("%w: %q is not a device name such as /cpu:0 or /gpu:0", ErrNoDevice, name)
	}
	typ := strings.ToUpper(m[1])
	idx, _ := strconv.Atoi(m[2])
	list, err := devices()
	if err != nil {
		return Device{}, err
	}
	n := 0
	for _, d := range list {
		if d.Type == typ {
			if d.Index == idx {
				return d, nil
			}
			n++
		}
	}
	var seen []string
	for _, d := range list {
		seen = append(seen, d.Short())
	}
	what := fmt.Sprintf("no %s is visible to TensorFlow", typ)
	if n > 0 {
		what = fmt.Sprintf("TensorFlow sees %d %s device(s), so %s:%d is not one of them", n, typ, typ, idx)
	}
	hint := ""
	if typ == "GPU" && n == 0 {
		hint = "; " + gpuHint()
	}
	return Device{}, fmt.Errorf("%w: %s (it sees %s)%s", ErrNoDevice, what, strings.Join(seen, ", "), hint)
}

// gpuHint says why no GPU is visible, from the loaded runtime's variant.
func gpuHint() string {
	v, err := LoadedVariant()
	switch {
	case err != nil:
		return fmt.Sprintf("could not tell which runtime is loaded: %v", err)
	case v == CUDA:
		return "the loaded runtime (TensorFlow " + tf.Version() + ") is the CUDA build, so the GPU or its driver is missing: " +
			"check that nvidia-smi lists the GPU and that libcuda.so.1 is installed, and run with TF_CPP_MIN_LOG_LEVEL=0 (stylize -v) to see TensorFlow's reason"
	}
	return "the loaded runtime (TensorFlow " + tf.Version() + ") is the CPU-only build: install the CUDA one and rebuild with " +
		`TF_VARIANT=cuda (make test, make demo; or eval "$(TF_VARIANT=cuda scripts/libtensorflow.sh env)" before go build), see docs/gpu.md`
}

// Default is where TensorFlow places operations when no device is asked
// for: the first GPU when one is visible, else the first CPU.
func Default() (Device, error) {
	list, err := devices()
	if err != nil {
		return Device{}, err
	}
	for _, d := range list {
		if d.Type == "GPU" {
			return d, nil
		}
	}
	for _, d := range list {
		if d.Type == "CPU" {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("%w: TensorFlow lists no CPU or GPU", ErrNoDevice)
}
