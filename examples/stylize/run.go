package main

import (
	"github.com/dustin/go-humanize"

	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	tf "github.com/wamuir/graft/tensorflow"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/cli"
	"github.com/neuralstyle/neuralstyle/preview"
	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/tfruntime"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// Where weights come from, for the message about a missing file.
const getWeights = "run `make weights` to install the default ImageNet VGG16, or download imagenet-vgg-verydeep-19.mat " +
	"(534 MB, MD5 106118b7cf60435e6d8e04f6a6dc3657) from https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat"

// testHookProgress, when a test sets it, is called after every iteration
// (after the progress display), for example to cancel the run part-way.
var testHookProgress func(style.Progress)

// run is the whole command: it parses args, stylizes, writes the outputs
// and returns the exit status: 0 on success, 2 for a mistake in the
// command line, 1 for any other failure. Progress and the list of files
// written go to stdout (or, as a progress bar, to stderr when that is a
// terminal); a failure prints exactly one line, "stylize: <error>", to
// stderr and leaves no output image or plot behind.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, f := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs)
			return 0
		}
		return fail(stderr, usagef("%v (see -h)", err))
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.listDevices {
		if err := listDevices(stdout); err != nil {
			return fail(stderr, err)
		}
		return 0
	}
	j, err := f.validate(fs.Args())
	if err != nil {
		return fail(stderr, err)
	}
	fs.Visit(func(fl *flag.Flag) {
		j.settings = append(j.settings, preview.Setting{Name: "-" + fl.Name, Value: fl.Value.String()})
	})
	if err := j.run(ctx, stdout, stderr); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// fail prints err as one line and returns the exit status for it.
func fail(stderr io.Writer, err error) int {
	msg := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error())
	fmt.Fprintf(stderr, "stylize: %s\n", strings.TrimSpace(msg))
	if errors.Is(err, errUsage) || errors.Is(err, style.ErrInvalidOption) {
		return 2
	}
	if errors.Is(err, errInterrupted) {
		return cli.ExitInterrupted
	}
	return 1
}

// errInterrupted marks a run stopped by Ctrl-C, SIGTERM or the preview
// page's Stop button (exit status cli.ExitInterrupted).
var errInterrupted = errors.New("interrupted")

type interruptedError struct{ msg string }

