package tfutil

import (
	"runtime"
	"sync/atomic"
)

// gcEvery is how much dropped tensor memory Released lets pile up before it
// collects.
const gcEvery = 128 << 20

var dropped atomic.Int64

// Released records that tensors holding about n bytes of C memory are no
// longer referenced, and runs a garbage collection after every 128 MiB so
// recorded.
//
// graft frees a tensor's C memory in a finalizer, which runs only after a
// garbage collection, and the collector does not see C memory: a loop that
// makes a large tensor per iteration but allocates little Go memory would
// otherwise grow its resident memory without bound (graft has no explicit
// Tensor.Free). Safe for concurrent use.
func Released(n int64) {
	if n <= 0 {
		return
	}
	if dropped.Add(n) >= gcEvery {
		dropped.Store(0)
		runtime.GC()
	}
}
