package preview

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"

	"github.com/neuralstyle/neuralstyle/style"
)

// ErrStopped is the cause a Stop from the page gives: pass it to a
// context.CancelCauseFunc in Config.Stop, and Server.Progress returns it
// after a Stop when Config.Stop is nil.
var ErrStopped = errors.New("preview: stopped from the page")

// Defaults of Config.
const (
	// DefaultFrameInterval is the least time between two reads of the image.
	DefaultFrameInterval = time.Second
	// DefaultEventInterval is the least time between two messages to one page.
	DefaultEventInterval = 250 * time.Millisecond
	// DefaultJPEGQuality is the quality of the images sent to the page.
	DefaultJPEGQuality = 90
	// DefaultTitle is the page's title when Config.Title is empty.
	DefaultTitle = "neuralstyle"
)

// Limits on what a Server holds.
const (
	// MaxPoints is the most points of the loss curve a Server keeps: when
	// the curve reaches it, every other point is dropped and from then on
	// only every second iteration is recorded (then every fourth, …).
	MaxPoints = 2048
	// MaxStrip is the most finished frames (AddFrame) a Server keeps; the
	// oldest go first.
	MaxStrip = 1000
	// ThumbnailSize is the longest side, in pixels, of a finished frame's
	// thumbnail in the strip.
	ThumbnailSize = 160
)

// Setting is one line of the page's table of the run's settings.
type Setting struct {
	Name, Value string
}

// Config is what a Server shows besides the run's progress, and how often.
// The zero value is usable.
type Config struct {
	// Title heads the page, e.g. the output file's name. Default
	// DefaultTitle.
	Title string
	// Settings are shown as a table, in order. Default none.
	Settings []Setting
	// Stop is called once, from an HTTP handler's goroutine, when the page's
	// Stop button is pressed (a POST with the right token); it should end
	// the run, for example by cancelling its context with ErrStopped. It
	// must not block. When Stop is nil, Server.Progress returns ErrStopped
	// after a Stop, which also ends the run.
	Stop func()
	// FrameInterval is the least time between two reads of the image from
	// the transfer while a page is connected. Default DefaultFrameInterval
	// (1 s); at most 2 s is what the page promises.
	FrameInterval time.Duration
	// EventInterval is the least time between two messages to one page.
	// Default DefaultEventInterval (250 ms).
	EventInterval time.Duration
	// JPEGQuality is the quality, 1–100, of the images sent to the page.
	// Default DefaultJPEGQuality (90).
	JPEGQuality int
	// Hosts are the host names, besides IP addresses and localhost, that
	// the Host header of a request may name, e.g. the machine's name when
	// the page is served on all interfaces. "*" allows any. Default none.
	Hosts []string
}

// Status is where the run stands, as the page shows it.
type Status string

// The statuses, in the order a run goes through them.
const (
	Waiting  Status = "waiting"  // no iteration yet
	Running  Status = "running"  // iterating
	Stopping Status = "stopping" // Stop was pressed; the run has not ended yet
	Finished Status = "finished" // Done without an error
	Stopped  Status = "stopped"  // Done with a cancellation (Stop, Ctrl-C)
	Failed   Status = "failed"   // Done with another error
)

// point is one point of the loss curve.
type point struct {
	n                               int // index of the Progress call, from 0
	scale                           int
	loss, content, style, tv, terms float64
}

// stripItem is a finished frame in the strip.
type stripItem struct {
	Src   string `json:"src"`
	Label string `json:"label"`
}

// job is an image handed to the encoder.
type job struct {
	img       image.Image
	iteration int
	final     bool
}

// Server serves the live page of one transfer; see the package
// documentation. Create it with New, feed it with Progress (and optionally
// Checkpoint, AddFrame, SetLabel), call Done when the run ends and Close
// before the program exits. It is safe for concurrent use.
type Server struct {
	cfg   Config
	token string

	mu      sync.Mutex
	seq     uint64        // bumped on every change
	changed chan struct{} // closed and replaced on every change
	status  Status
	message string
	label   string
	last    style.Progress
	calls   int // Progress calls so far
	// rate of the current scale, for the ETA
	scaleStartIter    int
	scaleStartElapsed time.Duration
	scaleOf           int

	points []point
	stride int
	gen    int // bumped when points are thinned out

	frame     []byte // JPEG
	frameURL  string // data: URL of frame
	frameSeq  int
	frameIter int

	strip    []stripItem
	stripGen int // bumped when the oldest are dropped

	viewers  int
	lastRead time.Time
	busy     bool // an image is being read or encoded
	pending  *job
	readErr  error
	stopOnce sync.Once
	stopped  bool // Stop was pressed
	ended    bool // Done was called
	closing  bool
	streams  map[*cursor]struct{}

	wake    chan struct{}
	quit    chan struct{}
	encDone chan struct{}
	wg      sync.WaitGroup // streams
}

