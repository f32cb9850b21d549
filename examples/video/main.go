package main

import (
	"github.com/neuralstyle/neuralstyle/internal/cli"

	// Keeps TensorFlow's C++ log lines off stderr unless -v is given.
	_ "github.com/neuralstyle/neuralstyle/tfruntime/quiet"
)

func main() {
	// Ctrl-C or SIGTERM stops the frame being stylized within one iteration
	// (it is not written); the frames written before it stay, and -resume
	// continues from them.
	cli.Main(run)
}
