package preview

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultHost is the host Listen binds to when the address has none.
const DefaultHost = "127.0.0.1"

// ResolveAddr completes a listening address: "host:port" stays as it is,
// ":port" and a bare "port" get DefaultHost (127.0.0.1), so that a page is
// reachable from this machine only unless a host such as 0.0.0.0 is given.
// Port 0 picks a free port. It returns an error for an empty address or a
// bad port.
func ResolveAddr(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", errors.New("preview: empty address: want host:port, :port or port")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, perr := strconv.ParseUint(addr, 10, 16); perr != nil {
			return "", fmt.Errorf("preview: address %q: want host:port, :port or port", addr)
		}
		host, port = "", addr
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		return "", fmt.Errorf("preview: address %q: port %q: want 0 … 65535", addr, port)
	}
	if host == "" {
		host = DefaultHost
	}
	return net.JoinHostPort(host, port), nil
}

// Endpoint is a handler served over HTTP on a listening socket; see Listen.
type Endpoint struct {
	// URL is the page's address, e.g. http://127.0.0.1:8080/ (for a wildcard
	// host such as 0.0.0.0, the address of the loopback interface).
	URL string
	// Addr is the address listened on, with the port chosen for port 0.
	Addr net.Addr

	srv  *http.Server
	done chan error
}

// Listen listens on addr (completed by ResolveAddr: no host means
// 127.0.0.1) and serves h on it in a goroutine until Close.
func Listen(addr string, h http.Handler) (*Endpoint, error) {
	a, err := ResolveAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", a)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	tcp, _ := ln.Addr().(*net.TCPAddr)
	host := "127.0.0.1"
	port := "0"
	if tcp != nil {
		port = strconv.Itoa(tcp.Port)
		switch {
		case tcp.IP.IsUnspecified() && tcp.IP.To4() == nil:
			host = "::1"
		case !tcp.IP.IsUnspecified():
			host = tcp.IP.String()
		}
	}
	if h, _, err := net.SplitHostPort(a); err == nil && h != "" && net.ParseIP(h) == nil {
		host = h // a name, e.g. localhost: keep it in the URL
	}
	e := &Endpoint{
		URL:  "http://" + net.JoinHostPort(host, port) + "/",
		Addr: ln.Addr(),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			MaxHeaderBytes:    16 << 10,
		},
		done: make(chan error, 1),
	}
	go func() { e.done <- e.srv.Serve(ln) }()
	return e, nil
}

// Close stops listening and waits, until ctx is done, for the requests in
// flight (close the Server first, which ends its event streams); then it
// closes the remaining connections. It returns an error only when serving
// failed.
func (e *Endpoint) Close(ctx context.Context) error {
	err := e.srv.Shutdown(ctx)
	if err != nil {
		_ = e.srv.Close()
	}
	if serr := <-e.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("preview: serving: %w", serr)
	}
	return nil
}
