package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// weightsEnv names the environment variable that gives the default weights
// file, as for the style package and examples/stylize.
const weightsEnv = vgg.WeightsEnv

// maxSide bounds -width and -height: far above what the tutorial needs,
// low enough that a typing mistake fails at once instead of after TensorFlow
// has tried to allocate the activations.
const maxSide = 8192

// errUsage marks a mistake in the command line (exit status 2).
var errUsage = errors.New("usage")

// options are the command-line settings of one run.
type options struct {
	weights    string // MatConvNet weights file
	content    string // content image
	style      string // style image
	out        string // output image; the extension picks the format
	iterations int    // Adam iterations; 0 skips the optimization
	width      int    // working width in pixels
	height     int    // working height in pixels
}

// loadFunc reads a weights file. run uses vgg.Load; tests substitute a
// function that returns a model made in memory.
type loadFunc func(path string) (*vgg.Model, error)

// run is the whole command: it parses args, runs the tutorial's steps,
// printing them to stdout, and returns the exit status: 0 on success, 2 for
// a mistake in the command line, 1 for any other failure. A failure prints
// exactly one line, "tutorial: <error>", to stderr and writes no output
// image.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, vgg.Load)
}

// runWith is run with the function that reads the weights file.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, load loadFunc) int {
	o, err := parseArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return fail(stderr, err)
	}
	if err := tutorial(ctx, o, load, stdout); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// fail prints err as one line and returns the exit status for it.
func fail(stderr io.Writer, err error) int {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintf(stderr, "tutorial: %s\n", msg)
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// parseArgs parses and checks the command line. -h prints the usage to
// stdout and returns flag.ErrHelp.
func parseArgs(args []string, stdout io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tutorial", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.weights, "weights", "", "MatConvNet VGG16/VGG19 weights `file` (default: $"+weightsEnv+", else ./"+vgg.DefaultWeightsFile+
		", else the ImageNet VGG16 that `make weights` installs)")
	fs.StringVar(&o.content, "content", "examples/images/chelsea.jpg", "content `image`")
	fs.StringVar(&o.style, "style", "examples/images/starry_night.jpg", "style `image`")
	fs.StringVar(&o.out, "out", "out/tutorial.png", "output `image` (.png, .jpg or .jpeg); its folder is created")
	fs.IntVar(&o.iterations, "iterations", 500, "Adam iterations (learning rate 1.0); 0 skips the optimization and writes the content image")
	fs.IntVar(&o.width, "width", 640, "working width in `pixels`; both images are resized to width×height")
	fs.IntVar(&o.height, "height", 480, "working height in `pixels`")
	fs.Bool("v", false, "show TensorFlow's own C++ log lines (hidden by default)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs)
			return o, err
		}
		return o, usagef("%v (see -h)", err)
	}
	switch {
	case fs.NArg() > 0:
		return o, usagef("unexpected argument %q (see -h)", fs.Arg(0))
	case o.iterations < 0:
		return o, usagef("-iterations %d: must be 0 or more", o.iterations)
	case o.width < 1 || o.width > maxSide:
		return o, usagef("-width %d: must be 1 to %d", o.width, maxSide)
	case o.height < 1 || o.height > maxSide:
		return o, usagef("-height %d: must be 1 to %d", o.height, maxSide)
	case o.content == "":
		return o, usagef("-content: empty file name")
	case o.style == "":
		return o, usagef("-style: empty file name")
	}
	if _, err := imageio.FormatForPath(o.out); err != nil {
		return o, usagef("-out %q: %v", o.out, err)
	}
	return o, nil
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `tutorial is a step-by-step Go port of the TensorFlow 1.3 neural style
tutorial: it prints each step (images, network, losses, Adam iterations)
and writes the stylized image.

Usage (from the repository root):
  go run ./examples/tutorial [flags]

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprint(w, `
Exit status: 0 on success, 2 for a bad command line, 1 for any other failure
(unreadable image or weights, interrupted). On failure one line
"tutorial: <error>" goes to stderr and no output image is written.
`)
}
