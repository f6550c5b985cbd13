// Package egress is the playback HTTP layer (DESIGN.md §4, §5): it routes
// /out/v1/{endpointId}/{object} to the endpoint's packager, enforces the
// endpoint's access control (origination, IP whitelist, CDN
// authorization), keeps packaged objects in a byte-bounded output cache
// shared by concurrent requests, and serves them with the headers a CDN
// and a player need: validators and conditional GET, byte ranges, gzip
// for manifests, CORS, Cache-Control and MediaPackage's monitoring
// headers. It also keeps the egress metrics and access log.
package egress

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"boxcar/internal/accesslog"
	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/packager"
	"boxcar/internal/store"
)

// packageTimeout bounds one packaging run. It is detached from the
// requesting client (others may be waiting on the same run), so it needs
// its own bound; a TS remux of a long segment takes milliseconds.
const packageTimeout = 30 * time.Second

// Endpoints reads origin endpoints; configstore.Store implements it.
type Endpoints interface {
	// Endpoint returns the endpoint, or an error wrapping
	// configstore.ErrNotFound.
	Endpoint(ctx context.Context, id string) (*configstore.OriginEndpoint, error)
	// Version increases with every configuration change.
	Version() uint64
}

// CDNSecrets resolves CDN identifier secrets stored through the Secrets
// Manager API; *secrets.Vault implements it.
type CDNSecrets interface {
	// CDNIdentifiers returns the values the X-MediaPackage-CDNIdentifier
	// header may carry for the secret arn (AWSCURRENT's, then
	// AWSPREVIOUS's; the caller must not modify them), none when arn names
	// no usable secret. It is called on every request of an endpoint using
	// the secret, so a rotation takes effect at once; it must be cheap and
	// must not block.
	CDNIdentifiers(arn string) [][]byte
}

// Options configure a Handler.
type Options struct {
	Endpoints Endpoints
	Timelines *live.Manager
	Media     store.Store
	// HLS serves hlsPackage and cmafPackage endpoints, DASH dashPackage
	// endpoints; nil means the format is not available (404 that says
	// so).
	HLS, DASH packager.Packager
	Config    config.EgressConfig
	// Secrets resolves an endpoint's authorization.cdnIdentifierSecret
	// when Config.CDNSecrets does not list it; nil for none.
	Secrets CDNSecrets
	// PublicURL is the base URL clients reach Boxcar at, without a
	// trailing slash.
	PublicURL string
	Clock     clock.Clock
	Logger    *slog.Logger
	// Registry receives the egress metrics; nil for none.
	Registry prometheus.Registerer
	// WriteWait bounds how long a client may take to accept each
	// writeChunk bytes of a response (and the response header); a client
	// that stalls longer is disconnected (config http.writeTimeout). 0
	// sets no deadline.
	WriteWait time.Duration
	// AccessLog receives one JSON line per request (MediaPackage's egress
	// access-log fields); nil for none.
	AccessLog *accesslog.Log
}

