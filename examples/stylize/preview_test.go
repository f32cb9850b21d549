package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/cli"
)

// syncBuffer is a bytes.Buffer that a running command writes to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// chromium is the browser that scripts/chromium.sh installs (`make test`
// runs it first). The test fails, it does not skip, without one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on $PATH: run scripts/chromium.sh (as root it installs Debian's chromium)")
	return ""
}

// jsUntil evaluates expr in the page every 100 ms until ok accepts its
// value, or fails the test after a bounded wait.
func jsUntil(t *testing.T, ctx context.Context, what, expr string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var v string
	for time.Now().Before(deadline) {
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &v)); err == nil && ok(v) {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within 90 s (last value %q)", what, v)
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestPreviewInBrowser runs stylize -preview on the fixture network, opens
// the page in headless Chromium and checks that the image appears and
// changes, that the curve grows, and that the Stop button ends the run the
// way Ctrl-C does: the best image so far is written, and the exit status is
// that of an interrupt.
func TestPreviewInBrowser(t *testing.T) {
	browser := chromium(t)
	in := newInputs(t)
	out := filepath.Join(t.TempDir(), "out.png")
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	runCtx, stopRun := context.WithCancel(context.Background())
	defer func() {
		stopRun()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("the run did not end")
		}
	}()
	go func() {
		done <- run(runCtx, []string{"-content", in.content, "-style", in.style, "-weights", fixtureWeights,
			"-out", out, "-iterations", "1000000", "-converge", "0", "-max-size", "48", "-optimizer", "adam", "-lr", "4",
			"-preview", "127.0.0.1:0", "-quiet"}, &stdout, &stderr)
	}()

	urlRE := regexp.MustCompile(`preview: (http://127\.0\.0\.1:[0-9]+/)\n`)
	var url string
	require.Eventually(t, func() bool {
		m := urlRE.FindStringSubmatch(stdout.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 60*time.Second, 20*time.Millisecond, "the URL is printed at the start; stderr: %s", stderr.String())
	assert.Len(t, urlRE.FindAllString(stdout.String(), -1), 1, "once")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1200, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	require.NoError(t, chromedp.Run(bctx, chromedp.Navigate(url)))

	// The image appears, then changes.
	seq := `document.getElementById('frame').dataset.seq`
	first := atoi(jsUntil(t, bctx, "an image", seq, func(v string) bool { return atoi(v) > 0 }))
	var src1 string
	require.NoError(t, chromedp.Run(bctx, chromedp.Evaluate(`document.getElementById('frame').src`, &src1)))
	assert.Regexp(t, `^data:image/jpeg;base64,`, src1)
	var visible bool
	require.NoError(t, chromedp.Run(bctx, chromedp.Evaluate(`!document.getElementById('frame').hidden && document.getElementById('frame').naturalWidth > 0`, &visible)))
	assert.True(t, visible, "the image is shown")
	jsUntil(t, bctx, "a new image", seq, func(v string) bool { return atoi(v) > first })
	var src2 string
	require.NoError(t, chromedp.Run(bctx, chromedp.Evaluate(`document.getElementById('frame').src`, &src2)))
	assert.NotEqual(t, src1, src2, "the image changed")

	// The curve grows.
	points := `document.getElementById('curves').dataset.points`
	p1 := atoi(jsUntil(t, bctx, "a curve", points, func(v string) bool { return atoi(v) > 1 }))
	jsUntil(t, bctx, "a longer curve", points, func(v string) bool { return atoi(v) > p1 })
	jsUntil(t, bctx, "the iteration", `document.getElementById('iteration').textContent`,
		func(v string) bool { return regexp.MustCompile(`^[0-9]+ / 1000000$`).MatchString(v) })

	// Stop ends the run as Ctrl-C does.
	require.NoError(t, chromedp.Run(bctx, chromedp.WaitEnabled("#stop", chromedp.ByID), chromedp.Click("#stop", chromedp.ByID)))
	var code int
	select {
	case code = <-done:
		done <- code // for the deferred wait
	case <-time.After(60 * time.Second):
		t.Fatal("Stop did not end the run within 60 s")
	}
	assert.Equal(t, cli.ExitInterrupted, code)
	assert.Regexp(t, `^stylize: stopped after [0-9]+ of 1000000 iterations \(preview: stopped from the page\); wrote the best image so far to `, stderr.String())
	img, err := imageio.Load(out, imageio.DecodeOptions{})
	require.NoError(t, err, "the best image so far is written")
	assert.Equal(t, 48, max(img.Bounds().Dx(), img.Bounds().Dy()))
	// The page received the end before the program stopped serving, and
	// keeps the result.
	jsUntil(t, bctx, "the status", `document.getElementById('status').textContent`, func(v string) bool { return v == "stopped" })
	var kept bool
	require.NoError(t, chromedp.Run(bctx, chromedp.Evaluate(`document.getElementById('frame').naturalWidth > 0`, &kept)))
	assert.True(t, kept, "the page keeps the image")
}
