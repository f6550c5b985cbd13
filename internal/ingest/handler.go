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
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/accesslog"
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
	AccessLog *accesslog.Log
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
	access    *accesslog.Log
	auth      *authenticator
	// unknown stands in for the endpoint of requests to unknown channels
	// and endpoints: they are checked against it (its password is
	// random, so they fail) and challenged like wrong credentials.
	unknown configstore.IngestEndpoint
	budget  *budget
	limits  bodyLimits
	chunks  *chunkPool
	warns   *warnLimiter

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
	if opts.Config.BodyIdleTimeout <= 0 {
		opts.Config.BodyIdleTimeout = def.BodyIdleTimeout
	}
	opts.Config.BodyIdleTimeout = min(opts.Config.BodyIdleTimeout, opts.Config.BodyTimeout)
	// BodyMinRate 0 is "no minimum rate", so only a negative one is fixed.
	opts.Config.BodyMinRate = max(opts.Config.BodyMinRate, 0)
	if opts.Config.BodyMinRateGrace <= 0 {
		opts.Config.BodyMinRateGrace = def.BodyMinRateGrace
	}
	if opts.Config.MaxInflightBytes <= 0 {
		opts.Config.MaxInflightBytes = def.MaxInflightBytes
	}
	if s := opts.Config.MaxInflightChannelShare; s <= 0 || s > 1 {
		opts.Config.MaxInflightChannelShare = def.MaxInflightChannelShare
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
	var stand [32]byte
	if _, err := rand.Read(stand[:]); err != nil {
		return nil, fmt.Errorf("ingest: stand-in credentials: %w", err)
	}
	b := newBudget(opts.Config.MaxInflightBytes, opts.Config.MaxInflightChannelShare)
	h := &Handler{
		channels:  opts.Channels,
		timelines: opts.Timelines,
		cfg:       opts.Config,
		clock:     opts.Clock,
		log:       opts.Logger,
		metrics:   newMetrics(b),
		auth:      auth,
		unknown:   configstore.IngestEndpoint{Username: hex.EncodeToString(stand[:16]), Password: hex.EncodeToString(stand[16:])},
		budget:    b,
		limits: bodyLimits{
			total:   opts.Config.BodyTimeout,
			idle:    opts.Config.BodyIdleTimeout,
			minRate: opts.Config.BodyMinRate,
			grace:   opts.Config.BodyMinRateGrace,
		},
		chunks: newChunkPool(),
		warns:  newWarnLimiter(),
		chans:  make(map[string]*channelState),
		access: opts.AccessLog,
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
	id      string
	t       target
	channel *configstore.Channel
	input   live.Input
	// cs is the channel's ingest state once the request is
	// authenticated.
	cs       *channelState
	received int64
	// reserved is what the request holds of the in-flight budget.
	reserved int64
	// bodyRead is set once the body was read to its end.
	bodyRead bool
	// bodyDone is when the body was fully read (processing starts).
	bodyDone time.Time
}

// ServeHTTP serves PUT, POST and DELETE under /in/v2/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.clock.Now()
	req := &request{id: newRequestID()}
	defer func() {
		if req.cs != nil {
			h.budget.release(req.cs, req.reserved)
		}
	}()
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
		if c == http.StatusServiceUnavailable && hd.Get("Retry-After") == "" {
			hd.Set("Retry-After", "1")
		}
		// Refused before the body was read (or in the middle of it):
		// answer at once and close. Without Connection: close net/http
		// would read up to 256 KiB of the unread body before answering,
		// and after the handler it drains the body again (to reuse the
		// connection) with no deadline: a client that withholds its body
		// would hold the connection and a goroutine for as long as it
		// likes. The expired read deadline ends that drain at once.
		unread := !req.bodyRead && r.ContentLength != 0
		if unread {
			hd.Set("Connection", "close")
		}
		body := msg + "\n"
		hd.Set("Content-Length", strconv.Itoa(len(body)))
		cw.WriteHeader(c)
		io.WriteString(cw, body)
		if unread {
			http.NewResponseController(cw).SetReadDeadline(time.Now())
		}
	} else {
		cw.Header().Set("Cache-Control", "no-store")
		cw.WriteHeader(code)
	}

	end := h.clock.Now()
	chLabel, epLabel := h.labelChannel(req), ""
	if req.channel != nil {
		epLabel = req.t.endpoint
	}
	h.metrics.requests.Observe([]string{chLabel, epLabel}, code, end.Sub(start), req.received)
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

