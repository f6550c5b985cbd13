package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits of the listener that are not configuration.
const (
	// maxHeaderBytes bounds a request's header block (net/http adds 4 KiB
	// of slack). CloudFront forwards at most 20 KB of headers and nginx's
	// default buffers hold 32 KB; SigV4 and Digest headers are a few
	// hundred bytes. net/http's default is 1 MiB.
	maxHeaderBytes = 64 << 10
	// readHeaderTimeout bounds how long a client may take to send a
	// request's headers, from its first byte (or from the connection
	// for the first request).
	readHeaderTimeout = 10 * time.Second
	// idleTimeout is how long a keep-alive connection may wait for its
	// next request.
	idleTimeout = 2 * time.Minute
	// refuseWriteTimeout bounds writing the 503 to a refused connection.
	// Its send buffer is empty, so the write never waits in practice;
	// the bound keeps the accept loop from ever blocking on a client.
	refuseWriteTimeout = 100 * time.Millisecond
	// maxAcceptBackoff is the longest wait between accepts while the
	// process is out of file descriptors or memory (net/http's value).
	maxAcceptBackoff = time.Second
	// limitLogInterval is the least time between two log lines about
	// refused connections, or about failed accepts.
	limitLogInterval = 10 * time.Second
)

// refused503 is the whole response to a connection over a cap.
const refused503 = "HTTP/1.1 503 Service Unavailable\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Cache-Control: no-store\r\n" +
	"Retry-After: 1\r\n" +
	"Connection: close\r\n" +
	"Content-Length: 55\r\n" +
	"\r\n" +
	"too many connections to this origin; retry in a moment\n"

// limitListener caps open connections, in all and per client address,
// and keeps accepting through file descriptor exhaustion.
//
// At a cap, a new connection takes the place of the oldest connection
// (from the same address, for the per-address cap) that has sent no
// request yet, or sits idle between requests, for at least evictAfter
// (http.evictWaitingAfter; 0 never evicts):
// that one is closed, so clients that connect and send nothing cannot keep
// players out for the read header timeout. When there is none, the new
// connection is answered 503 with Connection: close, closed at once,
// counted and logged (at most once per limitLogInterval). An
// accept that fails for lack of file descriptors or memory is counted,
// logged at ERROR (rate-limited the same way) and retried after a backoff
// of 5 ms doubling to 1 s, as net/http would, without net/http seeing it.
// Other accept errors are counted and returned.
//
// Accept is called from one goroutine (http.Server.Serve); connections
// are closed from any.
type limitListener struct {
	net.Listener
	max, perIP int
	evictAfter time.Duration
	log        *slog.Logger
	metrics    *metrics
	refuseLog  logLimiter
	acceptLog  logLimiter
	done       chan struct{}
	closeOnce  sync.Once

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
	// conns holds every admitted connection, for eviction.
	conns map[*limitConn]struct{}
}

func newLimitListener(inner net.Listener, maxConns, perIP int, evictAfter time.Duration, log *slog.Logger, m *metrics) *limitListener {
	return &limitListener{
		Listener:   inner,
		max:        maxConns,
		perIP:      perIP,
		evictAfter: evictAfter,
		log:        log,
		metrics:    m,
		refuseLog:  logLimiter{every: limitLogInterval},
		acceptLog:  logLimiter{every: limitLogInterval},
		done:       make(chan struct{}),
		byAddr:     make(map[netip.Addr]int),
		conns:      make(map[*limitConn]struct{}),
	}
}

