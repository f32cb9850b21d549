package vgg

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkLoadFullSize loads a synthetic file of the real size and layout: the
// new MatConvNet layout, uncompressed as vlfeat ships it, full-width VGG19
// convolutions (80 MB) and the fully connected layers fc6 7×7×512×4096, fc7
// 1×1×4096×4096 and fc8 1×1×4096×1000 (about 495 MB), all random. The file is
// written to b.TempDir() before the timed loop.
//
// Reported besides time per load and throughput:
//
//	peak-heap-MB   the largest heap (live objects) seen during a load, above the
//	               heap before it, sampled every 200 µs; includes the model kept
//	alloc-MB/op    bytes allocated per load: an upper bound of the heap growth
//	weights-MB     the conv weights the model keeps (the floor of both)
//	file-MB        the size of the file
func BenchmarkLoadFullSize(b *testing.B) {
	path := filepath.Join(b.TempDir(), "imagenet-vgg-verydeep-19.mat")
	var weights int
	func() {
		spec := fileSpec{arch: VGG19, widths: fullWidths, fc: [3]int{4096, 4096, 1000}, seed: 19}
		convs := synthConvs(VGG19, fullWidths, spec.seed)
		for _, c := range convs {
			weights += 4 * (len(c.Kernel) + len(c.Bias))
		}
		def := buildDef(b, spec, convs)
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		writeDef(b, f, def, spec)
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	runtime.GC()
	debug.FreeOSMemory()

	var peak uint64
	var allocated uint64
	loads := 0
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := heapLive()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		stop := sampleHeap()
		b.StartTimer()

		m, err := Load(path)

		b.StopTimer()
		top := stop()
		runtime.ReadMemStats(&ms1)
		if err != nil {
			b.Fatal(err)
		}
		if m.Arch() != VGG19 {
			b.Fatalf("arch %v", m.Arch())
		}
		peak = max(peak, top-min(top, base))
		allocated += ms1.TotalAlloc - ms0.TotalAlloc
		loads++
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(allocated)/float64(loads)/1e6, "alloc-MB/op")
	b.ReportMetric(float64(weights)/1e6, "weights-MB")
	b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
}

// heapLive returns the bytes of heap objects (live, plus dead ones not yet swept).
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap samples heapLive every 200 µs until the returned function is
// called, which returns the largest value seen.
func sampleHeap() (stop func() uint64) {
	var (
		mu   sync.Mutex
		top  = heapLive()
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v := heapLive()
				mu.Lock()
				top = max(top, v)
				mu.Unlock()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		v := heapLive()
		mu.Lock()
		defer mu.Unlock()
		return max(top, v)
	}
}
