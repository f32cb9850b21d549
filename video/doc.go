// Package video stylizes a sequence of frames after Ruder, Dosovitskiy and
// Brox, "Artistic style transfer for videos" (GCPR 2016), the video mode of
// cysmith/neural-style-tf.
//
// Stylizing each frame on its own flickers: every frame lands in a different
// local minimum. A Stylizer instead starts frame t from the stylized frame
// t−1 warped by the optical flow, and adds to style's objective a temporal
// loss that keeps the output close to that warped frame on the pixels that
// pass a forward–backward consistency check (Consistency) and a photometric
// one (Photometric): occluded pixels, motion boundaries and pixels whose
// flow failed are left free, and start from the frame itself rather than
// from the warp (Config.WarmStart). The flow is computed on the frames at
// their own size (Config.FlowMaxSize) and resized to the working size.
//
// The pieces are usable on their own: optical flow from OpenCV (DIS or
// Farnebäck, through gocv.io/x/gocv) or from Middlebury .flo files
// (ReadFlo), the consistency mask, warping (OpenCV's remap), the temporal
// loss as a style.Term, the warping error that measures flicker
// (WarpingError), and a flow-free measure of how sharply moving objects are
// rendered (MotionFidelity). Frames come from a folder of images or a video file
// (OpenFrames) and go to numbered PNGs and, optionally, an .mp4.
//
// This is the only package of the module, with its command examples/video,
// that needs OpenCV (pkg-config opencv4, Debian's libopencv-dev); style
// never imports it.
package video
