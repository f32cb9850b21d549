package main

import (
	"github.com/neuralstyle/neuralstyle/internal/cli"

	// Keeps TensorFlow's C++ log lines off stderr unless -v is given.
	_ "github.com/neuralstyle/neuralstyle/tfruntime/quiet"
)

func main() {
	// Ctrl-C or SIGTERM stops the transfer within one iteration; nothing is
	// written and the exit status is non-zero.
	cli.Main(dispatch)
}
