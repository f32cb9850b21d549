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
	// Ctrl-C or SIGTERM cancels the context: the transfer stops within one
	// iteration, nothing is written and the exit status is non-zero. Once the
	// context is done the handler is removed, so a second Ctrl-C kills the
	// program at once, the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