// Handler serves playback. Mount it at Prefix without stripping it:
// mux.Handle("/out/v1/", h). It is safe for concurrent use; endpoint
// configuration is re-read when Endpoints.Version moves, timelines are
// read as immutable snapshots.
type Handler struct {
	endpoints  Endpoints
	timelines  *live.Manager
	media      store.Store
	hls, dash  packager.Packager
	cdnSecrets map[string]config.CDNSecret
	secrets    CDNSecrets // Options.Secrets
	publicURL  string
	writeTO    time.Duration // Options.WriteWait
	clock      clock.Clock
	log        *slog.Logger
	access     *accesslog.Log
	metrics    *metrics
	unknown    *endpointMetrics // requests naming no configured endpoint
	cache      *cache
	gzip       gzipPool
	flight     singleflight.Group // packaging, by per-snapshot key
	epFlight   singleflight.Group // endpoint loads, by id

	epMu sync.RWMutex
	eps  map[string]*endpoint

	idPrefix [16]byte // random per process, hex
	idSeq    atomic.Uint64
}

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Endpoints == nil || opts.Timelines == nil {
		return nil, errors.New("egress: Endpoints and Timelines are required")
	}
	if opts.Config.CacheBytes < 0 {
		return nil, fmt.Errorf("egress: cacheBytes is %d; set 0 or more", opts.Config.CacheBytes)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	secrets := make(map[string]config.CDNSecret, len(opts.Config.CDNSecrets))
	for k, v := range opts.Config.CDNSecrets {
		secrets[k] = v
	}
	h := &Handler{
		endpoints:  opts.Endpoints,
		timelines:  opts.Timelines,
		media:      opts.Media,
		hls:        opts.HLS,
		dash:       opts.DASH,
		cdnSecrets: secrets,
		secrets:    opts.Secrets,
		publicURL:  strings.TrimRight(opts.PublicURL, "/"),
		writeTO:    opts.WriteWait,
		clock:      opts.Clock,
		log:        opts.Logger,
		access:     opts.AccessLog,
		cache:      newCache(opts.Config.CacheBytes),
		eps:        make(map[string]*endpoint),
	}
	h.metrics = newMetrics(h.cache)
	h.unknown = h.metrics.forEndpoint("", "")
	if opts.Registry != nil {
		if err := h.metrics.register(opts.Registry); err != nil {
			return nil, fmt.Errorf("egress: register metrics: %w", err)
		}
	}
	var seed [8]byte
	rand.Read(seed[:])
	hex.Encode(h.idPrefix[:], seed[:])
	return h, nil
}

// reqState is what one request learned, for metrics and the access log.
type reqState struct {
	id      string
	start   time.Time
	ttfb    time.Duration // to the response header
	code    int
	sent    int64
	ep      *endpoint
	writeTO time.Duration // Handler.writeTO
	armed   time.Time     // when the write deadline was last set
}

// writeHeader sends the response header, under a fresh write deadline:
// every response is written under one.
func (rs *reqState) writeHeader(w http.ResponseWriter, code int) {
	rs.code = code
	now := time.Now()
	rs.ttfb = now.Sub(rs.start)
	rs.armWrite(w, now)
	w.WriteHeader(code)
}

// armWrite gives the client writeTO from now to accept what is written
// next.
func (rs *reqState) armWrite(w http.ResponseWriter, now time.Time) {
	if rs.writeTO <= 0 {
		return
	}
	rs.armed = now
	// An error means the writer takes no deadlines (a test recorder).
	if d, ok := w.(writeDeadliner); ok {
		_ = d.SetWriteDeadline(now.Add(rs.writeTO))
	} else {
		_ = http.NewResponseController(w).SetWriteDeadline(now.Add(rs.writeTO))
	}
}

// writeDeadliner is net/http's ResponseWriter, asked directly on the hot
// path; wrapped writers go through http.ResponseController.
type writeDeadliner interface {
	SetWriteDeadline(time.Time) error
}

// writeChunk is how much of a body is written under one write deadline:
// with the default http.writeTimeout of 15 s a client must accept 64 KiB
// every 15 s (35 kbit/s) to keep its connection, far below any rendition
// a player could play.
const writeChunk = 64 << 10

// writeBody writes body in chunks of writeChunk bytes and returns the
// bytes written. Each chunk starts with at least 15/16 of the write wait
// ahead of it: the deadline is moved on before a chunk once a sixteenth
// of the wait has passed since it was set (setting one costs a few
// hundred nanoseconds; a fast client takes a whole segment well within a
// sixteenth). A client that stalls past the deadline is cut: the write
// fails and net/http closes the connection.
func (h *Handler) writeBody(w http.ResponseWriter, body []byte, rs *reqState) int64 {
	var sent int64
	for len(body) > 0 {
		if sent > 0 && rs.writeTO > 0 {
			if now := time.Now(); now.Sub(rs.armed) >= rs.writeTO/16 {
				rs.armWrite(w, now)
			}
		}
		chunk := body[:min(len(body), writeChunk)]
		n, err := w.Write(chunk)
		sent += int64(n)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				h.metrics.writeTimeouts.Inc()
			}
			break
		}
		body = body[len(chunk):]
	}
	return sent
}