// New returns a Server for one run, with its encoding goroutine started;
// Close ends it. It fails only on a bad Config.
func New(cfg Config) (*Server, error) {
	if cfg.Title == "" {
		cfg.Title = DefaultTitle
	}
	switch {
	case cfg.FrameInterval < 0:
		return nil, fmt.Errorf("preview: FrameInterval %v: want ≥ 0 (0: the default, %v)", cfg.FrameInterval, DefaultFrameInterval)
	case cfg.FrameInterval == 0:
		cfg.FrameInterval = DefaultFrameInterval
	}
	switch {
	case cfg.EventInterval < 0:
		return nil, fmt.Errorf("preview: EventInterval %v: want ≥ 0 (0: the default, %v)", cfg.EventInterval, DefaultEventInterval)
	case cfg.EventInterval == 0:
		cfg.EventInterval = DefaultEventInterval
	}
	switch {
	case cfg.JPEGQuality < 0 || cfg.JPEGQuality > 100:
		return nil, fmt.Errorf("preview: JPEGQuality %d: want 1 … 100 (0: the default, %d)", cfg.JPEGQuality, DefaultJPEGQuality)
	case cfg.JPEGQuality == 0:
		cfg.JPEGQuality = DefaultJPEGQuality
	}
	cfg.Settings = append([]Setting(nil), cfg.Settings...)
	hosts := make([]string, 0, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		hosts = append(hosts, strings.ToLower(strings.TrimSuffix(h, ".")))
	}
	cfg.Hosts = hosts
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("preview: token: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		token:   hex.EncodeToString(tok[:]),
		changed: make(chan struct{}),
		status:  Waiting,
		stride:  1,
		streams: map[*cursor]struct{}{},
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		encDone: make(chan struct{}),
	}
	go s.encode()
	return s, nil
}

// Token is the Server's random token that a Stop request must carry (the
// page has it). Programs rarely need it; tests do.
func (s *Server) Token() string { return s.token }

// Viewers is the number of pages connected now.
func (s *Server) Viewers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewers
}

// bump records a change and wakes the streams. s.mu must be held.
func (s *Server) bump() {
	s.seq++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Progress is the progress hook: pass it to style.WithProgress, or call it
// from your own. It records the metrics and, while a page is connected and
// at most once per Config.FrameInterval, reads the image (p.Image) and hands
// it to the encoder; it never waits for a client. It returns ErrStopped
// after a Stop when Config.Stop is nil, else nil.
func (s *Server) Progress(p style.Progress) error {
	return s.progress(p, p.Image)
}

func (s *Server) progress(p style.Progress, read func() (*image.RGBA, error)) error {
	now := time.Now()
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil
	}
	if s.status == Waiting {
		s.status = Running
	}
	if s.calls == 0 || p.Scale != s.scaleOf || p.Iteration < s.last.Iteration {
		s.scaleOf, s.scaleStartIter, s.scaleStartElapsed = p.Scale, p.Iteration, p.Elapsed
	}
	s.last = p
	if s.calls%s.stride == 0 {
		s.points = append(s.points, point{n: s.calls, scale: p.Scale, loss: p.Loss, content: p.Content, style: p.Style, tv: p.TV, terms: p.Terms})
		if len(s.points) >= MaxPoints {
			kept := s.points[:0]
			for i := 0; i < len(s.points); i += 2 {
				kept = append(kept, s.points[i])
			}
			s.points = kept
			s.stride *= 2
			s.gen++
		}
	}
	s.calls++
	want := s.viewers > 0 && !s.busy && (s.lastRead.IsZero() || now.Sub(s.lastRead) >= s.cfg.FrameInterval)
	if want {
		s.lastRead, s.busy = now, true
	}
	stop := s.stopped && s.cfg.Stop == nil
	s.bump()
	s.mu.Unlock()

	if want {
		img, err := read()
		if err != nil || img == nil {
			s.mu.Lock()
			s.busy, s.readErr = false, err
			s.mu.Unlock()
		} else {
			s.handoff(job{img: img, iteration: p.Iteration})
		}
	}
	if stop {
		return ErrStopped
	}
	return nil
}

