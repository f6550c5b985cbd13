// Package ingest receives HLS pushed by encoders over HTTP PUT/POST
// (MediaLive's "HLS WebDAV" and ffmpeg's `-f hls -method PUT`), at
// /in/v2/{channel}/{ingestEndpoint}/{name...}: it authenticates each
// request against the ingest endpoint's current credentials (Digest per
// RFC 7616, or Basic), bounds bodies, time and concurrency, holds uploaded
// segments in memory until a media playlist lists them, then demuxes them
// (MPEG-TS or fMP4) into the canonical model and hands them to the
// channel's live.Timeline in the encoder's order (DESIGN.md §2,
// standards.md §5.3).
package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/live"
)

// Channels looks channels up by id; configstore.Store satisfies it. It is
// asked on every request, so credential rotation takes effect at once.
type Channels interface {
	Channel(ctx context.Context, id string) (*configstore.Channel, error)
}

// Options configure a Handler.
type Options struct {
	Channels  Channels
	Timelines *live.Manager
	Config    config.IngestConfig
	Clock     clock.Clock
	Logger    *slog.Logger
	// Registry receives the ingest metrics; nil for none.
	Registry prometheus.Registerer
	// AccessLog receives one JSON ingress access-log line per request;
	// nil for none.
	AccessLog io.Writer
}

// Handler serves ingest requests. Every method is safe for concurrent use;
// Run must run for held uploads to expire and for segments that never
// arrive to be skipped.
type Handler struct {
	channels  Channels
	timelines *live.Manager
	cfg       config.IngestConfig
	clock     clock.Clock
	log       *slog.Logger
	metrics   *metrics
	access    *accessLog
	auth      *authenticator

	mu    sync.Mutex
	chans map[string]*channelState
}

// New builds a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Channels == nil || opts.Timelines == nil {
		return nil, errors.New("ingest: Channels and Timelines are required")
	}
	def := config.Default().Ingest
	if opts.Config.MaxSegmentBytes <= 0 {
		opts.Config.MaxSegmentBytes = def.MaxSegmentBytes
	}
	if opts.Config.MaxPlaylistBytes <= 0 {
		opts.Config.MaxPlaylistBytes = def.MaxPlaylistBytes
	}
	if opts.Config.BodyTimeout <= 0 {
		opts.Config.BodyTimeout = def.BodyTimeout
	}
	if opts.Config.MaxConnsPerChannel <= 0 {
		opts.Config.MaxConnsPerChannel = def.MaxConnsPerChannel
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	auth, err := newAuthenticator(opts.Clock.Now)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		channels:  opts.Channels,
		timelines: opts.Timelines,
		cfg:       opts.Config,
		clock:     opts.Clock,
		log:       opts.Logger,
		metrics:   newMetrics(),
		auth:      auth,
		chans:     make(map[string]*channelState),
	}
	if opts.AccessLog != nil {
		h.access = &accessLog{w: opts.AccessLog}
	}
	if opts.Registry != nil {
		if err := h.metrics.register(opts.Registry); err != nil {
			return nil, fmt.Errorf("ingest: register metrics: %w", err)
		}
	}
	return h, nil
}

// request is one ingest request being served.
type request struct {
	id       string
	t        target
	channel  *configstore.Channel
	input    live.Input
	received int64
	// bodyDone is when the body was fully read (processing starts).
	bodyDone time.Time
}

// ServeHTTP serves PUT, POST and DELETE under /in/v2/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.clock.Now()
	req := &request{id: newRequestID()}
	cw := &countingWriter{ResponseWriter: w}
	cw.Header().Set("X-Request-Id", req.id)

	code, err := h.serve(cw, r, req)
	if err != nil {
		c, msg, reason := statusOf(err)
		code = c
		if reason != "" {
			h.metrics.skipped.WithLabelValues(h.labelChannel(req), reason).Inc()
		}
		h.logError(r, req, c, err)
		hd := cw.Header()
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		hd.Set("Cache-Control", "no-store")
		body := msg + "\n"
		hd.Set("Content-Length", strconv.Itoa(len(body)))
		cw.WriteHeader(c)
		io.WriteString(cw, body)
	} else {
		cw.Header().Set("Cache-Control", "no-store")
		cw.WriteHeader(code)
	}

	end := h.clock.Now()
	chLabel, epLabel := h.labelChannel(req), ""
	if req.channel != nil {
		epLabel = req.t.endpoint
	}
	h.metrics.requests.WithLabelValues(chLabel, epLabel, codeClass(code)).Inc()
	h.metrics.duration.WithLabelValues(chLabel).Observe(end.Sub(start).Seconds())
	if req.received > 0 {
		h.metrics.bytes.WithLabelValues(chLabel, epLabel).Add(float64(req.received))
	}
	if h.access != nil {
		h.writeAccess(r, req, start, end, code, cw.n)
	}
}

// labelChannel is the channel label of a request: "" until the channel is
// known to exist, so scans of random ids cannot grow the label set.
func (h *Handler) labelChannel(req *request) string {
	if req.channel == nil {
		return ""
	}
	return req.t.channel
}

func (h *Handler) logError(r *http.Request, req *request, code int, err error) {
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", code, "request_id", req.id, "err", err}
	if req.channel != nil {
		attrs = append(attrs, "channel", req.t.channel, "input", int(req.input))
	}
	switch {
	case code >= 500:
		h.log.Error("ingest request failed", attrs...)
	case code == http.StatusUnauthorized, code == http.StatusNotFound:
		h.log.Debug("ingest request refused", attrs...)
	default:
		h.log.Warn("ingest request refused", attrs...)
	}
}

