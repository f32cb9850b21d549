// Package imageio reads, writes and converts images for neural style
// transfer. It is pure Go (the standard library and golang.org/x/image) and
// never touches TensorFlow.
//
// # Reading
//
// Decode and Load recognise the format by content (magic bytes), never by
// file name: PNG (8/16-bit, gray, paletted, alpha), JPEG (baseline,
// progressive, grayscale, CMYK/YCCK), GIF (first frame), BMP, TIFF and WebP
// (lossy, lossless, alpha). Untrusted input is safe: the header is read
// first and an image over DecodeOptions.MaxPixels (default 50 million) is
// refused with ErrTooLarge before its pixels are allocated; empty,
// truncated, unknown and malformed input gives ErrEmpty, ErrUnknownFormat or
// ErrCorrupt, never a panic. A JPEG's EXIF orientation is applied. Any
// image, 1×1 included, that decodes is returned; minimum sizes are the
// caller's policy.
//
// # Pixels and tensors
//
// ToRGBA flattens any image to opaque 8-bit RGB, compositing alpha over
// white. ToTensor turns an image into a float32 NHWC tensor (batch 1, RGB,
// 0..255 minus a Mean such as VGGMean) and FromTensor turns it back
// (rounding and clamping); the round trip is exact for 8-bit images.
// Resize and ResizeTo scale with Catmull-Rom (golang.org/x/image/draw).
//
// # Writing
//
// Save picks PNG or JPEG (quality 95 by default) from the extension and
// writes atomically: temporary file in the same directory, fsync, rename. On
// failure no partial file is left and an existing file is untouched.
//
// # Colour
//
// ColorSpace converts sRGB to and from YUV and YCrCb (BT.601, OpenCV's
// constants) and CIE L*a*b* and L*u*v* (D65, L in 0..100), in float64 with
// exact inverses. PreserveColors keeps the content image's chroma under the
// stylized image's luminance (neural-style-tf's --original_colors);
// MatchHistogram maps each channel of one image onto another's distribution.
//
// # Errors
//
// Every error begins with "imageio: ", names the file where one is involved,
// and wraps a sentinel (ErrUnknownFormat, ErrTooLarge, ErrEmpty, ErrCorrupt,
// ErrSizeMismatch, ErrInvalidArgument) or an underlying error such as
// fs.ErrNotExist, for errors.Is.
//
// # Concurrency
//
// The package has no mutable global state; every function is safe for
// concurrent use on distinct arguments and on shared read-only images.
package imageio
