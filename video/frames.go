package video

import (
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gocv.io/x/gocv"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// Frames is a sequence of input frames, read in order.
type Frames interface {
	// Next returns the next frame and a name for it in messages (the file,
	// or the video and the frame number), or io.EOF after the last.
	Next() (image.Image, string, error)
	// Len is the number of frames, or −1 when the source cannot tell.
	Len() int
	// FPS is the frame rate of a video file, 0 for a folder.
	FPS() float64
	// Close releases the source.
	Close() error
}

// imageExts are the extensions of the files a folder of frames may hold.
var imageExts = []string{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

// OpenFrames opens path as a source of frames: a folder of images (PNG,
// JPEG, BMP, GIF, TIFF or WebP, taken in the order of their names, every
// one the size of the first) or a video file that OpenCV reads (through
// FFmpeg: .avi, .mp4, .mkv, …). Errors name path.
func OpenFrames(path string) (Frames, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	if fi.IsDir() {
		return openFolder(path)
	}
	return openVideo(path)
}

type folderFrames struct {
	dir   string
	files []string
	next  int
	size  image.Point
	first string
}

func openFolder(dir string) (*folderFrames, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("video: %s: no image files (want .png, .jpg, … frames)", dir)
	}
	slices.Sort(files)
	return &folderFrames{dir: dir, files: files}, nil
}

func (f *folderFrames) Next() (image.Image, string, error) {
	if f.next >= len(f.files) {
		return nil, "", io.EOF
	}
	name := f.files[f.next]
	img, err := imageio.Load(name, imageio.DecodeOptions{})
	if err != nil {
		return nil, name, fmt.Errorf("video: %w", err)
	}
	size := img.Bounds().Size()
	if f.next == 0 {
		f.size, f.first = size, name
	} else if size != f.size {
		return nil, name, fmt.Errorf("video: %s is %d×%d, the first frame %s is %d×%d", name, size.X, size.Y, f.first, f.size.X, f.size.Y)
	}
	f.next++
	return img, name, nil
}

func (f *folderFrames) Len() int     { return len(f.files) }
func (f *folderFrames) FPS() float64 { return 0 }
func (f *folderFrames) Close() error { return nil }

type videoFrames struct {
	path string
	cap  *gocv.VideoCapture
	mat  gocv.Mat
	n    int // frames read
	len  int
	fps  float64
}

func openVideo(path string) (*videoFrames, error) {
	c, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err != nil || !c.IsOpened() {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("video: %s: not a video file OpenCV can read", path)
	}
	v := &videoFrames{path: path, cap: c, mat: gocv.NewMat(), len: -1, fps: c.Get(gocv.VideoCaptureFPS)}
	if n := int(c.Get(gocv.VideoCaptureFrameCount)); n > 0 {
		v.len = n
	}
	return v, nil
}

func (v *videoFrames) Next() (image.Image, string, error) {
	name := fmt.Sprintf("%s frame %d", v.path, v.n+1)
	if !v.cap.Read(&v.mat) || v.mat.Empty() {
		if v.n == 0 {
			return nil, name, fmt.Errorf("video: %s: no frame could be read", v.path)
		}
		return nil, name, io.EOF
	}
	if v.mat.Type() != gocv.MatTypeCV8UC3 {
		return nil, name, fmt.Errorf("video: %s: frames of OpenCV type %v, want 8-bit colour", name, v.mat.Type())
	}
	img, err := v.mat.ToImage()
	if err != nil {
		return nil, name, fmt.Errorf("video: %s: %w", name, err)
	}
	v.n++
	return img, name, nil
}

func (v *videoFrames) Len() int     { return v.len }
func (v *videoFrames) FPS() float64 { return v.fps }
func (v *videoFrames) Close() error {
	v.mat.Close()
	return v.cap.Close()
}

// FrameName is the file name of output frame index (1-based) in a folder:
// frame_00001.png, frame_00002.png, …
func FrameName(index int) string { return fmt.Sprintf("frame_%05d.png", index) }

// WriteMP4 encodes frames (all of one size) into an MP4 file at fps frames
// per second with OpenCV's VideoWriter (FFmpeg; H.264 where the build has
// an encoder for it, else MPEG-4 part 2). Its 4:2:0 colour needs even
// sizes: an odd last row or column is dropped. The file is written under a
// temporary name in the same folder and renamed when complete.
func WriteMP4(path string, fps float64, frames []image.Image) error {
	if len(frames) == 0 {
		return fmt.Errorf("video: %s: no frames to write", path)
	}
	if fps <= 0 {
		return fmt.Errorf("video: %s: frame rate %g, want > 0", path, fps)
	}
	size := frames[0].Bounds().Size()
	tmp := filepath.Join(filepath.Dir(path), "."+strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".partial"+filepath.Ext(path))
	var w *gocv.VideoWriter
	var err error
	for _, codec := range []string{"avc1", "mp4v"} {
		if w, err = gocv.VideoWriterFile(tmp, codec, fps, size.X, size.Y, true); err == nil && w.IsOpened() {
			break
		}
		if w != nil {
			w.Close()
			w = nil
		}
	}
	if w == nil {
		os.Remove(tmp)
		return fmt.Errorf("video: %s: OpenCV cannot write MP4 here (no avc1 or mp4v encoder)", path)
	}
	werr := func() error {
		for i, f := range frames {
			if f.Bounds().Size() != size {
				return fmt.Errorf("video: %s: frame %d is %v, frame 1 is %v", path, i+1, f.Bounds().Size(), size)
			}
			m, err := gocv.ImageToMatRGB(imageio.ToRGBA(f))
			if err != nil {
				return fmt.Errorf("video: %s: frame %d: %w", path, i+1, err)
			}
			err = w.Write(m)
			m.Close()
			if err != nil {
				return fmt.Errorf("video: %s: frame %d: %w", path, i+1, err)
			}
		}
		return nil
	}()
	cerr := w.Close()
	if werr == nil && cerr != nil {
		werr = fmt.Errorf("video: %s: %w", path, cerr)
	}
	if werr != nil {
		os.Remove(tmp)
		return werr
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("video: %w", err)
	}
	return nil
}