// ServeHTTP serves GET, HEAD and OPTIONS (CORS preflight) under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs := reqState{start: time.Now(), id: h.newRequestID(), writeTO: h.writeTO}
	hdr := w.Header()
	hdr[hRequestID] = []string{rs.id}
	hdr[hAllowOrigin] = vStar
	hdr[hExposeHeaders] = vExposeHeaders
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if err := h.serve(w, r, &rs); err != nil {
			h.fail(w, r, err, &rs)
		}
	case http.MethodOptions:
		h.preflight(w, r, &rs)
	default:
		hdr[hAllow] = vMethods
		h.fail(w, r, errMethod, &rs)
	}
	h.finish(r, &rs)
}

// serve resolves, authorizes and serves one GET or HEAD.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rs *reqState) error {
	id, rest, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		return errBadPath
	}
	ep, err := h.endpoint(r.Context(), id)
	if err != nil {
		return err
	}
	rs.ep = ep
	if err := ep.authorize(r, h.log); err != nil {
		return err
	}
	if ep.unavailable != nil {
		return ep.unavailable
	}
	query := r.URL.RawQuery
	if query != "" && !validQuery(query) {
		return errBadQuery
	}
	tl, ok := h.timelines.Lookup(ep.channel)
	if !ok {
		return errNoMedia
	}
	snap := tl.Snapshot()
	if len(snap.Segments) == 0 {
		return errNoMedia
	}
	o, err := h.object(r.Context(), ep, rest, query, snap)
	if err != nil {
		return err
	}
	h.writeObject(w, r, o, rs)
	return nil
}

// object returns the packaged object for path and query at snap: from the
// output cache, else packaged once however many requests ask at the same
// time.
func (h *Handler) object(ctx context.Context, ep *endpoint, path, query string, snap *live.Snapshot) (*object, error) {
	if o := h.cached(ep, path, query, snap.Version); o != nil {
		h.metrics.cacheHit.Inc()
		return o, nil
	}
	h.metrics.cacheMiss.Inc()
	key := ep.id + "\x00" + ep.fingerprint + "\x00" + path + "?" + query + "\x00" + strconv.FormatUint(snap.Version, 10)
	v, err, _ := h.flight.Do(key, func() (v any, err error) {
		// A run that just finished may have filled the cache.
		if o := h.cached(ep, path, query, snap.Version); o != nil {
			return o, nil
		}
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("egress: packager panicked on %q of endpoint %q: %v\n%s", path, ep.id, p, debug.Stack())
			}
		}()
		return h.pack(context.WithoutCancel(ctx), ep, path, query, snap)
	})
	if err != nil {
		return nil, err
	}
	return v.(*object), nil
}

// cached looks path up under the immutable keys, then the per-snapshot key.
func (h *Handler) cached(ep *endpoint, path, query string, version uint64) *object {
	if o := h.cache.get(cacheKey{ep: ep, path: path, immutable: true}, 0); o != nil {
		return o
	}
	if query != "" {
		if o := h.cache.get(cacheKey{ep: ep, path: path, query: query, immutable: true}, 0); o != nil {
			return o
		}
	}
	return h.cache.get(cacheKey{ep: ep, path: path, query: query}, version)
}

// pack runs the packager and caches what it built.
func (h *Handler) pack(ctx context.Context, ep *endpoint, path, query string, snap *live.Snapshot) (*object, error) {
	ctx, cancel := context.WithTimeout(ctx, packageTimeout)
	defer cancel()
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errBadQuery
	}
	start := time.Now()
	po, err := ep.pkg.Package(ctx, &packager.Request{
		Endpoint:  ep.cfg,
		Path:      path,
		Query:     q,
		Snapshot:  snap,
		Now:       h.clock.Now(),
		Media:     h.media,
		BaseURL:   ep.baseURL,
		PublicURL: h.publicURL,
	})
	if err != nil {
		return nil, err
	}
	if po == nil {
		return nil, fmt.Errorf("egress: packager returned no object for %q of endpoint %q", path, ep.id)
	}
	h.metrics.packaging.WithLabelValues(kindName(po.Kind)).Observe(time.Since(start).Seconds())
	o := newObject(po, snap, &h.gzip)
	switch {
	case po.Immutable && po.Kind != packager.KindManifest:
		h.cache.put(cacheKey{ep: ep, path: path, immutable: true}, 0, o)
	case po.Immutable:
		h.cache.put(cacheKey{ep: ep, path: path, query: query, immutable: true}, 0, o)
	default:
		h.cache.put(cacheKey{ep: ep, path: path, query: query}, snap.Version, o)
	}
	return o, nil
}

