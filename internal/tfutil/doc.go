// Package tfutil holds the small pieces that every TensorFlow-using package of
// neuralstyle needs: fast float32 conversions between Go slices and tensors
// (graft's reflection-based tf.NewTensor and Tensor.Value are slow for
// images), and a session helper that always closes what it opens.
//
// The package's tests are also the runtime smoke test: they prove that the
// installed TensorFlow C library is real and complete (version 2.x, the ops
// the library builds, and the symbolic gradients it relies on, checked
// against finite differences).
package tfutil