// logError logs a refused request, rate-limited per channel and status
// (a client decides how often it is refused).
func (h *Handler) logError(r *http.Request, req *request, code int, err error) {
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", code, "request_id", req.id, "err", err}
	channel := h.labelChannel(req)
	if req.channel != nil {
		attrs = append(attrs, "channel", req.t.channel, "input", int(req.input))
	}
	kind := "refused:" + strconv.Itoa(code)
	switch {
	case code >= 500:
		h.logLimited(slog.LevelError, channel, kind, "ingest request failed", attrs...)
	case code == http.StatusUnauthorized, code == http.StatusNotFound:
		h.logLimited(slog.LevelDebug, channel, kind, "ingest request refused", attrs...)
	default:
		h.logLimited(slog.LevelWarn, channel, kind, "ingest request refused", attrs...)
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
		Fields: accesslog.Fields{
			Timestamp:      start,
			ClientIP:       ip,
			ProcessingTime: proc,
			StatusCode:     code,
			ReceivedBytes:  req.received,
			SentBytes:      sent,
			Method:         r.Method,
			Request:        scheme + "://" + r.Host + r.URL.EscapedPath(),
			Protocol:       r.Proto,
			UserAgent:      r.UserAgent(),
		},
		ChannelID:        req.t.channel,
		IngestEndpointID: req.t.endpoint,
		RequestID:        req.id,
	}
	h.access.Append(rec.appendJSON)
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
	if err := h.authenticate(w, r, req); err != nil {
		return 0, err
	}
	cs := h.channel(req.t.channel)
	req.cs = cs
	if !cs.acquire(h.cfg.MaxConnsPerChannel) {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close")
		return 0, fail(http.StatusServiceUnavailable, reasonBusy, nil, "too many concurrent requests for channel %q (limit %d): retry", req.t.channel, h.cfg.MaxConnsPerChannel)
	}
	defer cs.release()
	return h.serveBody(w, r, req, cs.session(req.input, req.t.endpoint, h.clock.Now()))
}

// authenticate resolves the request's channel and ingest endpoint and
// checks its credentials against them, setting req.t, req.channel and
// req.input; it challenges (a 401) when they do not pass.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, req *request) error {
	t, err := parseTarget(r.URL.EscapedPath())
	if err != nil {
		return fail(http.StatusBadRequest, "", err, "bad path %q: want %s{channelId}/{ingestEndpointId}/{name} with names of [A-Za-z0-9._~-] and no empty, . or .. elements", r.URL.EscapedPath(), Prefix)
	}
	req.t = t
	ch, err := h.channels.Channel(r.Context(), t.channel)
	if err != nil && !errors.Is(err, configstore.ErrNotFound) {
		return fail(http.StatusInternalServerError, "", err, "channel lookup failed")
	}
	// An unknown channel or ingest endpoint is answered exactly like
	// wrong credentials (checked against a stand-in endpoint, with the
	// same challenge and message), so nobody can tell which channel ids
	// exist by asking; the log says which it was.
	var unknown error
	idx := 0
	ep := &h.unknown
	if err != nil {
		unknown = err
	} else if idx = ch.IngestEndpointIndex(t.endpoint); idx == 0 {
		unknown = fmt.Errorf("channel %q has no ingest endpoint %q", t.channel, t.endpoint)
	} else {
		ep = &ch.HLSIngest.IngestEndpoints[idx-1]
	}
	res := h.auth.check(r, ep)
	if unknown != nil {
		res = authFailed
	}
	switch res {
	case authOK:
	case authStale:
		h.auth.challenge(w.Header(), true)
		return fail(http.StatusUnauthorized, "", nil, "nonce expired: retry with the new nonce")
	default:
		h.auth.challenge(w.Header(), false)
		return fail(http.StatusUnauthorized, "", unknown, "authentication required: use the ingest endpoint's username and password (Digest or Basic)")
	}
	req.channel = ch
	req.input = live.Input(idx)
	return nil
}

// serveBody reads the body of an authenticated request under the
// body limits and hands it to the session.
func (h *Handler) serveBody(w http.ResponseWriter, r *http.Request, req *request, s *session) (int, error) {
	if r.Method == http.MethodDelete {
		// No body is expected, but one may come (ffmpeg sends an empty
		// chunked one): read it under the same deadlines, so the
		// connection can be reused and nobody holds it open.
		if _, err := h.readBody(w, r, req, maxDeleteBody); err != nil {
			return 0, err
		}
		req.bodyDone = h.clock.Now()
		s.delete(req.t.name)
		return http.StatusNoContent, nil
	}

	playlist := isPlaylist(req.t.name)
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
