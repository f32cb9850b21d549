//go:build linux || darwin

package optim_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) used by the process so
// far. Benchmarks report it because it is less disturbed than wall-clock
// time by other processes on a busy machine.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
