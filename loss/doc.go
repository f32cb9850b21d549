// Package loss builds the terms of Gatys et al.'s style-transfer objective into
// a TensorFlow graph (github.com/wamuir/graft): Gram matrices, the style loss
// over several layers and style images (optionally masked) as a Gram distance
// or a Wasserstein-2 distance (StyleLoss), the content loss,
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
//	G = FᵀF             (GramMatrix, N × N)
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
// # The Wasserstein-2 style loss (StyleLoss W2)
//
// With StyleSpec.Loss = W2 (style.WithStyleLoss(loss.W2)) a layer compares
// Gaussians fitted to the two images' features instead of Grams: μ the mean
// over positions, Σ the covariance (F − μ)ᵀ(F − μ)/M. Its term is the
// squared Wasserstein-2 distance between them, per channel, times k = 100
// (W2Layer):
//
//	E = k·(‖μx − μs‖² + tr(Σx + εI) + tr(Σs + εI) − 2·tr((S·(Σx + εI)·S)^½)) / N,  S = (Σs + εI)^½
//
// Without k this is crowsonkb/style-transfer-pytorch's StyleLossW2 (the mean
// over channels of the squared mean difference plus the mean of the
// diagonal of the covariance term; see also Marron, "Style transfer as
// optimal transport"). Layers and images are weighted as for the Gram loss
// (Style); k is explained under "Scale" below.
//
// ε regularizes both covariances: they are singular on real features (at
// relu5_1 of a 256 px image there are 176 positions for 512 channels), and
// (Σx + εI)^−½ enters the gradient. ε = 10⁻²·tr(Σs)/N, a hundredth of the
// style layer's mean variance, so that the loss scales with the features
// (crowsonkb adds an absolute 10⁻⁴ to features on a 0–1 pixel scale). It
// does not move the optimum: the distance is 0 exactly when μx = μs and
// Σx = Σs. With it, the matrices whose square roots are taken had condition
// numbers from 7·10⁴ to 1.6·10⁷ on the ImageNet VGG16 at 256 px (chelsea and
// starry_night, either as content; relu1_1 … relu5_1).
//
// Targets (W2Target) are computed once per style image and layer: μs, Σs + εI,
// its square root S (from an eigendecomposition) and ε, packed in one
// [2N+2, N] tensor. Per evaluation, a = S·(Σx + εI)·S is decomposed by
// SelfAdjointEigV2, tr(a^½) = Σ√λ_i, and the gradient with respect to Σx,
//
//	∂E/∂Σx = (I − S·a^−½·S) / N     (from d tr(a^½) = ½·tr(a^−½·da))
//
// is formed from the same eigenvectors and attached to the graph by the
// identity stop(v) + Σ stop(g)⊙(Σ − stop(Σ)), whose value is v and whose
// gradient is g. TensorFlow's C++ gradient registry, which the C API
// differentiates through, has no gradient for SelfAdjointEigV2 or
// MatrixSquareRoot (internal/tfutil's runtime test records this). From Σx
// and μx on, TensorFlow differentiates as usual.
//
// Why an eigendecomposition and not the coupled Newton–Schulz iteration
// (MatMuls only, differentiable as it stands; crowsonkb's choice, 12
// iterations): TestSquareRootMethods measures both on 128 × 128 matrices of
// condition number κ against exact roots. Relative error of tr(a^½) in
// float32:
//
//	κ      eig      Newton–Schulz: 10 it.  15       20       25       30       40
//	10²    1.8e-6   3.0e-6                 5.2e-9   7.1e-8   5.2e-9   7.1e-8   5.2e-9
//	10⁴    2.8e-6   1.0e-2                 1.2e-6   2.6e-7   3.3e-7   4.0e-7   1.9e-7
//	10⁶    2.5e-6   1.5e-2                 1.3e-3   1.6e-7   1.1e-6   1.6e-7   2.4e-6
//	10⁸    6.0e-6   1.5e-2                 1.9e-3   1.8e-4   2.6e-5   NaN      NaN
//
// and of a^−½ (the gradient's factor) at 25 iterations 8.5e-5, 5.0e-3 and
// 1.2 for κ = 10⁴, 10⁶, 10⁸, where the eigendecomposition gives 5.1e-5,
// 3.5e-3 and (with its floor, below) 0.83. In float32 the iteration is
// unstable beyond κ ≈ 10⁸ and needs 20–25 iterations below it, for the
// spectra real features have; in float64 it converges (30 iterations at
// κ = 10⁸) but costs more. Their times are in docs/quality.md.
// In a^−½ the eigenvalues are floored at max(ε², 10⁻⁶·λ_max) (10⁻¹³ in
// float64): none is truly below ε², and below 10⁻⁶·λ_max float32 eigenvalues
// are rounding noise.
//
// Against scipy (testdata/reference.py: scipy.linalg.sqrtm, hand-derived
// gradients checked there by finite differences) the W2 values agree to
// 1.1e-5 and their gradients to 5.8e-6 in float32, and to 6e-15 and 1.6e-14
// in float64; TensorFlow's gradients agree with central finite differences
// through a small network to 4e-9 (TestFiniteDifferences).
//
// Masks (MaskedW2Layer) weight each position by m², as the masked Gram does:
// μx = Σ m²f / Σ m², Σx = Σ m²(f − μx)(f − μx)ᵀ / Σ m². Blends (several
// style images) sum each image's W2 term with its blend weight, like the
// Gram loss; crowsonkb instead blends the images' means and second moments
// into one Gaussian.
//
// Scale: W2 grows with the square of the features, as the content loss
// does, where the Gram loss grows with their fourth power; so the balance of
// W2 against content does not depend on the network's activation scale, and
// one constant can fix it. crowsonkb weighs the style 1 and the content
// (relu4_2) 0.015 per unit of mean squared difference: a ratio of 67. Here
// the content term at conv4_2 is ContentTutorial, √(N·M)/2 per unit of mean
// squared difference, 594 for a 512 × 341 image (N = 512, M = 64·43), and
// α = 5 makes it 2968; the style term is β·k/L per unit of per-channel W2²
// on average over the L = 5 layers, 2·10⁵ with β = 10⁴ and k = 100: a ratio
// of 67 at 512 px (136 at 256 px, 55 for a 512 px square). So k = 100 lets neural-style-tf's default weights give
// crowsonkb's balance at the default size (crowsonkb's layer weights,
// 256:64:16:4:1, differ from the default equal ones). On the ImageNet VGG16
// (features on the 0–255 scale) at 256 px, chelsea in the style of
// starry_night, the weighted style term at the content image is 1.5·10¹³
// with Gram and 7.0·10¹⁰ with W2 at the default weights; with k = 1, W2
// barely changed the photograph in 100 iterations (see the gallery in
// docs/quality.md).
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
// ops with CPU and GPU kernels and registered C++ gradients are used, except
// W2's SelfAdjointEigV2, which only runs forward (see above). Like
// op.Scope itself, the builders are not safe for concurrent use on one scope;
// the GramNorm, ContentNorm, TVKind and StyleLoss values are plain values.
package loss
