package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/video"
)

const fixtureWeights = "../../vgg/testdata/vgg19_new.mat"

// frame is frame i of a small clip: a pattern sliding right by 2 pixels.
func frame(i, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u := float64(x - 2*i)
			img.SetRGBA(x, y, color.RGBA{uint8(128 + 90*math.Sin(u/5)), uint8(128 + 80*math.Cos(float64(y)/4+u/9)), 90, 255})
		}
	}
	return img
}

// writeFrames writes n frames of w×h as PNGs into a new folder.
func writeFrames(t *testing.T, n, w, h int) string {
	t.Helper()
	dir := t.TempDir()
	for i := 1; i <= n; i++ {
		require.NoError(t, imageio.Save(filepath.Join(dir, video.FrameName(i)), frame(i, w, h), imageio.EncodeOptions{}))
	}
	return dir
}

func styleFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "style.png")
	img := image.NewRGBA(image.Rect(0, 0, 24, 24))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	require.NoError(t, imageio.Save(path, img, imageio.EncodeOptions{}))
	return path
}

func runCmd(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// Ctrl-C after frame 2 leaves frames 1–2; -resume stylizes 3–4 and writes
// the MP4, which OpenCV reads back.
func TestCancelAndResume(t *testing.T) {
	in := writeFrames(t, 4, 48, 32)
	out := filepath.Join(t.TempDir(), "out")
	mp4 := filepath.Join(t.TempDir(), "clip.mp4")
	args := []string{"-in", in, "-out", out, "-style", styleFile(t), "-weights", fixtureWeights, "-max-size", "40",
		"-iterations", "5", "-first-frame-iterations", "10", "-threads", "2,1", "-video-out", mp4}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testHookFrame = func(f *video.Frame) {
		if f.Index == 2 {
			cancel()
		}
	}
	defer func() { testHookFrame = nil }()
	code, stdout, stderr := runCmd(ctx, args...)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
	assert.Contains(t, stderr, "stopped during frame 3; 2 frames are in "+out+", rerun with -resume")
	assert.Contains(t, stdout, "frame 2/4")
	for i, want := range []bool{true, true, false, false} {
		_, err := os.Stat(filepath.Join(out, video.FrameName(i+1)))
		assert.Equal(t, want, err == nil, "frame %d", i+1)
	}
	_, err := os.Stat(mp4)
	assert.True(t, errors.Is(err, os.ErrNotExist), "no video from a stopped run")

	testHookFrame = nil
	code, _, stderr = runCmd(context.Background(), args...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "pass -resume")

	code, stdout, stderr = runCmd(context.Background(), append(args, "-resume")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "resuming after frame 2")
	assert.Contains(t, stdout, "frame 4/4")
	assert.NotContains(t, stdout, "frame 2/4")
	for i := 1; i <= 4; i++ {
		img, err := imageio.Load(filepath.Join(out, video.FrameName(i)), imageio.DecodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, image.Rect(0, 0, 40, 27), img.Bounds())
	}
	src, err := video.OpenFrames(mp4)
	require.NoError(t, err)
	defer src.Close()
	n := 0
	for {
		img, _, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		assert.Equal(t, image.Rect(0, 0, 40, 26), img.Bounds(), "4:2:0 video has even sizes")
		n++
	}
	assert.Equal(t, 4, n)
}

// Bad input is one line naming the file or flag, and no output frame.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notVideo := filepath.Join(dir, "clip.avi")
	require.NoError(t, os.WriteFile(notVideo, []byte("not a video"), 0o644))
	empty := t.TempDir()
	mixed := writeFrames(t, 2, 48, 32)
	require.NoError(t, imageio.Save(filepath.Join(mixed, video.FrameName(3)), frame(3, 40, 32), imageio.EncodeOptions{}))
	flows := t.TempDir()
	require.NoError(t, video.WriteFlo(filepath.Join(flows, "forward_1_2.flo"), video.NewFlow(10, 10)))
	good := writeFrames(t, 2, 48, 32)
	st := styleFile(t)

	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unreadable video", []string{"-in", notVideo}, 1, notVideo + ": not a video file OpenCV can read"},
		{"empty folder", []string{"-in", empty}, 1, empty + ": no image files"},
		{"missing input", []string{"-in", filepath.Join(dir, "nope.mp4")}, 1, "nope.mp4: no such file"},
		{"mismatched sizes", []string{"-in", mixed}, 1, filepath.Join(mixed, video.FrameName(3)) + " is 40×32, the first frame"},
		{"wrong .flo size", []string{"-in", good, "-flow", flows}, 1, filepath.Join(flows, "forward_1_2.flo") + ": flow of 10×10, the frames are 48×32"},
		{"missing .flo", []string{"-in", good, "-flow", flows + "/"}, 1, "forward_1_2.flo"},
		{"bad flow", []string{"-in", good, "-flow", "raft"}, 2, `-flow "raft"`},
		{"no -in", []string{}, 2, "-in is required"},
		{"bad video-out", []string{"-in", good, "-video-out", "x.gif"}, 2, `-video-out "x.gif"`},
		{"bad layer", []string{"-in", good, "-style-layers", "relu9_9"}, 2, "relu9_9"},
		{"bad weight", []string{"-in", good, "-temporal-weight", "-1"}, 2, "-temporal-weight -1"},
		{"bad warm start", []string{"-in", good, "-warm-start", "blend"}, 2, `-warm-start "blend": want masked or warped`},
		{"bad flow size", []string{"-in", good, "-flow-size", "-5"}, 2, "-flow-size -5"},
		{"bad photometric threshold", []string{"-in", good, "-photometric-threshold", "NaN"}, 2, "-photometric-threshold NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"-out", out, "-style", st, "-weights", fixtureWeights, "-max-size", "40",
				"-iterations", "2", "-first-frame-iterations", "2", "-threads", "2,1"}, tc.args...)
			code, _, stderr := runCmd(context.Background(), args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
			assert.True(t, strings.HasPrefix(stderr, "video: "), stderr)
			assert.Contains(t, stderr, tc.msg)
			if tc.name != "wrong .flo size" && tc.name != "missing .flo" && tc.name != "mismatched sizes" {
				_, err := os.Stat(filepath.Join(out, video.FrameName(1)))
				assert.True(t, errors.Is(err, os.ErrNotExist))
			}
		})
	}
}
