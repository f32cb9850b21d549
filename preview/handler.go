package preview

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed assets/index.html assets/app.js assets/app.css
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/index.html"))

// appJS and appCSS are the page's script and style sheet.
var appJS, appCSS = mustRead("assets/app.js"), mustRead("assets/app.css")

func mustRead(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // the file is embedded: only a broken build gets here
	}
	return b
}

// The page's Content-Security-Policy: its own script, style and images, and
// data: images; nothing else, and no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// maxStopBody is the largest body a Stop request may have, in bytes.
const maxStopBody = 4 << 10

// keepAlive is how often an idle event stream sends a comment, so that a
// page that went away is noticed.
const keepAlive = 15 * time.Second

// writeTimeout bounds one write to a page; a page that reads slower is
// dropped (its EventSource reconnects).
const writeTimeout = 10 * time.Second

// ServeHTTP serves the page (GET /), its script and style sheet
// (/app.js, /app.css), the event stream (/events), the current image
// (/frame.jpg) and Stop (POST /stop). Other paths get 404, other methods
// 405, a Host header that is not allowed 403; none of them affects the run.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if !s.allowedHost(r.Host) {
		http.Error(w, "preview: host "+strconv.Quote(r.Host)+" not allowed", http.StatusForbidden)
		return
	}
	var allow string
	switch r.URL.Path {
	case "/", "/index.html":
		allow = "GET, HEAD"
	case "/app.js", "/app.css", "/frame.jpg", "/events":
		allow = "GET, HEAD"
	case "/stop":
		allow = "POST"
	default:
		http.NotFound(w, r)
		return
	}
	ok := r.Method == http.MethodGet || r.Method == http.MethodHead
	if allow == "POST" {
		ok = r.Method == http.MethodPost
	}
	if !ok {
		h.Set("Allow", allow)
		http.Error(w, "preview: method "+r.Method+" not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/", "/index.html":
		s.servePage(w, r)
	case "/app.js":
		serveBytes(w, r, "text/javascript; charset=utf-8", appJS)
	case "/app.css":
		serveBytes(w, r, "text/css; charset=utf-8", appCSS)
	case "/frame.jpg":
		s.serveFrame(w, r)
	case "/events":
		s.serveEvents(w, r)
	case "/stop":
		s.serveStop(w, r)
	}
}

// allowedHost reports whether a request's Host header names an IP address,
// localhost or one of Config.Hosts: a DNS-rebinding site's name is none of
// these.
func (s *Server) allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, a := range s.cfg.Hosts {
		if a == "*" || a == host {
			return true
		}
	}
	return false
}

func serveBytes(w http.ResponseWriter, r *http.Request, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	err := page.Execute(&buf, struct {
		Title    string
		Token    string
		Settings []Setting
	}{s.cfg.Title, s.token, s.cfg.Settings})
	if err != nil {
		http.Error(w, "preview: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Frame-Options", "DENY")
	serveBytes(w, r, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Server) serveFrame(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	frame, iter := s.frame, s.frameIter
	s.mu.Unlock()
	if frame == nil {
		http.Error(w, "preview: no image yet", http.StatusNotFound)
		return
	}
	w.Header().Set("X-Preview-Iteration", strconv.Itoa(iter))
	serveBytes(w, r, "image/jpeg", frame)
}

func (s *Server) serveStop(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			http.Error(w, "preview: cross-origin Stop refused", http.StatusForbidden)
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxStopBody)
	tok := r.Header.Get("X-Preview-Token")
	if tok == "" {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "preview: bad form: "+err.Error(), http.StatusBadRequest)
			return
		}
		tok = r.PostForm.Get("token")
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
		http.Error(w, "preview: missing or wrong token", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		http.Error(w, "preview: the run has ended", http.StatusConflict)
		return
	}
	s.stopped = true
	s.status = Stopping
	s.bump()
	s.mu.Unlock()
	if s.cfg.Stop != nil {
		s.stopOnce.Do(s.cfg.Stop)
	}
	w.WriteHeader(http.StatusAccepted)
}

// cursor is what one event stream has sent.
type cursor struct {
	seq      uint64 // the Server's seq when the last message was built
	sent     bool   // a message has been sent
	gen      int
	points   int // points of generation gen sent
	frameSeq int
	stripGen int
	strip    int
}

