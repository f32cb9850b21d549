// Package tfruntime reports on the TensorFlow C library the process has
// loaded and sets how much of TensorFlow's own logging reaches stderr.
//
// The same neuralstyle binary runs on the CPU-only runtime (the default of
// scripts/libtensorflow.sh) and on the CUDA one (TF_VARIANT=cuda), so the
// questions a user asks when a GPU is not used are answered at run time:
//
//   - Variant: is the loaded library a CUDA build? (It is when TensorFlow has
//     GPU kernels registered, whether or not a GPU is present.)
//   - Devices: which devices does TensorFlow see, with their memory?
//   - Lookup: is a device name such as "/gpu:0" among them? If not, the error
//     says which devices there are and, for the CPU-only runtime, how to
//     install the CUDA one.
//   - Default: where does placement go when no device is asked for (the first
//     GPU when one is visible, else the CPU)?
//
// Quiet hides TensorFlow's C++ INFO, warning and error log lines (its
// start-up notices and, on the CUDA build without a GPU, "failed call to
// cuInit" and the cuDNN/cuBLAS/cuFFT registration lines); Verbose shows all
// of them. Neither touches the errors that TensorFlow returns through its API,
// which the library's callers receive as Go errors.
//
// Importing the package gives every TensorFlow session of the process its
// own intra-op thread pool, of the size its options ask for, by setting
// TF_OVERRIDE_GLOBAL_THREADPOOL=1 before any session exists (a value the
// environment already has is kept). TensorFlow's default is one pool for
// the process, sized by its first session, which ignores every later
// session's intra_op_parallelism_threads.
//
// Everything here is safe for concurrent use. The device list is computed
// once per process (TensorFlow creates its devices once) and then cached.
package tfruntime
