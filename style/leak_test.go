package style

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Every session a transfer opens is closed: by Transfer itself, by
// Transferer.Close, and on the error paths.
func TestSessionsAreClosed(t *testing.T) {
	require.Zero(t, liveSessions.Load())
	_, err := transfer(t, WithIterations(3))
	require.NoError(t, err)
	assert.Zero(t, liveSessions.Load(), "after a one-shot Transfer")

	ctx, cancel := context.WithCancel(context.Background())
	_, err = Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithProgress(func(Progress) error { cancel(); return nil }))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, liveSessions.Load(), "after a cancelled Transfer")

	tr, err := NewTransferer(WithModel(fixtureModel(t)), WithIterations(2), WithMaxSize(40))
	require.NoError(t, err)
	for _, w := range []int{40, 30, 40} {
		_, err := tr.Transfer(context.Background(), contentImage(w, 32), styleImage(36, 36))
		require.NoError(t, err)
		assert.Equal(t, int64(1), liveSessions.Load(), "a Transferer holds one session at a time")
	}
	require.NoError(t, tr.Close())
	assert.Zero(t, liveSessions.Load(), "after Transferer.Close")
}

// rssBytes reads the resident set size of this process.
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// 200 small one-shot transfers in one process: the Go heap, the resident
// memory and the goroutine count stay flat, and every session is closed.
// The first transfers warm TensorFlow's caches and thread pools; growth is
// measured from transfer 50 on.
func TestRepeatedTransfersDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("200 transfers; skipped with -short")
	}
	const warm, total = 50, 200
	m := fixtureModel(t)
	content, painting := contentImage(24, 24), styleImage(20, 20)
	var heap0, rss0 int64
	goroutines0 := runtime.NumGoroutine()
	for i := 0; i < total; i++ {
		_, err := Transfer(context.Background(), content, painting, WithModel(m), WithMaxSize(24), WithIterations(2), WithThreads(1, 1))
		require.NoError(t, err)
		if i == warm-1 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap0, rss0 = int64(ms.HeapAlloc), rssBytes(t)
		}
	}
	runtime.GC()
	runtime.GC() // a second cycle runs the finalizers the first one queued
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap1, rss1 := int64(ms.HeapAlloc), rssBytes(t)
	t.Logf("after %d transfers: Go heap %.1f → %.1f MB, RSS %.1f → %.1f MB, goroutines %d → %d",
		total-warm, float64(heap0)/1e6, float64(heap1)/1e6, float64(rss0)/1e6, float64(rss1)/1e6, goroutines0, runtime.NumGoroutine())
	assert.Zero(t, liveSessions.Load(), "every session closed")
	assert.Less(t, heap1-heap0, int64(8<<20), "Go heap growth over %d transfers", total-warm)
	assert.Less(t, rss1-rss0, int64(64<<20), "RSS growth over %d transfers", total-warm)
	assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines0+2, "goroutines back to the baseline")
}
