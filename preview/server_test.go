package preview

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/neuralstyle/neuralstyle/style"
)

// TestMain fails the package if any test leaves a goroutine running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testImage(w, h int, v uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 3), v, uint8(y * 5), 255})
		}
	}
	return img
}

// newServer starts a Server behind an httptest server; both are closed
// when the test ends.
func newServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, s.Close(ctx))
		ts.Close()
	})
	return s, ts
}

// feed makes n progress calls whose images count reads.
func feed(s *Server, from, n int, reads *atomic.Int32) {
	for i := from; i < from+n; i++ {
		_ = s.progress(style.Progress{Iteration: i, Iterations: 1000, Loss: 100 / float64(i), Content: 1, Style: 50 / float64(i),
			TV: .1, Scale: 1, Scales: 1, Width: 16, Height: 12, Elapsed: time.Duration(i) * time.Millisecond},
			func() (*image.RGBA, error) {
				reads.Add(1)
				return testImage(16, 12, uint8(i)), nil
			})
	}
}

// events reads the messages of an event stream into a channel until the
// body ends.
func events(t *testing.T, body io.Reader) <-chan message {
	ch := make(chan message, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var m message
			if json.Unmarshal([]byte(line), &m) == nil {
				select {
				case ch <- m:
				default: // the test stopped reading
				}
			}
		}
	}()
	return ch
}

// until reads messages until ok holds for one, within a bounded wait.
func until(t *testing.T, ch <-chan message, ok func(message) bool) message {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m, open := <-ch:
			require.True(t, open, "the stream ended")
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatal("no such message within 20 s")
		}
	}
}

func openEvents(t *testing.T, ctx context.Context, ts *httptest.Server) (*http.Response, <-chan message) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events", nil)
	require.NoError(t, err)
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return resp, events(t, resp.Body)
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{{FrameInterval: -1}, {EventInterval: -time.Second}, {JPEGQuality: 101}, {JPEGQuality: -1}} {
		_, err := New(cfg)
		assert.Error(t, err)
	}
}

// No image is read while nobody watches; with a page, the image is read at
// most once per FrameInterval.
func TestImageReadOnlyWhileWatched(t *testing.T) {
	s, ts := newServer(t, Config{FrameInterval: time.Hour})
	var reads atomic.Int32
	feed(s, 1, 50, &reads)
	assert.Zero(t, reads.Load(), "no viewer, no read")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, ch := openEvents(t, ctx, ts)
	defer resp.Body.Close()
	until(t, ch, func(m message) bool { return m.Viewers == 1 })
	feed(s, 51, 50, &reads)
	m := until(t, ch, func(m message) bool { return m.Frame != "" })
	assert.True(t, strings.HasPrefix(m.Frame, "data:image/jpeg;base64,"))
	assert.Equal(t, 51, m.FrameIteration)
	assert.Equal(t, int32(1), reads.Load(), "one read per FrameInterval (an hour here)")
}