// Accept returns the next connection within the caps.
func (l *limitListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			reason := acceptErrorReason(err)
			if reason == "" {
				return nil, err // closed
			}
			l.metrics.acceptErrors.WithLabelValues(reason).Inc()
			if reason == reasonOther {
				return nil, err // net/http retries temporary ones and logs them
			}
			delay = min(max(2*delay, 5*time.Millisecond), maxAcceptBackoff)
			if ok, suppressed := l.acceptLog.allow(time.Now()); ok {
				l.log.Error("http: accept failed: out of file descriptors or memory; new connections wait in the kernel's backlog until some close. Raise the file descriptor limit (ulimit -n) or lower http.maxConns",
					"err", err, "reason", reason, "retry_in", delay, "open_conns", l.openConns(), "max_conns", l.max,
					"suppressed", suppressed)
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
			}
			continue
		}
		delay = 0
		key := addrKey(c.RemoteAddr())
		lc := &limitConn{Conn: c, l: l, key: key}
		lc.setState(http.StateNew, time.Now())
		reason, victim := l.admit(lc, time.Now())
		if victim != nil {
			l.metrics.evicted.WithLabelValues(reason).Inc()
			victim.Close()
		} else if reason != "" {
			l.refuse(c, key, reason)
			continue
		}
		return lc, nil
	}
}

// ConnState tracks what each admitted connection is doing, for eviction.
func (l *limitListener) ConnState(c net.Conn, s http.ConnState) {
	if lc, ok := c.(*limitConn); ok {
		lc.setState(s, time.Now())
	}
}

// connStateHook is the http.Server's ConnState hook: ConnState, or nil
// when evictAfter is 0, since then nothing reads the states.
func (l *limitListener) connStateHook() func(net.Conn, http.ConnState) {
	if l.evictAfter <= 0 {
		return nil
	}
	return l.ConnState
}

// Close closes the listener and ends a backoff in progress.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// acceptErrorReason classifies an accept error: "" when the listener is
// closed, reasonFDExhausted or reasonNoMemory when waiting helps, else
// reasonOther.
func acceptErrorReason(err error) string {
	switch {
	case errors.Is(err, net.ErrClosed):
		return ""
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return reasonFDExhausted
	case errors.Is(err, syscall.ENOBUFS), errors.Is(err, syscall.ENOMEM):
		return reasonNoMemory
	}
	return reasonOther
}

// addrKey is the address a per-address cap counts a connection under:
// the IPv4 address, or the /64 of an IPv6 one (one subscriber's or one
// host's network). It is invalid when the peer is not an IP address.
func addrKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		if a == nil {
			return netip.Addr{}
		}
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.Addr{}
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// admit counts c, or says which cap it meets. At a cap it takes the
// place of a waiting connection, victim, which the caller closes (its
// place is handed to c, so closing it releases nothing); with no victim,
// reason says why c is refused.
func (l *limitListener) admit(c *limitConn, now time.Time) (reason string, victim *limitConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := c.key
	perIP := l.perIP > 0 && key.IsValid()
	switch {
	case perIP && l.byAddr[key] >= l.perIP:
		reason = reasonMaxConnsPerIP
		victim = l.waitingLocked(now, func(v *limitConn) bool { return v.key == key })
	case l.open >= l.max:
		reason = reasonMaxConns
		victim = l.waitingLocked(now, func(*limitConn) bool { return true })
	}
	if reason != "" && victim == nil {
		return reason, nil
	}
	if victim != nil {
		// c takes the victim's place in every count.
		victim.evicted = true
		l.forgetLocked(victim)
	}
	l.conns[c] = struct{}{}
	if perIP {
		l.byAddr[key]++
	}
	l.open++
	return reason, victim
}

// waitingLocked returns the connection that has waited longest, at least
// evictAfter, without a request in progress (new, or idle between
// requests) among those match accepts, or nil. Called with mu held.
func (l *limitListener) waitingLocked(now time.Time, match func(*limitConn) bool) *limitConn {
	if l.evictAfter <= 0 {
		return nil
	}
	var oldest *limitConn
	var since int64
	cut := now.Add(-l.evictAfter).UnixMicro()
	for c := range l.conns {
		s, at := c.waiting()
		if !s || at > cut || !match(c) {
			continue
		}
		if oldest == nil || at < since {
			oldest, since = c, at
		}
	}
	return oldest
}

func (l *limitListener) release(c *limitConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.evicted {
		return // its place went to the connection that evicted it
	}
	l.forgetLocked(c)
}

