// Package style is neuralstyle's entry point: it renders a content image in
// the style of one or more style images (Gatys et al., 2016).
//
// For one image, call Transfer:
//
//	res, err := style.Transfer(ctx, content, painting, style.WithModel(model))
//
// For several, create a Transferer, which keeps its TensorFlow graph and
// session between transfers of the same output size and loss settings, and
// Close it when done:
//
//	t, err := style.NewTransferer(style.WithModel(model), style.WithIterations(300))
//	if err != nil { … }
//	defer t.Close()
//	for _, photo := range photos {
//		res, err := t.Transfer(ctx, photo, painting)
//		…
//	}
//
// # What is computed
//
// The images are resized (the content image's longest side to WithMaxSize,
// each style image's longest side to that times WithStyleScale, aspect ratios
// kept), converted to RGB float32 with the network's mean pixel subtracted,
// and the loss
//
//	α·Σ_l w_l·E_content(l) + β·Σ_i b_i·Σ_l w_l·E_style(i, l) + γ·TV
//
// is minimized over the pixels, from the content image by default. The
// content and style targets are computed once per transfer, inside the
// TensorFlow graph (see package loss for the terms and their
// normalizations). The defaults are cysmith/neural-style-tf's: content
// conv4_2; style relu1_1 … relu5_1 at 0.2 each; α = 5, β = 1e4, γ = 1e-3;
// L-BFGS for at most 1000 iterations; 512 pixels; average pooling.
//
// # When a run ends
//
// A run ends when its picture stops changing: every 50 iterations the image
// is compared with the one 50 iterations before, and once the RMS change
// per pixel channel is below DefaultConvergence.MaxChange grey levels and
// the loss fell by less than DefaultConvergence.MaxLossDecrease the run
// stops (WithConvergence; at every scale of a coarse-to-fine run). The
// comparison runs where the image lives, so the optimizer on a GPU sends one
// scalar to Go. WithIterations is the cap; WithConvergence(Convergence{})
// runs exactly that many iterations, as neural-style-tf does. Result.Stop
// says which ended the run (or WithEarlyStop, the optimizer itself, or a
// cancellation).
//
// # Large images: memory and tiling
//
// Before any image is resized, a memory model predicts the peak resident
// memory of the transfer at every scale (the TensorFlow runtime, the
// weights, the network's activations per layer, the optimizer's state and
// the image-sized buffers) and compares it with the limit (WithMemoryLimit;
// default: the memory the machine has available). When the whole image
// does not fit, the loss is evaluated tile by tile (Tiling), exactly: the
// style term's Gram matrices are summed over the tiles' interiors before
// the residual is fed back to each tile. If even the smallest tiles do not
// fit, the L-BFGS history is shortened; if nothing fits, Transfer returns a
// *MemoryError naming the memory needed and available, having allocated
// nothing large. Result.Plans and Transferer.Plan report the choices.
//
// # Errors, cancellation and resources
//
// Options are checked before any work; a bad one gives an error matching
// ErrInvalidOption that names the option and the value. Transfer honours
// ctx: on cancellation it returns within one iteration with the best image
// so far and an error wrapping ctx.Err(). A Transferer owns one TensorFlow
// session, released by Close; Transfer closes its own.
//
// # Devices
//
// The network runs where TensorFlow places it: on the first GPU it sees
// when the CUDA build of libtensorflow is loaded and a GPU is visible, else
// on the CPU; Result.Device says which. WithDevice names a device instead,
// and is checked against the devices TensorFlow sees before any work (see
// package tfruntime): a missing one gives an error matching
// tfruntime.ErrNoDevice that lists the devices and the runtime variant.
package style