// Checkpoint is a checkpoint hook (style.WithCheckpoint): while a page is
// connected and the encoder is idle it shows the checkpoint's image, which
// is on the host already. It returns nil.
func (s *Server) Checkpoint(c style.Checkpoint) error {
	s.mu.Lock()
	want := s.viewers > 0 && !s.busy && !s.ended && c.Image != nil
	if want {
		s.busy, s.lastRead = true, time.Now()
	}
	s.mu.Unlock()
	if want {
		s.handoff(job{img: c.Image, iteration: c.Iteration})
	}
	return nil
}

// SetLabel sets a line the page shows above the metrics, such as
// "frame 3 of 10"; "" shows none.
func (s *Server) SetLabel(label string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.label = label
	s.bump()
}

// AddFrame appends a finished frame to the page's strip, as a thumbnail
// ThumbnailSize pixels on its longest side, with label under it (e.g.
// "frame 3"). It encodes the thumbnail on the caller's goroutine (a
// millisecond or so); call it between frames, not from a progress hook.
func (s *Server) AddFrame(img image.Image, label string) error {
	if img == nil || img.Bounds().Empty() {
		return errors.New("preview: AddFrame: empty image")
	}
	src, err := thumbnail(img, ThumbnailSize, s.cfg.JPEGQuality)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.strip = append(s.strip, stripItem{Src: src, Label: label})
	if len(s.strip) > MaxStrip {
		s.strip = append([]stripItem(nil), s.strip[len(s.strip)-MaxStrip:]...)
		s.stripGen++
	}
	s.bump()
	return nil
}

// Done records the end of the run: img (nil: keep the last image shown) is
// shown as the result, and err says how it ended (nil: finished; wrapping
// context.Canceled, context.DeadlineExceeded or ErrStopped: stopped;
// anything else: failed, with its message). The page keeps showing the
// result. Progress calls after Done are ignored.
func (s *Server) Done(img image.Image, err error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	iteration := s.last.Iteration
	switch {
	case err == nil:
		s.status = Finished
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrStopped):
		s.status, s.message = Stopped, err.Error()
	default:
		s.status, s.message = Failed, err.Error()
	}
	s.bump()
	s.mu.Unlock()
	if img != nil && !img.Bounds().Empty() {
		s.handoff(job{img: img, iteration: iteration, final: true})
	}
}

// handoff gives j to the encoder, replacing any image it has not started on.
func (s *Server) handoff(j job) {
	s.mu.Lock()
	if s.pending == nil || !s.pending.final || j.final {
		s.pending = &j
	}
	s.busy = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// encode is the encoding goroutine: it turns the latest handed-off image
// into a JPEG and publishes it.
func (s *Server) encode() {
	defer close(s.encDone)
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
		for {
			s.mu.Lock()
			j := s.pending
			s.pending = nil
			if j == nil {
				s.busy = false
				s.mu.Unlock()
				break
			}
			q := s.cfg.JPEGQuality
			s.mu.Unlock()

			data, err := encodeJPEG(j.img, q)
			s.mu.Lock()
			if err != nil {
				s.readErr = err
			} else {
				s.frame, s.frameURL = data, dataURL(data)
				s.frameSeq++
				s.frameIter = j.iteration
			}
			s.bump()
			s.mu.Unlock()
		}
	}
}

// Close ends the Server's goroutines: it waits, until ctx is done, for the
// last image to be encoded and for every connected page to have been sent
// the latest state (so that a program that exits next leaves the result on
// the page), then ends the event streams and the encoder. After Close the
// page and /frame.jpg are still served and /events answers 503. Close is
// idempotent and returns nil; a ctx that ends first only cuts the wait
// short.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for !s.delivered() {
		select {
		case <-ctx.Done():
			break wait
		case <-tick.C:
		}
	}
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	close(s.quit)
	<-s.encDone
	s.wg.Wait()
	return nil
}

// delivered reports whether the encoder is idle and every stream has sent
// the latest state.
func (s *Server) delivered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy || s.pending != nil {
		return false
	}
	for c := range s.streams {
		if c.seq != s.seq {
			return false
		}
	}
	return true
}
