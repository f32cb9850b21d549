// Command video stylizes a video, or a folder of frames, in the style of an
// image with package video: each frame starts from the previous stylized
// frame warped by the optical flow and is held to it by a temporal loss on
// the pixels whose motion is consistent (Ruder, Dosovitskiy and Brox,
// "Artistic style transfer for videos", 2016; neural-style-tf's --video).
//
// Usage:
//
//	video -in clip.mp4|frames/ -style painting.jpg -out outdir [flags]
//
// Flags:
//
//	-in PATH                    a video file (.avi, .mp4, … read by OpenCV) or a folder of frames; required
//	-out DIR                    output folder for frame_00001.png, frame_00002.png, …; created if missing
//	-video-out FILE.mp4         also encode the stylized frames into an MP4
//	-fps F                      frame rate of -video-out (default the input video's, or 25)
//	-frames N                   stylize only the first N frames (default all)
//	-style FILE                 style image; required
//	-weights FILE               VGG weights (MatConvNet .mat); default $NEURALSTYLE_WEIGHTS
//	-max-size PX                longest side of the output frames (default 512)
//	-iterations N               iterations of every frame after the first (default 100)
//	-first-frame-iterations N   iterations of the first frame (default 300)
//	-temporal-weight W          weight of the temporal loss (default 2e8, for the default network and weights)
//	-flow dis|farneback|DIR     optical flow: OpenCV's DIS (medium preset, the default) or
//	                            Farnebäck, or a folder of .flo files named
//	                            forward_<i-1>_<i>.flo and backward_<i>_<i-1>.flo
//	-flow-size PX               longest side of the frames the flow is computed on, then
//	                            resized to the working size (default 0: the input's own
//	                            size; ≤ -max-size: the working size, as before #26)
//	-warm-start masked|warped   where later frames start: the warped previous output where
//	                            the consistency mask is 1 and the frame elsewhere (masked,
//	                            the default), or the warped output everywhere (Ruder et al.)
//	-photometric-threshold L    grey levels (0–255, default 20) above which a pixel whose flow
//	                            does not carry the previous frame's grey level leaves the
//	                            consistency mask; 0 or negative: off
//	-independent                stylize every frame on its own (no warm start, no
//	                            temporal loss): the flickering baseline
//	-resume                     keep the frames already in -out and continue after them
//	-preview ADDR               serve a live page (the frame being stylized, its loss
//	                            curves, a strip of the finished frames, a Stop button)
//	                            at host:port or :port (no host: 127.0.0.1); prints its URL
//	-content-weight, -style-weight, -tv-weight, -content-layers, -style-layers,
//	-pooling, -init, -optimizer, -lr, -threads, -quiet, -v: as for examples/stylize
//
// It prints one line per frame: time, losses, the share of consistent
// pixels, the warping error against the previous output (the mean absolute
// difference on consistent pixels, 0–255 scale) and the estimated time left.
// Ctrl-C (or -preview's Stop button) stops the frame in progress; the frames
// written stay and -resume continues. A failure prints one line, "video: <error>", naming the file.
package main
