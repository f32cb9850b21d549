//go:build linux

package quiet

/*
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int quiet_verbose = 0; // -v on the command line
static int quiet_held = -1;   // memfd holding fd 2's output while loading
static int quiet_saved = -1;  // the original fd 2
static volatile sig_atomic_t quiet_loading = 0;

static int is_verbose_flag(const char *a) {
	if (a[0] != '-') return 0;
	if (a[1] == '-') a++;
	return strcmp(a, "-v") == 0 || strcmp(a, "-v=true") == 0 || strcmp(a, "-v=1") == 0;
}

// quiet_dump copies what was held to the original stderr.
static void quiet_dump(void) {
	char buf[4096];
	ssize_t n;
	off_t off = 0;
	while ((n = pread(quiet_held, buf, sizeof buf, off)) > 0) {
		off += n;
		if (write(quiet_saved, buf, (size_t)n) < 0) break;
	}
}

static void quiet_abort(int sig) {
	if (quiet_loading) {
		quiet_loading = 0;
		quiet_dump();
		dup2(quiet_saved, 2);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void quiet_preinit(int argc, char **argv, char **envp) {
	(void)envp;
	for (int i = 1; i < argc && argv[i] != 0; i++) {
		if (strcmp(argv[i], "--") == 0) break;
		if (is_verbose_flag(argv[i])) quiet_verbose = 1;
	}
	if (quiet_verbose) return;
	int held = memfd_create("neuralstyle-tf-log", MFD_CLOEXEC);
	if (held < 0) return;
	int saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (saved < 0) { close(held); return; }
	quiet_held = held;
	quiet_saved = saved;
	quiet_loading = 1;
	signal(SIGABRT, quiet_abort);
	dup2(held, 2);
}

__attribute__((section(".preinit_array"), used))
static void (*quiet_preinit_ptr)(int, char **, char **) = quiet_preinit;

// quiet_take ends the hold: it returns the memfd (for Go to read and close)
// and the original stderr, or -1s if nothing was held.
static void quiet_take(int *held, int *saved) {
	quiet_loading = 0;
	*held = quiet_held;
	*saved = quiet_saved;
	quiet_held = quiet_saved = -1;
}

static int quiet_is_verbose(void) { return quiet_verbose; }
*/
import "C"

import (
	"io"
	"os"
	"runtime/debug"
	"syscall"
)

// Verbose reports whether the command line asked for TensorFlow's logging
// with -v, in which case nothing is filtered.
func Verbose() bool { return C.quiet_is_verbose() != 0 }

// Filtering reports whether file descriptor 2 is being filtered.
func Filtering() bool { return filtering }

var filtering bool

func init() {
	var held, saved C.int
	C.quiet_take(&held, &saved)
	if held < 0 {
		return
	}
	// Each descriptor gets one *os.File, closed through it: an os.File's
	// finalizer closes its descriptor, which must not happen to a number
	// that has been reused since.
	heldFile := os.NewFile(uintptr(held), "held")
	loaded, _ := io.ReadAll(io.NewSectionReader(heldFile, 0, 1<<30))
	heldFile.Close()
	out := os.NewFile(uintptr(saved), "/dev/stderr")
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		// No pipe: give back descriptor 2 unfiltered, with what was held.
		out.Write(loaded)
		syscall.Dup3(int(saved), 2, 0)
		out.Close()
		return
	}
	syscall.Dup3(p[1], 2, 0)
	syscall.Close(p[1])
	os.Stderr = out
	debug.SetCrashOutput(out, debug.CrashOptions{})
	f := newFilter(out)
	f.Write(loaded)
	filtering = true
	go pump(os.NewFile(uintptr(p[0]), "tensorflow-log"), f)
}

// pump feeds what TensorFlow writes to descriptor 2 through the filter, for
// the life of the process. (A test binary that checks for leaked goroutines
// ignores it with goleak.IgnoreAnyFunction of this function's name.)
func pump(r *os.File, f *filter) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			f.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}
