package server

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"boxcar/internal/ingest"
)

// aLongTimeAgo is a deadline that has passed: reads fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// guardBodies keeps a request body from holding a connection.
//
// net/http, when a handler returns without reading the body to its end,
// reads and discards up to 256 KiB of it before writing the response so
// that the connection can be reused (chunkWriter.writeHeader), and closes
// the body after it (response.finishRequest), with no deadline: a client
// that declares a body and withholds it holds the connection and a
// goroutine forever, on any route, without credentials. Both are skipped
// or made instant here:
//
//   - When the response header is written while the body is not read to
//     its end, the response carries Connection: close (net/http then skips
//     the discard), and once the handler returns the connection's read
//     deadline is moved into the past (so closing the body does not wait).
//   - On every route but ingest, the body must arrive within bodyTimeout:
//     the connection's read deadline is set when the request starts, and
//     a handler may shorten it but not lift it until the body is read.
//     Ingest sets its own, longer, deadlines (uploads are opened before
//     the media exists) and is left to them.
//
// Requests without a body pass through untouched, so playback's hot path
// pays nothing.
func guardBodies(next http.Handler, bodyTimeout time.Duration, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		g := &bodyGuard{ResponseWriter: w, body: r.Body, rc: http.NewResponseController(w), metrics: m}
		if !strings.HasPrefix(r.URL.Path, ingest.Prefix) {
			g.deadline = time.Now().Add(bodyTimeout)
			// An error means the writer takes no deadlines (a test
			// recorder); nothing to guard then.
			_ = g.rc.SetReadDeadline(g.deadline)
		}
		r.Body = (*guardedBody)(g)
		next.ServeHTTP(g, r)
		g.finish()
	})
}

// bodyGuard is the ResponseWriter of a request with a body: it knows
// whether the body was read to its end when the header goes out.
type bodyGuard struct {
	http.ResponseWriter
	body    io.ReadCloser
	rc      *http.ResponseController
	metrics *metrics
	// deadline is the latest read deadline until the body is read; zero
	// for ingest.
	deadline time.Time

	eof         atomic.Bool // the body was read to its end
	bodyClosed  atomic.Bool // the handler closed the body
	wroteHeader bool
	closing     bool // Connection: close was set
}

// guardedBody is the request body seen by handlers.
type guardedBody bodyGuard

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.bodyClosed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	n, err := b.body.Read(p)
	if err == io.EOF && !b.eof.Swap(true) && !b.deadline.IsZero() {
		// Read deadlines also cut net/http's background read, which
		// watches for the client going away while the handler works.
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// Close does not close the underlying body, which would read what is left
// of it, up to 256 KiB: net/http closes it after the handler, by which
// time an unread body no longer waits.
func (b *guardedBody) Close() error {
	b.bodyClosed.Store(true)
	return nil
}

// headerDone is called as the final response header is written.
func (g *bodyGuard) headerDone() {
	g.wroteHeader = true
	if !g.eof.Load() && !g.closing {
		g.closing = true
		g.ResponseWriter.Header().Set("Connection", "close")
		g.metrics.unreadBody.Inc()
	}
}

func (g *bodyGuard) WriteHeader(code int) {
	if !g.wroteHeader && (code >= 200 || code == http.StatusSwitchingProtocols) {
		g.headerDone()
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *bodyGuard) Write(p []byte) (int, error) {
	if !g.wroteHeader {
		g.headerDone()
	}
	return g.ResponseWriter.Write(p)
}

func (g *bodyGuard) Flush() {
	if !g.wroteHeader {
		g.headerDone()
	}
	_ = g.rc.Flush()
}

// SetReadDeadline lets a handler shorten the body deadline, not lift it,
// until the body is read (http.ResponseController finds it first).
func (g *bodyGuard) SetReadDeadline(t time.Time) error {
	if !g.deadline.IsZero() && !g.eof.Load() && (t.IsZero() || t.After(g.deadline)) {
		t = g.deadline
	}
	return g.rc.SetReadDeadline(t)
}

// Unwrap gives http.ResponseController the other controls.
func (g *bodyGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// finish runs after the handler.
func (g *bodyGuard) finish() {
	if g.eof.Load() {
		return
	}
	if !g.wroteHeader {
		g.headerDone() // net/http writes the header after the handler
	}
	_ = g.rc.SetReadDeadline(aLongTimeAgo)
}
