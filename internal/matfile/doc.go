// Package matfile reads and writes MATLAB Level-5 MAT-files (the format of
// MATLAB's `save -v7` and `-v6`, and of scipy.io.savemat), such as the
// MatConvNet VGG weights, streaming: a caller walks variables, cell
// elements and struct fields in file order and skips what it does not
// need without holding it in memory.
//
// # Format subset
//
// Reading supports:
//   - the 128-byte header in both byte orders ("IM" little-endian, "MI"
//     big-endian), version 0x0100;
//   - data elements with 8-byte tags and 8-byte padding, and small data
//     elements (up to 4 bytes packed into the tag);
//   - miCOMPRESSED top-level variables (zlib), which are decompressed as
//     they are read, never inflated whole; when a compressed variable has
//     been read to its end, the next call to Next also checks that its zlib
//     stream ends there with a correct checksum;
//   - miMATRIX arrays of class double, single, int8 ... uint64 (data stored
//     in any numeric type, e.g. a double array stored as uint8, converted
//     on reading), logical, char (miUTF8, miUTF16, miUTF32, miUINT16 code
//     units as MATLAB writes them, 8-bit), cell and struct (field-name
//     length and packed names, fields in file order), and empty elements
//     (a zero-byte miMATRIX, read as a 0x0 double).
//
// Sparse matrices, objects, function handles, classdef objects and complex
// numeric data are recognised and can be skipped; reading their contents
// fails with ErrUnsupported. MATLAB v7.3 files are HDF5 containers and fail
// in NewReader with ErrHDF5, whose message says to re-save them with
// `save -v7`. MATLAB v4 files are not supported (ErrFormat).
//
// # Streaming model
//
// A Reader holds one position in its input. Next returns the header of the
// next variable as an *Array; the array's contents are read on demand by
// one of Float32s, Float64s, Bools, Text (numeric, logical, char), NextCell
// (cell) or NextField (struct), which return further Arrays for nested
// values, or discarded by Skip. Everything the caller does not read is
// skipped automatically when it asks for the next sibling (NextCell,
// NextField) or the next variable (Next): the bytes are discarded, not
// allocated, and a compressed top-level variable is skipped without
// decompressing it. Once the reader has moved past an array, the array
// can no longer be read (ErrConsumed). Neither a Reader nor its Arrays are
// safe for concurrent use.
//
// # Untrusted input
//
// Nothing panics or hangs on malformed input: every size the file claims
// is checked against the element that encloses it (and against the input
// size when the input is an io.Seeker), dimensions must fit the bytes left,
// and data whose size cannot be checked in advance is read in chunks into
// buffers that grow only as data actually arrive, so a lying header costs
// no memory. Errors wrap ErrFormat (and io.ErrUnexpectedEOF when the input
// ends early, as in a truncated download) and name the variable, the path
// inside it ("layers{3}.weights{1}") and the offset. Compressed data, however,
// can legitimately expand about a thousandfold (zlib's limit), and what it
// expands to is real data: a program reading untrusted compressed files
// should check Dims before reading an array's contents.
//
// # Writing
//
// Writer writes files that MATLAB and scipy.io.loadmat read, with the
// layout of scipy.io.savemat, compressed or not, in either byte order, from
// Values built by NewNumeric, NewLogical, NewChar, NewCell and NewStruct.
// It exists for tests, fixtures and benchmarks of the packages that read
// MAT-files.
package matfile