func (h *Handler) writeAccess(r *http.Request, req *request, start, end time.Time, code int, sent int64) {
	proc := end.Sub(start)
	if !req.bodyDone.IsZero() {
		proc = end.Sub(req.bodyDone)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	rec := accessRecord{
		Timestamp:        logTime(start),
		ClientIP:         ip,
		ProcessingTime:   proc.Seconds(),
		StatusCode:       strconv.Itoa(code),
		ReceivedBytes:    req.received,
		SentBytes:        sent,
		Method:           r.Method,
		Request:          scheme + "://" + r.Host + r.URL.EscapedPath(),
		Protocol:         r.Proto,
		UserAgent:        r.UserAgent(),
		ChannelID:        req.t.channel,
		IngestEndpointID: req.t.endpoint,
		RequestID:        req.id,
	}
	h.access.write(&rec)
}

// serve authenticates, bounds and dispatches one request. It returns the
// success status, or an error that ServeHTTP maps to one.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req *request) (int, error) {
	switch r.Method {
	case http.MethodPut, http.MethodPost, http.MethodDelete:
	default:
		w.Header().Set("Allow", "PUT, POST, DELETE")
		return 0, fail(http.StatusMethodNotAllowed, "", nil, "method %s not allowed: ingest takes PUT, POST and DELETE", r.Method)
	}
	t, err := parseTarget(r.URL.EscapedPath())
	if err != nil {
		return 0, fail(http.StatusBadRequest, "", err, "bad path %q: want %s{channelId}/{ingestEndpointId}/{name} with names of [A-Za-z0-9._~-] and no empty, . or .. elements", r.URL.EscapedPath(), Prefix)
	}
	req.t = t
	ch, err := h.channels.Channel(r.Context(), t.channel)
	if errors.Is(err, configstore.ErrNotFound) {
		return 0, fail(http.StatusNotFound, "", err, "channel %q not found", t.channel)
	}
	if err != nil {
		return 0, fail(http.StatusInternalServerError, "", err, "channel lookup failed")
	}
	idx := ch.IngestEndpointIndex(t.endpoint)
	if idx == 0 {
		return 0, fail(http.StatusNotFound, "", nil, "channel %q has no ingest endpoint %q", t.channel, t.endpoint)
	}
	ep := ch.HLSIngest.IngestEndpoints[idx-1]
	switch h.auth.check(r, &ep) {
	case authOK:
	case authStale:
		h.auth.challenge(w.Header(), true)
		return 0, fail(http.StatusUnauthorized, "", nil, "nonce expired: retry with the new nonce")
	default:
		h.auth.challenge(w.Header(), false)
		return 0, fail(http.StatusUnauthorized, "", nil, "authentication required: use the ingest endpoint's username and password (Digest or Basic)")
	}
	req.channel = ch
	req.input = live.Input(idx)

	cs := h.channel(t.channel)
	if !cs.acquire(h.cfg.MaxConnsPerChannel) {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close")
		return 0, fail(http.StatusServiceUnavailable, reasonBusy, nil, "too many concurrent requests for channel %q (limit %d): retry", t.channel, h.cfg.MaxConnsPerChannel)
	}
	defer cs.release()
	s := cs.session(req.input, t.endpoint, h.clock.Now())

	if r.Method == http.MethodDelete {
		req.bodyDone = h.clock.Now()
		s.delete(t.name)
		return http.StatusNoContent, nil
	}

	playlist := isPlaylist(t.name)
	limit := h.cfg.MaxSegmentBytes
	if playlist {
		limit = h.cfg.MaxPlaylistBytes
	}
	body, err := h.readBody(w, r, req, limit)
	if err != nil {
		return 0, err
	}
	req.bodyDone = h.clock.Now()
	if playlist {
		return h.putPlaylist(r.Context(), s, req, body)
	}
	return h.putObject(r.Context(), s, req, body)
}

// readBody reads the whole request body, sized or chunked, bounded by limit
// bytes and the configured body timeout.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, req *request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return nil, fail(http.StatusRequestEntityTooLarge, reasonTooLarge, nil, "body of %d bytes is over the limit of %d bytes for %s", r.ContentLength, limit, req.t.name)
	}
	rc := http.NewResponseController(w)
	// Errors mean the connection cannot take deadlines (a test recorder):
	// then only the server's own timeouts apply. Connection deadlines are
	// wall-clock by nature, so not the injected clock.
	_ = rc.SetReadDeadline(time.Now().Add(h.cfg.BodyTimeout))
	defer rc.SetReadDeadline(time.Time{})

	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	req.received = n
	switch {
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return nil, fail(http.StatusRequestTimeout, reasonTimeout, err, "body of %s did not arrive within %s", req.t.name, h.cfg.BodyTimeout)
	case err != nil:
		w.Header().Set("Connection", "close")
		return nil, fail(http.StatusBadRequest, reasonTruncated, err, "body of %s was cut short after %d bytes; upload discarded", req.t.name, n)
	case n > limit:
		w.Header().Set("Connection", "close")
		return nil, fail(http.StatusRequestEntityTooLarge, reasonTooLarge, nil, "body of %s is over the limit of %d bytes", req.t.name, limit)
	}
	b := buf.Bytes()
	if cap(b) > len(b)+len(b)/4+bytes.MinRead {
		// Held bytes count against the channel's bound: drop the slack a
		// chunked body's growth left.
		b = bytes.Clone(b)
	}
	return b, nil
}

// countingWriter counts response body bytes for the access log.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
