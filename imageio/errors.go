package imageio

import "errors"

// Sentinel errors. Every error returned by this package starts with
// "imageio: " and wraps at most one of these, so callers can branch with
// errors.Is; the sentinels themselves carry no prefix so that the wrapped
// message reads naturally, for example
//
//	imageio: "cat.png": unknown image format (content starts with "hello, w")
var (
	// ErrUnknownFormat reports content that is none of the decoded formats
	// (PNG, JPEG, GIF, BMP, TIFF, WebP), or a file extension that Save
	// cannot encode.
	ErrUnknownFormat = errors.New("unknown image format")

	// ErrTooLarge reports an image whose header claims more pixels than
	// DecodeOptions.MaxPixels, an input longer than DecodeOptions.MaxBytes,
	// or a JPEG with more than 256 scans. It is returned before the pixels
	// are decoded.
	ErrTooLarge = errors.New("image too large")

	// ErrEmpty reports an input of zero bytes, or an image with zero width
	// or height.
	ErrEmpty = errors.New("empty image")

	// ErrCorrupt reports content in a known format that cannot be decoded:
	// truncated, malformed or using a feature the decoder does not support.
	// The decoder's own error is wrapped as well.
	ErrCorrupt = errors.New("corrupt image")

	// ErrSizeMismatch reports two images that must have the same size but
	// do not (PreserveColors).
	ErrSizeMismatch = errors.New("image sizes differ")

	// ErrInvalidArgument reports a parameter outside its documented range:
	// a non-positive size, a JPEG quality outside 1..100, a tensor whose
	// length does not match its shape, an unknown colour space.
	ErrInvalidArgument = errors.New("invalid argument")
)
