// Command gobench is implementation (a) of the comparison harness in bench/:
// it runs the benchmark objective through this library's public API (package
// style) on a full-width VGG19 with deterministic pseudo-random weights, and
// prints one JSON line with the per-iteration times, the evaluations, the
// loss and the peak resident memory. bench/peer_tf.py and bench/peer_torch.py
// build the same network, images and objective, so the three losses at the
// start agree (see bench/run.sh and README.md, Performance). Like the peers
// and the tutorial it optimizes the unclamped image
// (style.WithClampPixels(false)) unless -clamp-pixels is given.
//
//	gobench -size 512 -iters 5 -opt adam -threads 2
//	gobench -peak -threads 2   # GFLOP/s of a large float32 MatMul in TensorFlow
package main
