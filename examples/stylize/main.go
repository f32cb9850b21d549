package main

import (
	"github.com/neuralstyle/neuralstyle/internal/cli"

	// Keeps TensorFlow's C++ log lines off stderr unless -v is given.
	_ "github.com/neuralstyle/neuralstyle/tfruntime/quiet"
)

func main() {
	// Ctrl-C or SIGTERM (or -preview's Stop button) stops the transfer
	// within one iteration; the best image so far is written and the exit
	// status is 130.
	cli.Main(dispatch)
}
