package preview

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/style"
)

// BenchmarkIteration measures what the page costs a transfer per iteration:
// without the hook, with the hook and nobody watching, and with one page
// connected (the image read at most once a second, encoded and sent). It
// reports the transfer's own time per iteration, from the first to the
// last progress report, as s/iter, so that the preparation is left out, and
// the time spent inside Server.Progress (the image read included) as
// hook-s/iter.
//
// The network is $PREVIEW_BENCH_WEIGHTS (e.g. the ImageNet VGG16 of
// `make weights`), else the tiny fixture network; the images are
// examples/images/chelsea.jpg in the style of starry_night.jpg at
// $PREVIEW_BENCH_SIZE pixels (default 256). docs/preview.md has the numbers
// and the command.
func BenchmarkIteration(b *testing.B) {
	weights := os.Getenv("PREVIEW_BENCH_WEIGHTS")
	if weights == "" {
		weights = "../vgg/testdata/vgg19_new.mat"
	}
	size := 256
	if s := os.Getenv("PREVIEW_BENCH_SIZE"); s != "" {
		size = atoiOr(s, 256)
	}
	content, err := imageio.Load("../examples/images/chelsea.jpg", imageio.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	painting, err := imageio.Load("../examples/images/starry_night.jpg", imageio.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := style.NewTransferer(style.WithWeightsFile(weights), style.WithMaxSize(size), style.WithOptimizer(style.Adam(2)))
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()

	for _, mode := range []string{"no-hook", "hook", "viewer"} {
		b.Run(mode, func(b *testing.B) {
			pv, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(pv)
			var wg sync.WaitGroup
			ctx, cancel := context.WithCancel(context.Background())
			if mode == "viewer" {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events", nil)
				resp, err := ts.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer resp.Body.Close()
					_, _ = io.Copy(io.Discard, resp.Body)
				}()
				for pv.Viewers() == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			var first, last style.Progress
			var inHook time.Duration // time spent in pv.Progress
			n := max(b.N, 2)
			opts := []style.Option{style.WithIterations(n), style.WithProgress(func(p style.Progress) error {
				if p.Iteration == 1 {
					first = p
				}
				last = p
				if mode == "no-hook" {
					return nil
				}
				t0 := time.Now()
				err := pv.Progress(p)
				inHook += time.Since(t0)
				return err
			})}
			b.ResetTimer()
			if _, err := tr.Transfer(context.Background(), content, painting, opts...); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			pv.Done(nil, nil)
			b.ReportMetric((last.Elapsed-first.Elapsed).Seconds()/float64(last.Iteration-first.Iteration), "s/iter")
			b.ReportMetric(inHook.Seconds()/float64(last.Iteration), "hook-s/iter")
			b.ReportMetric(0, "ns/op")
			cancel()
			_ = pv.Close(context.Background())
			ts.Close()
			wg.Wait()
		})
	}
}

func atoiOr(s string, def int) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int(c-'0')
	}
	return n
}