// forgetLocked removes c from the counts. Called with mu held.
func (l *limitListener) forgetLocked(c *limitConn) {
	key := c.key
	delete(l.conns, c)
	l.open--
	if l.perIP > 0 && key.IsValid() {
		if n := l.byAddr[key] - 1; n > 0 {
			l.byAddr[key] = n
		} else {
			delete(l.byAddr, key)
		}
	}
}

func (l *limitListener) openConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// refuse answers c 503 and closes it.
func (l *limitListener) refuse(c net.Conn, key netip.Addr, reason string) {
	l.metrics.refused.WithLabelValues(reason).Inc()
	c.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
	io.WriteString(c, refused503)
	c.Close()
	if ok, suppressed := l.refuseLog.allow(time.Now()); ok {
		limit, setting := l.max, "http.maxConns"
		if reason == reasonMaxConnsPerIP {
			limit, setting = l.perIP, "http.maxConnsPerIP"
		}
		l.log.Warn("http: connection refused: "+setting+" reached (answered 503); raise it if these are legitimate clients",
			"client", key.String(), "reason", reason, "limit", limit, "open_conns", l.openConns(),
			"suppressed", suppressed)
	}
}

// limitConn is an admitted connection; closing it frees its place.
type limitConn struct {
	net.Conn
	l    *limitListener
	key  netip.Addr
	once sync.Once
	// state is the connection's http.ConnState and when it entered it,
	// packed by packState so that they are stored and loaded together.
	state atomic.Int64
	// evicted is set, under l.mu, when a new connection took its place.
	evicted bool
}

func (c *limitConn) setState(s http.ConnState, now time.Time) {
	c.state.Store(packState(s, now))
}

// waiting reports whether the connection has no request in progress
// (new or idle) and since when (Unix microseconds).
func (c *limitConn) waiting() (bool, int64) {
	s, at := unpackState(c.state.Load())
	return s == http.StateNew || s == http.StateIdle, at
}

// stateBits holds an http.ConnState: StateNew (0) to StateClosed (4).
const stateBits = 3

// packState packs s and the time it began into one int64: Unix
// microseconds in the high bits, s in the low stateBits. One word, so
// that a reader never pairs a state with the time of another (a
// connection just gone idle after a long request must not look idle
// since that request began). Microseconds, not nanoseconds: those take
// 61 bits already and would overflow when shifted.
func packState(s http.ConnState, at time.Time) int64 {
	return at.UnixMicro()<<stateBits | int64(s)
}

// unpackState is the inverse of packState: the state and when it began,
// in Unix microseconds.
func unpackState(v int64) (http.ConnState, int64) {
	return http.ConnState(v & (1<<stateBits - 1)), v >> stateBits
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

// CloseWrite keeps net/http's lingering close (a FIN, then a short wait
// before closing) working through the wrapper.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile working through the wrapper.
func (c *limitConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// logLimiter lets one log line through per interval and counts the ones
// it held back. Safe for concurrent use.
type logLimiter struct {
	every time.Duration

	mu         sync.Mutex
	next       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now, and how many were
// held back since the last one.
func (r *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Before(r.next) {
		r.suppressed++
		return false, 0
	}
	r.next = now.Add(r.every)
	suppressed, r.suppressed = r.suppressed, 0
	return true, suppressed
}

// connCap is the cap on open connections: configured, lowered so that a
// quarter of the file descriptor limit fdLimit (at least 32, at most
// 1024 descriptors) stays free for media files, databases and logs. A
// cap over the limit turns an attack on connections into one on files:
// accept fails with EMFILE, and so do ingest writes and DVR reads.
// fdLimit 0 means unknown.
func connCap(configured int, fdLimit uint64) (limit int, lowered bool) {
	if fdLimit == 0 {
		return configured, false
	}
	reserve := min(max(fdLimit/4, 32), 1024)
	if fdLimit <= reserve {
		return 1, true
	}
	if avail := fdLimit - reserve; uint64(configured) > avail {
		return int(avail), true
	}
	return configured, false
}