func kindName(k packager.Kind) string {
	switch k {
	case packager.KindManifest:
		return "manifest"
	case packager.KindSegment:
		return "segment"
	case packager.KindInit:
		return "init"
	}
	return "other"
}

// preflight answers a CORS preflight. It needs no endpoint: it reveals
// nothing, and browsers send it without the headers access control checks.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, rs *reqState) {
	hdr := w.Header()
	hdr[hAllowMethods] = vMethods
	hdr[hAllowHeaders] = vAllowHeaders
	hdr[hMaxAge] = vPreflightAge
	if id, _, ok := splitPath(r.URL.EscapedPath()); ok {
		h.epMu.RLock()
		rs.ep = h.eps[id]
		h.epMu.RUnlock()
	}
	rs.writeHeader(w, http.StatusNoContent)
}

// fail sends err as a short-lived plain-text error and logs unexpected
// ones with their detail.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error, rs *reqState) {
	se, logDetail := classify(err)
	if logDetail {
		attrs := []any{"err", err, "request_id", rs.id, "path", r.URL.Path}
		if rs.ep != nil {
			attrs = append(attrs, "endpoint", rs.ep.id, "channel", rs.ep.channel)
		}
		h.log.Error("egress: request failed", attrs...)
	}
	if se.code == errClientClosed.code {
		rs.code = se.code // the client is gone; nothing to send
		return
	}
	hdr := w.Header()
	hdr[hContentType] = vTextPlain
	hdr[hCacheControl] = vErrorMaxAge
	hdr[hNoSniff] = vNoSniff
	body := se.msg + "\n"
	hdr[hContentLength] = []string{strconv.Itoa(len(body))}
	rs.writeHeader(w, se.code)
	if r.Method != http.MethodHead {
		n, _ := io.WriteString(w, body)
		rs.sent = int64(n)
	}
}

// finish records the request in the metrics and the access log.
func (h *Handler) finish(r *http.Request, rs *reqState) {
	m, channel, endpointID, arn, account := h.unknown, "", "", "", ""
	if rs.ep != nil {
		m, channel, endpointID, arn, account = rs.ep.metrics, rs.ep.channel, rs.ep.id, rs.ep.cfg.ARN, rs.ep.account
	}
	m.Observe(rs.code, time.Since(rs.start), rs.sent)
	if h.access == nil {
		return
	}
	scheme, domain := "http", "-"
	if r.TLS != nil {
		scheme = "https"
		if r.TLS.ServerName != "" {
			domain = r.TLS.ServerName
		}
	}
	client := r.RemoteAddr
	if a, ok := clientAddr(r.RemoteAddr); ok {
		client = a.String()
	}
	rec := accessRecord{
		Fields: accesslog.Fields{
			Timestamp:      h.clock.Now(),
			ClientIP:       client,
			ProcessingTime: rs.ttfb,
			StatusCode:     rs.code,
			ReceivedBytes:  max(r.ContentLength, 0),
			SentBytes:      rs.sent,
			Method:         r.Method,
			Request:        scheme + "://" + r.Host + r.URL.RequestURI(),
			Protocol:       r.Proto,
			UserAgent:      r.UserAgent(),
		},
		DomainName:  domain,
		Account:     account,
		ChannelID:   channel,
		EndpointID:  endpointID,
		EndpointARN: arn,
		RequestID:   rs.id,
	}
	h.access.Append(rec.appendJSON)
}

// newRequestID returns a process-unique id: a random per-process prefix
// and a counter, both hex.
func (h *Handler) newRequestID() string {
	var b [16 + 1 + 16]byte
	copy(b[:16], h.idPrefix[:])
	b[16] = '-'
	n := h.idSeq.Add(1)
	for i := len(b) - 1; i > 16; i-- {
		b[i] = hexDigits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}
