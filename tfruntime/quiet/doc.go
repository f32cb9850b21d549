// Package quiet keeps TensorFlow's C++ log lines off a program's stderr,
// from before the TensorFlow library initializes. A main package imports it
// for its effect:
//
//	import _ "github.com/neuralstyle/neuralstyle/tfruntime/quiet"
//
// TensorFlow 2.18 logs through two systems, both to file descriptor 2, and
// both start while the dynamic loader runs the library's initializers,
// before any Go code runs:
//
//   - its own (tsl), which reads TF_CPP_MIN_LOG_LEVEL once, at its first
//     line: "oneDNN custom operations are on" (at load), the CPU-feature
//     notice (first session), and on the CUDA build "Unable to register
//     cuFFT factory" (at load), "failed call to cuInit" (first session);
//   - Abseil's, of which libtensorflow_cc.so.2 holds a private copy that
//     reads no environment variable and exports no setter: "Unable to
//     register cuDNN factory" and "… cuBLAS factory" (at load, CUDA build),
//     "MLIR V1 optimization pass is not enabled" (first run), each time after
//     "All log messages before absl::InitializeLog() is called are written
//     to STDERR".
//
// Setting TF_CPP_MIN_LOG_LEVEL from Go is too late for the first and does
// nothing for the second, so this package filters file descriptor 2
// itself. A C function in the executable's .preinit_array, which the
// dynamic loader calls before any shared library's initializers, points
// descriptor 2 at an in-memory file. This package's init then points it at
// a pipe, replays what the library logged while loading through the
// filter, and keeps filtering in a goroutine: TensorFlow's INFO, WARNING
// and ERROR lines are dropped; FATAL lines (which come just before
// TensorFlow aborts) and anything that is not a TensorFlow log line pass.
// os.Stderr becomes a copy of the original descriptor, so the program's own
// messages do not go through the filter, and runtime/debug.SetCrashOutput
// sends Go's crash reports there as well. If TensorFlow aborts while it
// loads, the preinit function's SIGABRT handler writes what was held first.
// After that, a FATAL line is followed at once by TensorFlow's abort, which
// Go reports (SIGABRT, with the stacks) on the original stderr; the line
// itself can be lost if the filter had not passed it on yet, so rerun with
// -v to be sure to see it.
//
// Errors that TensorFlow returns through its API are not affected: the
// library's callers receive them as Go errors.
//
// When the command line has -v (or -v=true, --v), nothing is filtered and
// TF_CPP_MIN_LOG_LEVEL is left as the environment sets it.
//
// It filters on Linux (it uses memfd_create and .preinit_array); elsewhere
// importing it does nothing.
package quiet
