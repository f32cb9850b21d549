package matfile

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel errors. Every error the package returns for bad input wraps
// exactly one of ErrHDF5, ErrUnsupported or ErrFormat (test with
// errors.Is); misuse of the API wraps ErrClass or ErrConsumed. Errors that
// come from input that ends early also wrap io.ErrUnexpectedEOF, so a
// truncated download can be told apart from other damage. Errors of the
// underlying io.Reader other than io.EOF are returned wrapped, with
// context, and wrap none of these.
var (
	// ErrHDF5 reports a MATLAB v7.3 file, which is an HDF5 container and not
	// a Level-5 MAT-file.
	ErrHDF5 = errors.New("matfile: MATLAB v7.3 (HDF5) file, not a Level-5 MAT-file; re-save it in MATLAB with `save -v7`")

	// ErrUnsupported reports content the package does not decode: sparse
	// matrices, objects, function handles, classdef objects and complex
	// numeric data. Such arrays are still returned by Next, NextCell and
	// NextField so that they can be skipped; reading their contents fails.
	ErrUnsupported = errors.New("matfile: unsupported MAT-file content")

	// ErrFormat reports malformed or truncated data. The wrapping error names
	// the variable and the path inside it ("layers{3}.weights{1}") and the
	// offset of the problem.
	ErrFormat = errors.New("matfile: malformed MAT-file")

	// ErrClass reports an accessor called on an array of the wrong class,
	// such as Text on a numeric array or NextCell on a struct.
	ErrClass = errors.New("matfile: wrong array class")

	// ErrConsumed reports an array whose contents were already read, or that
	// can no longer be read because the reader moved past it (see the
	// streaming rules in the package documentation).
	ErrConsumed = errors.New("matfile: array no longer readable")
)

// formatErr builds an ErrFormat error; when eof is set it also wraps
// io.ErrUnexpectedEOF.
func formatErr(eof bool, where, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	if eof {
		return fmt.Errorf("%w: %s: %w", ErrFormat, msg, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: %s", ErrFormat, msg)
}
