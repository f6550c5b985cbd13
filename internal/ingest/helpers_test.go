package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/accesslog"
	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/digest"
	"boxcar/internal/live"
	"boxcar/internal/store"
	"boxcar/internal/testutil"
)

// channelMap is an in-memory Channels.
type channelMap struct {
	mu sync.Mutex
	m  map[string]*configstore.Channel
}

func (c *channelMap) Channel(ctx context.Context, id string) (*configstore.Channel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.m[id]
	if !ok {
		return nil, fmt.Errorf("channel %q: %w", id, configstore.ErrNotFound)
	}
	cp := *ch
	cp.HLSIngest.IngestEndpoints = append([]configstore.IngestEndpoint(nil), ch.HLSIngest.IngestEndpoints...)
	return &cp, nil
}

// setPassword rotates an ingest endpoint's password.
func (c *channelMap) setPassword(ch string, idx int, pass string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[ch].HLSIngest.IngestEndpoints[idx].Password = pass
}

// env is a Handler behind an httptest server with one channel "ch1" whose
// ingest endpoints are "ep1" (user1/pass1) and "ep2" (user2/pass2).
type env struct {
	t        testing.TB
	channels *channelMap
	timeline *live.Manager
	handler  *Handler
	srv      *httptest.Server
	reg      *prometheus.Registry
	logs     *lockedBuffer
	access   *lockedBuffer
	clock    clock.Clock
	store    store.Store

	tapMu     sync.Mutex
	playlists map[string][]byte // "ep/name" → last body
}

type envOptions struct {
	clock    clock.Clock
	cfg      config.IngestConfig
	fileStor bool // store.File instead of memory
	store    store.Store
	run      bool // run the manager and the handler in the background
	tap      bool // keep the last body of every playlist PUT
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.clock == nil {
		o.clock = clock.Real{}
	}
	e := &env{t: t, clock: o.clock, reg: prometheus.NewRegistry(), logs: &lockedBuffer{}, access: &lockedBuffer{}}
	e.channels = &channelMap{m: map[string]*configstore.Channel{
		"ch1": {ID: "ch1", HLSIngest: configstore.HLSIngest{IngestEndpoints: []configstore.IngestEndpoint{
			{ID: "ep1", Username: "user1", Password: "pass1"},
			{ID: "ep2", Username: "user2", Password: "pass2"},
		}}},
	}}
	dir := t.TempDir()
	st := o.store
	if st == nil {
		if o.fileStor {
			f, err := store.NewFile(dir + "/media")
			if err != nil {
				t.Fatal(err)
			}
			st = f
		} else {
			st = store.NewMemory()
		}
	}
	e.store = st
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := live.Open(context.Background(), live.Options{DataDir: dir, Store: st, Clock: o.clock, Logger: logger, TickInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e.timeline = m
	alog, err := accesslog.New(e.access, accesslog.Options{Clock: o.clock})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Channels: e.channels, Timelines: m, Config: o.cfg, Clock: o.clock, Logger: logger, Registry: e.reg, AccessLog: alog})
	if err != nil {
		t.Fatal(err)
	}
	e.handler = h
	// Routed by hand: a ServeMux would redirect uncleaned paths before
	// the handler sees them.
	status := h.Status()
	e.playlists = make(map[string][]byte)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/boxcar/v1/channels/") {
			status.ServeHTTP(w, r)
			return
		}
		if o.tap && r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, ".m3u8") {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "tap: "+err.Error(), http.StatusBadRequest)
				return
			}
			key := strings.TrimPrefix(r.URL.Path, Prefix+"ch1/")
			e.tapMu.Lock()
			if old, ok := e.playlists[key]; !ok || !playlistStale(b, old) {
				e.playlists[key] = b
			}
			e.tapMu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	if o.run {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); m.Run(ctx) }()
		go func() { defer wg.Done(); h.Run(ctx) }()
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

// lastPlaylist is the newest body PUT under name on endpoint ep1 (see
// playlistStale), or nil.
func (e *env) lastPlaylist(name string) []byte {
	e.tapMu.Lock()
	defer e.tapMu.Unlock()
	return e.playlists["ep1/"+name]
}

