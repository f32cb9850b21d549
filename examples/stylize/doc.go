// Command stylize renders a content image in the style of one or more style
// images with neuralstyle's style.Transfer (Gatys, Ecker and Bethge, 2016),
// and writes the result, a plot of the loss curves and, on request,
// checkpoints.
//
// Usage:
//
//	stylize -content photo.jpg -style painting.jpg [-style another.jpg ...] [flags]
//
// The flags follow cysmith/neural-style-tf's names where there is one:
//
//	-content FILE            content image (PNG, JPEG, GIF, BMP, TIFF, WebP); required
//	-style FILE              style image; repeat to blend several; at least one
//	-style-weights W1,W2,…   blend weights, one per -style (normalized; default equal)
//	-mask FILE               style mask, one per -style: white where that style applies
//	-content-weight α        content-loss weight (default 5)
//	-style-weight β          style-loss weight (default 1e4)
//	-tv-weight γ             total-variation weight (default 1e-3; 0 = off)
//	-tv-kind abs|squared     total-variation differences (default abs)
//	-content-layers L        e.g. conv4_2 (the default) or conv4_2:1,conv5_2:0.5
//	-style-layers L          default relu1_1:0.2,relu2_1:0.2,relu3_1:0.2,relu4_1:0.2,relu5_1:0.2
//	-content-norm N          tutorial, mean or half (neural-style-tf's 1, 2, 3; default tutorial)
//	-gram-norm N             tutorial or mean (default tutorial)
//	-style-loss gram|w2      style term: mean Gram matrices, or Wasserstein-2 between fitted Gaussians (default gram)
//	-iterations N            most optimizer iterations (default 1000; -converge usually stops sooner)
//	-converge LEVELS         stop when, over 50 iterations, the picture changes by less than LEVELS grey levels RMS
//	                         and the loss by less than -converge-loss (default 5 and 0.03; -converge 0: exactly -iterations)
//	-optimizer lbfgs|adam    (default lbfgs)
//	-lr R                    Adam's learning rate (default 1)
//	-early-stop TOL          stop when the loss changes by less than TOL relatively (default off)
//	-average DECAY           return an exponential moving average of the iterates (default off)
//	-max-size PX             longest side of the output (default 512)
//	-style-scale S           style images' longest side relative to the output's (default 1)
//	-multi-scale N           coarse to fine from N pixels, doubling up to -max-size (default 0: off)
//	-init content|style|noise  starting image (default content)
//	-init-image FILE         start from this image instead, resized to the output
//	-fast                    style.Fast: -optimizer lbfgs -multi-scale 256 -iterations 30 unless given
//	-noise-ratio R, -seed N  the noise start: R·noise + (1−R)·content (default 1, 0)
//	-original-colors SPACE   keep the content's colours: yuv, ycrcb, luv or lab (default off)
//	-color-match             match the style images' colour histograms to the content's
//	-pooling avg|max|l2      (default avg; l2 is the root mean square of each window)
//	-clamp-pixels=false      let the optimizer use pixel values beyond [0, 255] (default true: the losses see the image as saved)
//	-precision float32|bfloat16|float16  network arithmetic (default float32; the other two need -optimizer adam; bfloat16 needs a GPU or a CPU with bfloat16 instructions, float16 a GPU)
//	-out FILE                result, .png or .jpg (default stylized.png)
//	-quality Q               JPEG quality (default 95)
//	-plot FILE               loss plot, .png (default <out without extension>_loss.png; "" = none)
//	-checkpoint-every N      also save <out without extension>_iter<N><extension> every N iterations
//	-weights FILE            MatConvNet VGG16/VGG19 file (default $NEURALSTYLE_WEIGHTS, else ./imagenet-vgg-verydeep-19.mat,
//	                         else the ImageNet VGG16 installed by `make weights`; see vgg.FindWeights)
//	-device D                TensorFlow device, e.g. /cpu:0 or /gpu:0 (default the first GPU TensorFlow sees, else the CPU)
//	-list-devices            print the runtime (TensorFlow version, CPU-only or CUDA build) and its devices, and exit
//	-threads N|INTRA,INTER   TensorFlow thread pools (default one per core)
//	-memory-limit SIZE       memory the run may use: bytes, or 8GiB, 20GB, …; on a GPU the GPU's (default: the machine's
//	                         available memory, 85% of MemAvailable; on a GPU what TensorFlow reports for it); the memory
//	                         model picks untiled or tiled evaluation to fit, and a request that cannot fit is refused at
//	                         once, naming the memory (the GPU's or the host's) needed and available
//	-tile N, -halo N         tiled evaluation with N-pixel tiles and halo (default 0: the memory model's choice; -tile -1: never)
//	-single-pass             tiled, one pass per tile (the style residuals predicted from the last evaluations; needs -optimizer adam)
//	-quiet                   print nothing but errors
//	-v                       show TensorFlow's own C++ log lines
//
// While it runs, stylize shows a progress bar with the estimated time left
// and the current losses on stderr when stderr is a terminal, and otherwise
// prints a line to stdout every few iterations (about 20 lines per run).
// At the end it prints the files it wrote.
//
// # Failures
//
// Everything that can be checked without the weights is checked before they
// are loaded: the flags, the output directory, the input images. Any failure
// (a bad flag value, a missing or unreadable file, bad weights)
// prints exactly one line, "stylize: <error>", to stderr and exits with
// status 2 for a bad command line and 1 otherwise. Ctrl-C, SIGTERM and the
// Stop button of the -preview page stop the run within one iteration, write
// the best image so far and its plot, print one "stylize: stopped after …"
// line and exit with status 130. The result and the plot
// are each written in full under a temporary name in the output directory
// and renamed into place only when both are ready, so a failure never
// leaves a partial or new output behind and an existing file at -out is left
// as it was. Checkpoints written before a failure are kept: they are
// complete images, and keeping them is their purpose.
//
// -preview ADDR serves a live page of the run (the image, the loss curves,
// the iteration, the ETA, the settings and a Stop button; see package
// preview and docs/preview.md) and prints its URL once, at the start. An
// address without a host binds to 127.0.0.1.
//
// Before the first iteration it prints one line saying where the network
// runs ("running on /device:GPU:0 (GPU, 79.1 GiB), the default (TensorFlow
// 2.18.0, CUDA build)"). A -device that TensorFlow does not see is refused
// before the weights are loaded, with the devices it does see and, for the
// CPU-only runtime, how to install the CUDA one (see docs/gpu.md).
//
// TensorFlow writes log lines of its own to stderr (start-up notices, and on
// the CUDA build without a GPU "failed call to cuInit" and factory
// registration errors). stylize imports package tfruntime/quiet, which
// filters them out from before the library loads; -v shows them all. Errors
// still arrive as the one "stylize:" line.
//
// # Batch
//
//	stylize batch -manifest FILE [-shard I/N] [-weights FILE] [-device D] [-threads N]
//	stylize batch -report -manifest FILE
//
// runs one shard of a JSON Lines manifest of items (content, style, out and
// options named like the flags above) with one network and one graph, as a
// Slurm array task or a Kubernetes Indexed Job pod; see docs/batch.md.
package main
