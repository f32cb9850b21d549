// Package loss builds the terms of Gatys et al.'s style-transfer objective into
// a TensorFlow graph (github.com/wamuir/graft): Gram matrices, the style loss
// over several layers and style images (optionally masked), the content loss,
// the total-variation loss and their weighted sum. The builders add ops to an
// op.Scope and return tf.Output scalars; op.Gradients of those with respect to
// the image variable gives what the optimizer needs.
//
// # Shapes, types and targets
//
// Features are NHWC activations of one image, [1, H, W, N], float32 (float64
// is accepted too; the tests use it for finite differences). N is the number
// of channels and M = H·W the number of positions; F is the M × N matrix of
// the features. The caller builds the graph for one known image size, so
// every shape is static and every normalization constant is computed in Go
// from tf.Output.Shape(); an unknown size is an error matching ErrShape.
//
// Targets (the content image's features, the style images' Grams) are inputs
// of type tf.Output: the caller computes them once per transfer (StyleTarget
// for styles) and holds them in the graph as constants or as variables
// assigned once. Nothing here recomputes a target per iteration.
//
// # Gram matrices and the style target
//
//	G = FᵀF             (Gram, N × N)
//	Ĝ = FᵀF / M         (MeanGram: the mean over positions of f·fᵀ)
//
// A style target is always the style image's mean Gram Ĝ_s = G_s / M_s
// (StyleTarget). The style image need not have the generated image's size:
// it keeps its own aspect ratio, where neural-style-tf stretches it to the
// content image's size. Gatys et al.'s per-layer loss is
//
//	E = Σ(G_x − G_s)² / (4·N²·M²)
//
// with one M for both images. Written with mean Grams it is
//
//	E = Σ(G_x/M_x − Ĝ_s)² / (4·N²)
//
// and when M_s = M_x = M the two are equal, since G_x/M − G_s/M = (G_x − G_s)/M
// and squaring brings out 1/M² (the reference test
// "style_layer/tutorial_equals_unnormalized" checks this against the
// unnormalized formula in numpy). When the sizes differ only the mean-Gram
// form makes sense: a Gram grows with the number of positions, a mean Gram
// does not. The difference is also formed between quantities that do not grow
// with the image, which keeps float32 rounding independent of the image size.
//
// # Style normalizations (GramNorm) and their anchors
//
//	GramTutorial  Σ(Ĝ_x − Ĝ_s)² / (4·N²)   Gatys et al. 2016 (E_l); the TensorFlow tutorial the
//	                                        project ports; cysmith/neural-style-tf style_layer_loss
//	GramMean      Σ(Ĝ_x − Ĝ_s)² / N²       mean squared difference of mean Grams, as in TensorFlow's
//	                                        tensorflow.org/tutorials/generative/style_transfer
//
// With mean-Gram targets the two differ by exactly a factor 4. For reference,
// jcjohnson/neural-style divides the Gram by N·M (input:nElement()) and takes
// the mean squared difference, which is GramMean / N² per layer (a constant
// per layer that layer weights can absorb; not offered separately), and
// crowsonkb/style-transfer-pytorch uses the mean Gram with a loss scaled by
// its own gradient norm.
//
// # Several layers and style images (Style)
//
// neural-style-tf (sum_style_losses and sum_masked_style_losses) normalizes the
// layer weights and the style-image blend weights to sum 1 and then still
// divides by the number of layers L and the number of images I:
//
//	E_style = (1/I) · Σ_i b_i · (1/L) · Σ_l w_l · E_il,  Σ w_l = Σ b_i = 1
//
// Style does exactly this, so a layer's effective weight is w_l/L (0.04 for
// each of the five default layers relu1_1 … relu5_1) and neural-style-tf's
// default style weight 1e4 balances the same way here. Content does the same
// over its layers (sum_content_losses): E_content = (1/L) · Σ_l w_l · E_l.
//
// # Masks (MaskedStyleLayer, StyleImage.Mask)
//
// A mask is a [H, W] map in [0, 1] at the generated image's resolution. For a
// layer of size h × w it is resampled by area averaging: output cell i covers
// the input interval [i·H/h, (i+1)·H/h) and takes the mean of the mask over
// it, separably in both directions (the block mean on integer factors). This
// is TensorFlow's ResizeArea (align_corners false) and OpenCV's INTER_AREA,
// which neural-style-tf uses for its masks; it is built as two MatMuls with
// constant weight matrices, so it runs on any device (ResizeArea has only a CPU
// kernel), and a test checks it against ResizeArea. The resampled mask m
// multiplies the generated features before the Gram, and the Gram is divided
// by the masked area instead of M:
//
//	Ĝ_x = (m⊙F)ᵀ(m⊙F) / Σ_p m_p²
//
// so a uniform mask of any level, or a mask of ones, gives the unmasked loss,
// and a binary mask gives the mean Gram of the region it selects: a mask over
// half the image does not halve the loss. Deviations from neural-style-tf,
// whose mask_style_layer multiplies both the style and the generated features
// by the mask and keeps the 1/(4·N²·M²) factor: (1) the style image's features
// are not masked, since the style image has its own size and the mask belongs
// to the generated image; its target is the whole style image's mean Gram;
// (2) the division by Σm² instead of M, so that the loss of a region does not
// shrink with the square of its area; (3) the mask is a tensor in [0, 1]
// resampled in the graph, where neural-style-tf reads a file per layer and
// divides it by its maximum.
//
// # Content normalizations (ContentNorm)
//
//	E = K · Σ(F_x − F_c)²
//	ContentTutorial  K = 1/(2·√N·√M)   neural-style-tf --content_loss_function 1 (its default), the tutorial
//	ContentMean      K = 1/(N·M)       --content_loss_function 2, the mean squared difference
//	ContentHalf      K = 1/2           --content_loss_function 3, Gatys et al.'s ½·Σ(F − P)²
//
// # Total variation (TVKind)
//
//	TVAbsolute  Σ|x[i+1,j] − x[i,j]| + Σ|x[i,j+1] − x[i,j]|   tf.image.total_variation (neural-style-tf)
//	TVSquared   Σ(x[i+1,j] − x[i,j])² + Σ(x[i,j+1] − x[i,j])²
//
// summed over channels (anisotropic, no normalization). The default is
// TVAbsolute because the defaults of this project are neural-style-tf's, whose
// tv weight 1e-3 is calibrated for Σ|Δ| on 0–255 pixels; the absolute form is
// also edge-preserving (a step costs its height however sharp it is), so it
// removes high-frequency speckle without blurring edges. TVSquared is the
// smooth alternative, differentiable at Δ = 0 and penalizing large jumps more:
// jcjohnson/neural-style's TVLoss is ½·TVSquared over a one-pixel-smaller crop,
// and crowsonkb/style-transfer-pytorch takes the mean of the squared
// differences. Its scale is that of Δ², so it needs a much smaller weight.
//
// # Total loss
//
// Weighted forms α·E_content + β·E_style + γ·E_tv and returns each weighted
// term, so a caller can report them, with their sum. neural-style-tf's defaults
// are α = 5, β = 1e4, γ = 1e-3.
//
// # Graph construction
//
// Each call adds its ops under a sub-scope of its own ("gram", "style_layer",
// "style", "content_layer", "content", "total_variation", "weighted"; graft
// adds "_1", "_2" … on repeated calls), and every op goes through
// tfutil.Fresh, since graft's op.Scope does not make op names unique. The
// builders check every argument before adding any op and return an error
// (matching ErrShape, ErrDType, ErrWeights or ErrInvalid) instead of
// panicking; a scope that has already failed is reported, not built on. Only
// ops with CPU and GPU kernels and registered C++ gradients are used. Like
// op.Scope itself, the builders are not safe for concurrent use on one scope;
// the GramNorm, ContentNorm and TVKind values are plain values.
package loss
