package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Keeps TensorFlow's C++ log lines off stderr unless -v is given.
	_ "github.com/neuralstyle/neuralstyle/tfruntime/quiet"
)

func main() {
	// Ctrl-C or SIGTERM cancels the context: the run stops within one
	// iteration, writes nothing and exits non-zero.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