// finalPlaylist waits for the encoder's final media playlist under name on
// endpoint ep1, the one with EXT-X-ENDLIST. ffmpeg does not wait for the
// answer to its last PUTs before it exits, so the final playlist may still
// be on its way when the process is gone.
func (e *env) finalPlaylist(name string) []byte {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b := e.lastPlaylist(name)
		if _, ended := playlistEnd(b); ended {
			return b
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("encoder's final playlist %s (with EXT-X-ENDLIST) never arrived; newest one:\n%s", name, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// playlistStale reports whether media playlist b is older than old, the
// one the tap holds: its media sequence range ends earlier, or at the same
// place without the EXT-X-ENDLIST old has. Without -http_persistent each
// PUT of ffmpeg is its own connection, and the server may finish reading
// an older playlist after a newer one (the ingest itself ignores such a
// stale playlist), so "last to arrive" is not "newest".
func playlistStale(b, old []byte) bool {
	end, ended := playlistEnd(b)
	oldEnd, oldEnded := playlistEnd(old)
	return end < oldEnd || end == oldEnd && oldEnded && !ended
}

// playlistEnd returns the media sequence number after the last segment a
// media playlist lists, and whether it has EXT-X-ENDLIST.
func playlistEnd(b []byte) (end uint64, ended bool) {
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"):
			n, _ := strconv.ParseUint(strings.TrimPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"), 10, 64)
			end += n
		case strings.HasPrefix(l, "#EXTINF:"):
			end++
		case l == "#EXT-X-ENDLIST":
			ended = true
		}
	}
	return end, ended
}

// checkAccessLog checks every access-log line is JSON with MediaPackage's
// fields and no credentials.
func (e *env) checkAccessLog() {
	e.t.Helper()
	lines := strings.Split(strings.TrimSpace(e.access.String()), "\n")
	if len(lines) == 0 || lines[0] == "" {
		e.t.Fatal("no access-log lines")
	}
	fields := []string{"timestamp", "clientIp", "processingTime", "statusCode", "receivedBytes", "sentBytes",
		"method", "request", "protocol", "userAgent", "channelId", "ingestEndpointId", "requestId"}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			e.t.Fatalf("access log line %q: %v", l, err)
		}
		for _, f := range fields {
			if _, ok := m[f]; !ok {
				e.t.Fatalf("access log line %q lacks %s", l, f)
			}
		}
		for _, secret := range []string{"pass1", "pass2", "Basic ", "Digest "} {
			if strings.Contains(l, secret) {
				e.t.Fatalf("access log line %q contains %q", l, secret)
			}
		}
	}
}

// url is the ingest URL of name on endpoint ep of ch1.
func (e *env) url(ep, name string) string { return e.srv.URL + Prefix + "ch1/" + ep + "/" + name }

// put PUTs body with Basic credentials of ep and returns the status and
// response body.
func (e *env) put(ep, name string, body []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPut, e.url(ep, name), bytes.NewReader(body))
	e.basic(req, ep)
	return e.do(req)
}

func (e *env) basic(req *http.Request, ep string) {
	switch ep {
	case "ep1":
		req.SetBasicAuth("user1", "pass1")
	case "ep2":
		req.SetBasicAuth("user2", "pass2")
	}
}

func (e *env) do(req *http.Request) (int, string) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mustPut PUTs and fails the test unless the answer is 201 or 204.
func (e *env) mustPut(ep, name string, body []byte) {
	e.t.Helper()
	code, msg := e.put(ep, name, body)
	if code != http.StatusCreated && code != http.StatusNoContent {
		e.t.Fatalf("PUT %s: got %d %q, want 201 or 204", name, code, msg)
	}
}

// counter reads a counter of the ingest registry: the sum over the
// series whose labels include the name/value pairs given.
func (e *env) counter(name string, labels ...string) float64 {
	e.t.Helper()
	want := make(map[string]string, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	return testutil.Metric(e.t, e.reg, name, want)
}

// gauge reads a gauge of the ingest registry, summed over its series (0
// when absent).
func (e *env) gauge(name string) float64 {
	e.t.Helper()
	return testutil.Metric(e.t, e.reg, name, nil)
}

// testIngestConfig has small limits so tests can exceed them cheaply.
func testIngestConfig() config.IngestConfig {
	return config.IngestConfig{
		MaxSegmentBytes:    4 << 20,
		MaxPlaylistBytes:   64 << 10,
		BodyTimeout:        2 * time.Second,
		MaxConnsPerChannel: 8,
	}
}

type lockedBuffer = testutil.Buffer

// digestClient answers Digest challenges the way RFC 7616 clients do.
type digestClient struct {
	user, pass string
	alg        string // "MD5" or "SHA-256"
	realm      string
	nonce      string
	opaque     string
	nc         int
}

// challenge picks the client's algorithm from a 401's WWW-Authenticate
// headers and reports whether it was marked stale.
func (d *digestClient) challenge(t *testing.T, resp *http.Response) (stale bool) {
	t.Helper()
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		scheme, rest, _ := strings.Cut(v, " ")
		if scheme != "Digest" {
			continue
		}
		p, ok := digest.ParseParams(rest)
		if !ok {
			t.Fatalf("challenge %q does not parse", v)
		}
		if p["algorithm"] != d.alg {
			continue
		}
		if p["qop"] != "auth" {
			t.Fatalf("challenge %q: qop %q, want auth", v, p["qop"])
		}
		d.realm, d.nonce, d.opaque, d.nc = p["realm"], p["nonce"], p["opaque"], 0
		return p["stale"] == "true"
	}
	t.Fatalf("no Digest %s challenge in %q", d.alg, resp.Header.Values("WWW-Authenticate"))
	return false
}

// authorize sets the Authorization header of req with the next nonce count.
func (d *digestClient) authorize(req *http.Request) {
	d.nc++
	d.authorizeNC(req, d.nc)
}

func (d *digestClient) authorizeNC(req *http.Request, nc int) {
	alg, _ := digest.ParseAlgorithm(d.alg)
	var cb [8]byte
	rand.Read(cb[:])
	cr := digest.Credentials{Username: d.user, Realm: d.realm, Nonce: d.nonce, URI: req.URL.RequestURI(), Algorithm: d.alg,
		QOP: "auth", NC: fmt.Sprintf("%08x", nc), CNonce: hex.EncodeToString(cb[:]), Opaque: d.opaque}
	cr.Response = cr.Digest(alg, req.Method, d.pass)
	req.Header.Set("Authorization", cr.String())
}
