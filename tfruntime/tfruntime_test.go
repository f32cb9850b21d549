package tfruntime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every TensorFlow has a CPU device, whatever the variant.
func TestDevicesHaveTheCPU(t *testing.T) {
	list, err := Devices()
	require.NoError(t, err)
	require.NotEmpty(t, list)
	cpu := list[0]
	assert.Equal(t, "CPU", cpu.Type)
	assert.Equal(t, 0, cpu.Index)
	assert.True(t, strings.HasSuffix(cpu.Name, "/device:CPU:0"), cpu.Name)
	assert.Equal(t, "/device:CPU:0", cpu.Short())
	assert.Positive(t, cpu.MemoryBytes)
	for _, d := range list {
		t.Logf("%s  %s", d, d.Name)
	}
	list[0].Name = "changed"
	again, err := Devices()
	require.NoError(t, err)
	assert.NotEqual(t, "changed", again[0].Name, "Devices returns a copy")
}

func TestLookup(t *testing.T) {
	list, err := Devices()
	require.NoError(t, err)
	gpus := 0
	for _, d := range list {
		if d.Type == "GPU" {
			gpus++
		}
	}
	for _, name := range []string{"/cpu:0", "/CPU:0", "/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:0"} {
		d, err := Lookup(name)
		require.NoError(t, err, name)
		assert.Equal(t, list[0], d, name)
	}
	missing := fmt.Sprintf("/gpu:%d", gpus)
	_, err = Lookup(missing)
	require.ErrorIs(t, err, ErrNoDevice)
	assert.ErrorContains(t, err, "/device:CPU:0")
	v, verr := LoadedVariant()
	require.NoError(t, verr)
	switch {
	case gpus > 0:
		assert.ErrorContains(t, err, fmt.Sprintf("GPU:%d is not one of them", gpus))
	case v == CPUOnly:
		assert.ErrorContains(t, err, "no GPU is visible to TensorFlow")
		assert.ErrorContains(t, err, "CPU-only build")
		assert.ErrorContains(t, err, "TF_VARIANT=cuda", "says how to switch")
	default:
		assert.ErrorContains(t, err, "no GPU is visible to TensorFlow")
		assert.ErrorContains(t, err, "CUDA build")
		assert.ErrorContains(t, err, "libcuda.so.1")
	}
	_, err = Lookup("/cpu:1")
	assert.ErrorIs(t, err, ErrNoDevice)
	_, err = Lookup("gpu")
	assert.ErrorIs(t, err, ErrNoDevice)
}

// The variant read from the kernel registry agrees with the one the
// install script recorded (make test runs with LIBTENSORFLOW_DIR set to the
// script's cache folder, which holds a VARIANT file).
func TestLoadedVariantMatchesTheInstall(t *testing.T) {
	v, err := LoadedVariant()
	require.NoError(t, err)
	dir := os.Getenv("LIBTENSORFLOW_DIR")
	require.NotEmpty(t, dir, "run through make test, or eval \"$(scripts/libtensorflow.sh env)\" first")
	recorded, err := os.ReadFile(filepath.Join(dir, "VARIANT"))
	if os.IsNotExist(err) {
		t.Logf("%s is a libtensorflow of the user's own (no VARIANT file); loaded variant: %v", dir, v)
		return
	}
	require.NoError(t, err)
	want := map[string]Variant{"cpu": CPUOnly, "cuda": CUDA}[strings.TrimSpace(string(recorded))]
	assert.Equal(t, want, v, "%s/VARIANT says %q", dir, recorded)
}

func TestDefaultPrefersAGPU(t *testing.T) {
	list, err := Devices()
	require.NoError(t, err)
	d, err := Default()
	require.NoError(t, err)
	want := list[0]
	for _, x := range list {
		if x.Type == "GPU" {
			want = x
			break
		}
	}
	assert.Equal(t, want, d)
}

func TestDescribe(t *testing.T) {
	s := Describe()
	assert.Contains(t, s, "TensorFlow 2.")
	assert.Contains(t, s, " build; devices: /device:CPU:0 (CPU, ")
}

func TestDeviceString(t *testing.T) {
	cases := []struct {
		d    Device
		want string
	}{
		{Device{Type: "GPU", Index: 1, MemoryBytes: 80 << 30}, "/device:GPU:1 (GPU, 80.0 GiB)"},
		{Device{Type: "CPU", MemoryBytes: 256 << 20}, "/device:CPU:0 (CPU, 256 MiB)"},
		{Device{Type: "CPU", MemoryBytes: 1000}, "/device:CPU:0 (CPU, 1000 bytes)"},
		{Device{Type: "CPU", MemoryBytes: -1}, "/device:CPU:0 (CPU, memory unknown)"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.d.String())
	}
}
