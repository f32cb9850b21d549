// Package cli holds what the example commands share: running a command's
// run function with a context that Ctrl-C cancels, and exiting with its
// status.
package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// ExitInterrupted is the exit status of a command stopped by Ctrl-C (or
// SIGTERM, or a preview page's Stop button): 128 + SIGINT, as a shell
// reports a process killed by Ctrl-C.
const ExitInterrupted = 130

// RunFunc is a command: it parses args, does the work, writes to stdout and
// stderr, and returns the exit status. It must stop soon after ctx is done.
type RunFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// Main runs run with the process's arguments and standard streams and exits
// with its status. Ctrl-C or SIGTERM cancels the context; once it is done
// the handler is removed, so a second Ctrl-C kills the program at once, the
// default way.
func Main(run RunFunc) {
	os.Exit(Run(run, os.Args[1:], os.Stdout, os.Stderr))
}

// Run is Main without the exit: it returns run's status.
func Run(run RunFunc, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return run(ctx, args, stdout, stderr)
}