// Many clients at once all see the image and the curve; the feed never
// waits for them.
func TestConcurrentClients(t *testing.T) {
	s, ts := newServer(t, Config{FrameInterval: time.Millisecond, EventInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const clients = 8
	var wg sync.WaitGroup
	for range clients {
		resp, ch := openEvents(t, ctx, ts)
		defer resp.Body.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			points := 0
			deadline := time.After(20 * time.Second)
			for {
				select {
				case m, ok := <-ch:
					if !ok {
						return
					}
					if m.ResetPoints {
						points = 0
					}
					points += len(m.Points)
					if m.Status == Finished && points >= 200 && m.FrameSeq > 0 {
						return
					}
				case <-deadline:
					t.Error("a client did not see the end")
					return
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return s.Viewers() == clients }, 10*time.Second, time.Millisecond)
	var reads atomic.Int32
	feed(s, 1, 200, &reads)
	s.Done(testImage(16, 12, 7), nil)
	wg.Wait()
	assert.Positive(t, reads.Load())
}

// A slow reader holds nothing up: the feed finishes while it does not read,
// and it later gets the latest state, with the frames in between skipped.
func TestSlowAndDisconnectingClients(t *testing.T) {
	s, ts := newServer(t, Config{FrameInterval: time.Nanosecond, EventInterval: time.Nanosecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// A client that connects, reads one message and goes away mid-stream.
	gone, goneCh := openEvents(t, ctx, ts)
	until(t, goneCh, func(message) bool { return true })
	require.NoError(t, gone.Body.Close())

	// A client that never reads its body.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events", nil)
	require.NoError(t, err)
	stuck, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer stuck.Body.Close()

	var reads atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		feed(s, 1, 3000, &reads)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the feed waited for a client")
	}
	require.Eventually(t, func() bool { return s.Viewers() == 1 }, 10*time.Second, time.Millisecond, "the client that left is gone")

	live, ch := openEvents(t, ctx, ts)
	defer live.Body.Close()
	m := until(t, ch, func(m message) bool { return m.Iteration == 3000 })
	assert.True(t, m.ResetPoints)
	assert.LessOrEqual(t, len(m.Points), MaxPoints, "the curve is thinned out")
	assert.Greater(t, len(m.Points), MaxPoints/4)
}

func TestMethodsAndPaths(t *testing.T) {
	s, ts := newServer(t, Config{Title: "<b>x</b>", Settings: []Setting{{"iterations", "500"}}})
	tests := []struct {
		method, path string
		want         int
		contentType  string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/app.css", 200, "text/css; charset=utf-8"},
		{"GET", "/frame.jpg", 404, ""},
		{"GET", "/stop", 405, ""},
		{"POST", "/", 405, ""},
		{"PUT", "/events", 405, ""},
		{"DELETE", "/app.js", 405, ""},
		{"GE", "/", 405, ""},
		{"GET", "/assets/index.html", 404, ""},
		{"GET", "/../../etc/passwd", 404, ""},
		{"GET", "/preview.go", 404, ""},
		{"GET", "/app.js/", 404, ""},
		{"GET", "/%2e%2e/go.mod", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode, string(body))
			if tt.contentType != "" {
				assert.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
			}
			if tt.want == 405 {
				assert.NotEmpty(t, resp.Header.Get("Allow"))
			}
		})
	}
	// The page escapes the title and carries the token and the settings.
	resp, err := ts.Client().Get(ts.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "&lt;b&gt;x&lt;/b&gt;")
	assert.Contains(t, string(body), s.Token())
	assert.Contains(t, string(body), "<th>iterations</th><td>500</td>")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")

	// After all that, the run goes on.
	var reads atomic.Int32
	assert.NoError(t, s.progress(style.Progress{Iteration: 1, Iterations: 2, Scale: 1, Scales: 1}, nil))
	s.Done(testImage(8, 8, 1), nil)
	require.Eventually(t, func() bool {
		r, err := ts.Client().Get(ts.URL + "/frame.jpg")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == 200 && r.Header.Get("Content-Type") == "image/jpeg"
	}, 10*time.Second, 5*time.Millisecond)
	assert.Zero(t, reads.Load())
}

func TestHostCheck(t *testing.T) {
	s, err := New(Config{Hosts: []string{"studio.lan"}})
	require.NoError(t, err)
	defer s.Close(context.Background())
	for host, want := range map[string]int{
		"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:80": 200, "10.1.2.3": 200, "studio.lan:80": 200,
		"evil.example:8080": 403, "": 403,
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		assert.Equal(t, want, rec.Code, host)
	}
}

func TestStopToken(t *testing.T) {
	var stops atomic.Int32
	s, ts := newServer(t, Config{Stop: func() { stops.Add(1) }})
	require.NoError(t, s.progress(style.Progress{Iteration: 1, Iterations: 10, Scale: 1, Scales: 1}, nil))
	post := func(body, header, origin string) int {
		req, err := http.NewRequest("POST", ts.URL+"/stop", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header != "" {
			req.Header.Set("X-Preview-Token", header)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	u, _ := url.Parse(ts.URL)
	tests := []struct {
		name, body, header, origin string
		want                       int
	}{
		{name: "no token", want: 403},
		{name: "wrong token", body: "token=" + strings.Repeat("0", 32), want: 403},
		{name: "token prefix", body: "token=" + s.Token()[:8], want: 403},
		{name: "other site", body: "token=" + s.Token(), origin: "https://evil.example", want: 403},
		{name: "huge body", body: "token=" + strings.Repeat("a", 10<<10), want: 400},
		{name: "header token", header: s.Token(), origin: "http://" + u.Host, want: 202},
		{name: "again", body: "token=" + s.Token(), want: 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, post(tt.body, tt.header, tt.origin))
		})
	}
	assert.Equal(t, int32(1), stops.Load(), "Stop is called once")
	s.Done(nil, context.Canceled)
	assert.Equal(t, 409, post("token="+s.Token(), "", ""), "after the run")
}

// Without Config.Stop, the progress hook ends the run with ErrStopped.
func TestStopWithoutFunc(t *testing.T) {
	s, ts := newServer(t, Config{})
	p := style.Progress{Iteration: 1, Iterations: 10, Scale: 1, Scales: 1}
	require.NoError(t, s.progress(p, nil))
	resp, err := ts.Client().PostForm(ts.URL+"/stop", url.Values{"token": {s.Token()}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 202, resp.StatusCode)
	assert.ErrorIs(t, s.progress(p, nil), ErrStopped)
	s.Done(nil, ErrStopped)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, Stopped, s.status)
}

// Close returns while streams are open, and ends them.
func TestCloseEndsStreams(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, ch := openEvents(t, context.Background(), ts)
	defer resp.Body.Close()
	until(t, ch, func(m message) bool { return m.Viewers == 1 })
	s.Done(testImage(8, 8, 3), errors.New("out of memory"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Close(ctx))
	m := until(t, ch, func(m message) bool { return m.Status == Failed && m.FrameSeq == 1 })
	assert.Equal(t, "out of memory", m.Message)
	for range ch { // the stream ends
	}
	r, err := ts.Client().Get(ts.URL + "/events")
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
	require.NoError(t, s.Close(ctx), "idempotent")
}

func TestAddFrame(t *testing.T) {
	s, ts := newServer(t, Config{})
	require.Error(t, s.AddFrame(image.NewRGBA(image.Rect(0, 0, 0, 0)), "empty"))
	require.NoError(t, s.AddFrame(testImage(400, 200, 1), "frame 1"))
	require.NoError(t, s.AddFrame(testImage(400, 200, 2), "frame 2"))
	s.SetLabel("frame 3 of 3")
	resp, ch := openEvents(t, context.Background(), ts)
	defer resp.Body.Close()
	m := until(t, ch, func(m message) bool { return len(m.Strip) == 2 })
	assert.Equal(t, "frame 3 of 3", m.Label)
	assert.Equal(t, "frame 2", m.Strip[1].Label)
}

func TestResolveAddr(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: ":8080", want: "127.0.0.1:8080"},
		{in: "8080", want: "127.0.0.1:8080"},
		{in: ":0", want: "127.0.0.1:0"},
		{in: "0.0.0.0:80", want: "0.0.0.0:80"},
		{in: "localhost:9000", want: "localhost:9000"},
		{in: "[::1]:9000", want: "[::1]:9000"},
		{in: "", err: "empty address"},
		{in: "host", err: "want host:port"},
		{in: ":99999", err: "port"},
		{in: ":http", err: "port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ResolveAddr(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestListen(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	ep, err := Listen(":0", s)
	require.NoError(t, err)
	assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+/$`, ep.URL)
	resp, err := http.Get(ep.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	require.NoError(t, s.Close(context.Background()))
	require.NoError(t, ep.Close(context.Background()))
}