// message is one event: the state, and what the page has not seen yet.
type message struct {
	Status      Status  `json:"status"`
	Message     string  `json:"message,omitempty"`
	Label       string  `json:"label,omitempty"`
	Iteration   int     `json:"iteration"`
	Iterations  int     `json:"iterations"`
	Scale       int     `json:"scale"`
	Scales      int     `json:"scales"`
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	Evaluations int     `json:"evaluations"`
	Loss        float64 `json:"loss"`
	Content     float64 `json:"content"`
	Style       float64 `json:"style"`
	TV          float64 `json:"tv"`
	Terms       float64 `json:"terms"`
	Elapsed     float64 `json:"elapsed"`  // seconds
	ETA         float64 `json:"eta"`      // seconds; -1: unknown
	ETAScale    bool    `json:"etaScale"` // the ETA is of the current scale only
	Viewers     int     `json:"viewers"`  // pages connected
	ImageError  string  `json:"imageError,omitempty"`

	// ResetPoints: drop the points shown, then append Points (each
	// [n, scale, loss, content, style, tv, terms]).
	ResetPoints bool         `json:"resetPoints,omitempty"`
	Points      [][7]float64 `json:"points,omitempty"`
	// Frame is a new image (a data: URL) of iteration FrameIteration.
	Frame          string `json:"frame,omitempty"`
	FrameIteration int    `json:"frameIteration,omitempty"`
	FrameSeq       int    `json:"frameSeq"`
	// ResetStrip: drop the strip shown, then append Strip.
	ResetStrip bool        `json:"resetStrip,omitempty"`
	Strip      []stripItem `json:"strip,omitempty"`
}

// next builds the message for c, or returns nil when c has seen it all.
// s.mu must be held.
func (s *Server) next(c *cursor) *message {
	if c.sent && c.seq == s.seq {
		return nil
	}
	p := s.last
	m := &message{
		Status: s.status, Message: s.message, Label: s.label,
		Iteration: p.Iteration, Iterations: p.Iterations, Scale: p.Scale, Scales: p.Scales,
		Width: p.Width, Height: p.Height, Evaluations: p.Evaluations,
		Loss: finite(p.Loss), Content: finite(p.Content), Style: finite(p.Style), TV: finite(p.TV), Terms: finite(p.Terms),
		Elapsed: p.Elapsed.Seconds(), ETA: -1, ETAScale: p.Scales > 1, Viewers: s.viewers, FrameSeq: s.frameSeq,
	}
	if s.readErr != nil {
		m.ImageError = s.readErr.Error()
	}
	if n := p.Iteration - s.scaleStartIter; n > 0 && !s.ended {
		per := (p.Elapsed - s.scaleStartElapsed).Seconds() / float64(n)
		m.ETA = per * float64(p.Iterations-p.Iteration)
	}
	if s.ended {
		m.ETA = 0
	}
	if c.gen != s.gen || !c.sent {
		m.ResetPoints, c.gen, c.points = true, s.gen, 0
	}
	for _, q := range s.points[min(c.points, len(s.points)):] {
		m.Points = append(m.Points, [7]float64{float64(q.n), float64(q.scale), finite(q.loss), finite(q.content), finite(q.style), finite(q.tv), finite(q.terms)})
	}
	c.points = len(s.points)
	if c.frameSeq != s.frameSeq {
		m.Frame, m.FrameIteration, c.frameSeq = s.frameURL, s.frameIter, s.frameSeq
	}
	if c.stripGen != s.stripGen || !c.sent {
		m.ResetStrip, c.stripGen, c.strip = true, s.stripGen, 0
	}
	m.Strip = append(m.Strip, s.strip[min(c.strip, len(s.strip)):]...)
	c.strip = len(s.strip)
	c.seq, c.sent = s.seq, true
	return m
}

// finite maps NaN and ±Inf, which JSON cannot hold, to -1 (the page shows
// a gap).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return -1
	}
	return v
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		http.Error(w, "preview: the server is closing", http.StatusServiceUnavailable)
		return
	}
	c := &cursor{}
	s.streams[c] = struct{}{}
	s.viewers++
	s.wg.Add(1)
	s.bump()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.streams, c)
		s.viewers--
		s.bump()
		s.mu.Unlock()
		s.wg.Done()
	}()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	if _, err := io.WriteString(w, "retry: 2000\n\n"); err != nil {
		return
	}
	ctx := r.Context()
	idle := time.NewTimer(keepAlive)
	defer idle.Stop()
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		s.mu.Lock()
		m := s.next(c)
		changed := s.changed
		s.mu.Unlock()
		if m != nil {
			b, err := json.Marshal(m)
			if err != nil {
				return
			}
			_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			idle.Reset(keepAlive)
			// At most one message per EventInterval.
			pause.Reset(s.cfg.EventInterval)
			select {
			case <-pause.C:
			case <-ctx.Done():
				return
			case <-s.quit:
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-idle.C:
			_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			idle.Reset(keepAlive)
		case <-ctx.Done():
			return
		case <-s.quit:
			return
		}
	}
}