func (e *interruptedError) Error() string        { return e.msg }
func (e *interruptedError) Is(target error) bool { return target == errInterrupted }

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `stylize renders a content image in the style of one or more style images
(Gatys et al., 2016) and writes the result, a plot of the loss curves and,
on request, checkpoints.

Usage:
  stylize -content photo.jpg -style painting.jpg [-style another.jpg ...] [flags]

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprint(w, `
Exit status: 0 on success, 2 for a bad command line, 130 when interrupted
(Ctrl-C, SIGTERM or the -preview page's Stop button: the best image so far
and its plot are written first), 1 for any other failure (unreadable input,
bad weights). On failure one line "stylize: <error>" goes to stderr and no
output image or plot is written; checkpoints already written are kept.
`)
}

// run does the work of a validated command line.
func (j *job) run(ctx context.Context, stdout, stderr io.Writer) error {
	// Everything that can fail fast fails before the weights are loaded.
	if err := checkWritable("-out", j.out); err != nil {
		return err
	}
	if j.plot != "" {
		if err := checkWritable("-plot", j.plot); err != nil {
			return err
		}
	}
	content, err := loadImage("-content", j.content)
	if err != nil {
		return err
	}
	styles := make([]image.Image, len(j.styles))
	for i, path := range j.styles {
		if styles[i], err = loadImage("-style", path); err != nil {
			return err
		}
	}
	var masks []image.Image
	for _, path := range j.masks {
		var m image.Image // nil: the style applies everywhere
		if path != "" {
			if m, err = loadImage("-mask", path); err != nil {
				return err
			}
		}
		masks = append(masks, m)
	}
	var initImage image.Image
	if j.initImage != "" {
		if initImage, err = loadImage("-init-image", j.initImage); err != nil {
			return err
		}
	}
	weights, origin, err := vgg.FindWeights(j.weights)
	if err != nil {
		return fmt.Errorf("-weights: %w", err)
	}
	if err := checkWeights(weights, origin); err != nil {
		return err
	}

	say := stdout
	if j.quiet {
		say = io.Discard
	}
	b := content.Bounds()
	w, h := imageio.FitSize(b.Dx(), b.Dy(), j.maxSize)
	fmt.Fprintf(say, "stylizing %s (%d×%d) in the style of %s into %s (%d×%d): %s, %d iterations\n",
		j.content, b.Dx(), b.Dy(), strings.Join(j.styles, " + "), j.out, w, h, j.optimizer, j.iterations)

	// The page is up before the weights load, so that it can be opened at once.
	var pv *preview.Server
	if j.preview != "" {
		var stop context.CancelCauseFunc
		ctx, stop = context.WithCancelCause(ctx)
		defer stop(nil)
		var ep *preview.Endpoint
		if pv, ep, err = j.startPreview(func() { stop(preview.ErrStopped) }); err != nil {
			return err
		}
		defer func() {
			// Let the pages get the result, then stop serving.
			wait, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_ = pv.Close(wait)
			_ = ep.Close(wait)
		}()
		fmt.Fprintf(stdout, "preview: %s\n", ep.URL)
	}

	opts := append(slices.Clone(j.opts), style.WithWeightsFile(weights))
	if len(styles) > 1 {
		opts = append(opts, style.WithExtraStyles(styles[1:]...))
	}
	if len(masks) > 0 {
		opts = append(opts, style.WithStyleMasks(masks...))
	}
	if initImage != nil {
		opts = append(opts, style.WithInitImage(initImage))
	}
	var checkpoints []string
	if j.checkpointEvery > 0 {
		opts = append(opts, style.WithCheckpoint(j.checkpointEvery, func(c style.Checkpoint) error {
			path := withSuffix(j.out, fmt.Sprintf("_iter%d", c.Iteration), filepath.Ext(j.out))
			if err := imageio.Save(path, c.Image, imageio.EncodeOptions{JPEGQuality: j.quality}); err != nil {
				return err
			}
			checkpoints = append(checkpoints, path)
			if pv != nil {
				return pv.Checkpoint(c)
			}
			return nil
		}))
	}

	t, err := style.NewTransferer(opts...) // checks -device, loads the weights
	if err != nil {
		return err
	}
	fmt.Fprintf(say, "network: %s from %s (%s)\n", t.Model().Arch(), weights, origin)
	if err := sayDevice(say, j.device); err != nil {
		t.Close()
		return err
	}
	plans, err := t.Plan(content, styles[0])
	if err != nil {
		t.Close()
		return err
	}
	for _, p := range plans {
		fmt.Fprintf(say, "memory: %v\n", p)
	}
	if j.memoryLimit > 0 && len(plans) > 0 && plans[0].Device == "" {
		// On the CPU, let Go's collector work harder near the limit rather
		// than let garbage grow the heap past it. (On a GPU the limit is
		// the GPU's.)
		debug.SetMemoryLimit(j.memoryLimit)
	}
	// The progress display starts only now, so that an error before this
	// point is not printed after a blank progress bar.
	rep := newReporter(stdout, stderr, j.iterations, j.quiet)
	res, err := t.Transfer(ctx, content, styles[0], style.WithProgress(func(p style.Progress) error {
		rep.update(p)
		if testHookProgress != nil {
			testHookProgress(p)
		}
		if pv != nil {
			return pv.Progress(p)
		}
		return nil
	}))
	rep.stop()
	if pv != nil {
		if res != nil {
			pv.Done(res.Image, err)
		} else {
			pv.Done(nil, err)
		}
	}
	if cerr := t.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err() // a signal after the last iteration still means "stop, write nothing"
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// Interrupted: write the best image so far, then say so.
			if res == nil || res.Image == nil {
				return &interruptedError{fmt.Sprintf("stopped before the first iteration (%v); no output written", context.Cause(ctx))}
			}
			if werr := j.write(res, say, checkpoints); werr != nil {
				return werr
			}
			return &interruptedError{fmt.Sprintf("stopped after %d of %d iterations (%v); wrote the best image so far to %s",
				res.Iterations, j.iterations, context.Cause(ctx), j.out)}
		}
		return err
	}
	return j.write(res, say, checkpoints)
}

// write writes the result and the plot, and lists the files written.
func (j *job) write(res *style.Result, say io.Writer, checkpoints []string) error {

	// Both outputs are written completely under temporary names first, then
	// renamed into place, so that a failure leaves neither behind.
	img, err := writePending(j.out, func(w io.Writer) error {
		return imageio.Encode(w, res.Image, j.outFormat, imageio.EncodeOptions{JPEGQuality: j.quality})
	})
	if err != nil {
		return err
	}
	files := []*pendingFile{img}
	if j.plot != "" {
		title := fmt.Sprintf("%s, %s, %d iterations", filepath.Base(j.out), j.optimizer, res.Iterations)
		png, err := lossPlot(res.History, title)
		if err == nil {
			var pl *pendingFile
			pl, err = writePending(j.plot, func(w io.Writer) error {
				_, err := w.Write(png)
				return err
			})
			files = append(files, pl)
		}
		if err != nil {
			img.discard()
			return err
		}
	}
	if err := commitAll(files...); err != nil {
		return err
	}

	rb := res.Image.Bounds()
	fmt.Fprintf(say, "wrote %s (%d×%d, %d iterations, %d evaluations, %v, final loss %.4g)\n",
		j.out, rb.Dx(), rb.Dy(), res.Iterations, res.Evaluations, roundDuration(res.Elapsed), res.Loss)
	fmt.Fprintf(say, "stopped: %s\n", stopLine(res))
	if j.plot != "" {
		fmt.Fprintf(say, "wrote %s (loss curves)\n", j.plot)
	}
	if j.verbose {
		fmt.Fprintf(say, "host traffic: %d Session runs, %s fed, %s fetched; %.0f bytes per iteration\n",
			res.Traffic.Runs, humanize.IBytes(uint64(res.Traffic.Fed)), humanize.IBytes(uint64(res.Traffic.Fetched)), res.HostBytesPerIteration)
	}
	for _, c := range checkpoints {
		fmt.Fprintf(say, "wrote %s (checkpoint)\n", c)
	}
	return nil
}

// listDevices prints the loaded TensorFlow runtime and its devices, one a
// line, for -list-devices.
func listDevices(w io.Writer) error {
	devices, err := tfruntime.Devices()
	if err != nil {
		return err
	}
	v, err := tfruntime.LoadedVariant()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "TensorFlow %s, %s build\n", tf.Version(), v)
	for _, d := range devices {
		fmt.Fprintf(w, "%-34s %s\n", d, d.Name)
	}
	if def, err := tfruntime.Default(); err == nil {
		fmt.Fprintf(w, "default device: %s\n", def.Short())
	}
	return nil
}

// sayDevice prints, once per run, where the network runs.
func sayDevice(w io.Writer, device string) error {
	var d tfruntime.Device
	var err error
	if device == "" {
		d, err = tfruntime.Default()
	} else {
		d, err = tfruntime.Lookup(device)
	}
	if err != nil {
		return err
	}
	v, err := tfruntime.LoadedVariant()
	if err != nil {
		return err
	}
	how := "the default"
	if device != "" {
		how = "-device " + device
	}
	fmt.Fprintf(w, "running on %s, %s (TensorFlow %s, %s build)\n", d, how, tf.Version(), v)
	return nil
}

// loadImage decodes the image file at path; its errors name the flag and
// the file.
func loadImage(flagName, path string) (image.Image, error) {
	img, err := imageio.Load(path, imageio.DecodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	return img, nil
}

// checkWeights catches the commonest mistake, a weights file that is not
// there, with a message that says where to get it and, for $NEURALSTYLE_WEIGHTS,
// where the name came from.
func checkWeights(path string, origin vgg.WeightsOrigin) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && origin == vgg.FromEnv:
		return fmt.Errorf("-weights %q (from $%s): no such file; %s", path, style.WeightsEnv, getWeights)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("-weights %q: no such file; %s", path, getWeights)
	case err != nil:
		return fmt.Errorf("-weights %q: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("-weights %q: is a directory, want the .mat file", path)
	}
	return nil
}

// startPreview serves the -preview page; stop is its Stop button.
func (j *job) startPreview(stop func()) (*preview.Server, *preview.Endpoint, error) {
	var hosts []string
	if h, _, err := net.SplitHostPort(j.preview); err == nil && h != "" {
		hosts = append(hosts, h) // the name the user gave is allowed in the Host header
	}
	pv, err := preview.New(preview.Config{
		Title:    fmt.Sprintf("%s in the style of %s", filepath.Base(j.content), strings.Join(bases(j.styles), " + ")),
		Settings: j.settings,
		Stop:     stop,
		Hosts:    hosts,
	})
	if err != nil {
		return nil, nil, err
	}
	ep, err := preview.Listen(j.preview, pv)
	if err != nil {
		_ = pv.Close(context.Background())
		return nil, nil, fmt.Errorf("-preview %s: %w", j.preview, err)
	}
	return pv, ep, nil
}

// bases returns the file names of paths, without their folders.
func bases(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// stopLine says why a run ended, with the convergence rule's last measure.
func stopLine(res *style.Result) string {
	if res.Stop == style.StopConverged {
		return fmt.Sprintf("converged (over the last %d iterations the picture changed by %.2f grey levels RMS and the loss by %.1f %%)",
			style.DefaultConvergence.Window, res.Change, -100*res.LossDecrease)
	}
	return res.Stop.String()
}
