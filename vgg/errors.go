package vgg

import (
	"errors"
	"fmt"
)

// Sentinel errors for errors.Is. The errors the package returns carry more
// context in their text (the file, the layer, the field) and wrap one of these.
var (
	// ErrTruncated reports a weights file that ends early or lacks a variable,
	// field or layer that the real file has, or holds a field of the wrong class
	// (text where numbers belong): almost always a truncated or corrupt download.
	// The error's text says where to get the file.
	ErrTruncated = errors.New("truncated or corrupt download")

	// ErrUnsupportedFormat reports a file that is not a MATLAB Level-5 MAT file
	// the decoder can read, such as a MATLAB v7.3 (HDF5) file. The error's text
	// says how to re-save it.
	ErrUnsupportedFormat = errors.New("unsupported file format")

	// ErrInvalidModel reports weights that are complete but unusable: a kernel
	// that is not 3×3, whose input channels differ from the previous layer's
	// output channels, a bias of the wrong length, NaN or Inf values, a stride
	// or padding other than the network's, or an unknown list of layers.
	ErrInvalidModel = errors.New("invalid model")

	// ErrUnknownLayer reports a layer name that the architecture does not have
	// (for example "conv3_4" in VGG16), or that a Net did not build.
	ErrUnknownLayer = errors.New("unknown layer")
)

// Where the real weights come from, for the text of ErrTruncated errors.
const (
	downloadURL = "https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat"
	md5New      = "106118b7cf60435e6d8e04f6a6dc3657"
	md5Old      = "8ee3263992981a1d26e73b3ca028a123"
	getTheFile  = "get imagenet-vgg-verydeep-19.mat (MD5 " + md5New + ") from " + downloadURL +
		"; the older beta16 file (MD5 " + md5Old + ") works too"
)

// modelError is an error whose text is written out in full and which matches
// a sentinel (and its cause, if any) with errors.Is / errors.As.
type modelError struct {
	msg      string
	sentinel error
	cause    error
}

func (e *modelError) Error() string { return e.msg }

func (e *modelError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.sentinel}
	}
	return []error{e.sentinel, e.cause}
}

// invalid makes an ErrInvalidModel error with the given text (no "vgg: " prefix;
// the exported entry points add it).
func invalid(msg string) error {
	return &modelError{msg: msg, sentinel: ErrInvalidModel}
}

// withPrefix returns err with p + ": " in front of its text, matching what err
// matches.
func withPrefix(p string, err error) error {
	if me, ok := err.(*modelError); ok {
		return &modelError{msg: p + ": " + me.msg, sentinel: me.sentinel, cause: me.cause}
	}
	return fmt.Errorf("%s: %w", p, err)
}
