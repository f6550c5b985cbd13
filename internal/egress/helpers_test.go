package egress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/accesslog"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/live/livetest"
	"boxcar/internal/packager"
	"boxcar/internal/testutil"
)

// fakeEndpoints is an in-memory Endpoints that counts reads.
type fakeEndpoints struct {
	mu      sync.Mutex
	eps     map[string]configstore.OriginEndpoint
	version atomic.Uint64
	reads   atomic.Int64
}

func (f *fakeEndpoints) Endpoint(ctx context.Context, id string) (*configstore.OriginEndpoint, error) {
	f.reads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	ep, ok := f.eps[id]
	if !ok {
		return nil, fmt.Errorf("endpoint %q: %w", id, configstore.ErrNotFound)
	}
	return &ep, nil
}

func (f *fakeEndpoints) Version() uint64 { return f.version.Load() }

func (f *fakeEndpoints) put(ep configstore.OriginEndpoint) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.eps == nil {
		f.eps = make(map[string]configstore.OriginEndpoint)
	}
	if ep.ARN == "" {
		ep.ARN = "arn:aws:mediapackage:us-east-1:123456789012:origin_endpoints/" + ep.ID
	}
	if ep.Origination == "" {
		ep.Origination = "ALLOW"
	}
	f.eps[ep.ID] = ep
	f.version.Add(1)
}

func (f *fakeEndpoints) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.eps, id)
	f.version.Add(1)
}

// fakePackager returns fixed objects chosen by the path's extension and
// counts calls per path. Names steer errors: missing* → ErrNotFound,
// bad* → BadRequest, enc* → encryption unsupported, unsupported* →
// errors.ErrUnsupported, boom* → an internal error,
// panic* → a panic.
type fakePackager struct {
	name string
	// gate, when set, holds every Package call until it is closed.
	gate chan struct{}

	mu    sync.Mutex
	calls map[string]int
	last  *packager.Request
}

// segmentModTime is the LastModified of fake segments.
var segmentModTime = time.Date(2026, 1, 1, 0, 0, 4, 500e6, time.UTC)

func segmentBody(path string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + len(path))
	}
	copy(b, path)
	return b
}

func (p *fakePackager) Package(ctx context.Context, req *packager.Request) (*packager.Object, error) {
	p.mu.Lock()
	if p.calls == nil {
		p.calls = make(map[string]int)
	}
	p.calls[req.Path]++
	p.last = req
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	base := req.Path[strings.LastIndexByte(req.Path, '/')+1:]
	switch {
	case strings.HasPrefix(base, "missing"):
		return nil, packager.ErrNotFound
	case strings.HasPrefix(base, "bad"):
		return nil, packager.BadRequest("no such rendition %q", base)
	case strings.HasPrefix(base, "enc"):
		return nil, fmt.Errorf("fake: endpoint %q: %w", req.Endpoint.ID, packager.ErrEncryptionUnsupported)
	case strings.HasPrefix(base, "unsupported"):
		return nil, fmt.Errorf("fake: trick play: %w", errors.ErrUnsupported)
	case strings.HasPrefix(base, "boom"):
		return nil, errors.New("fake: secret internal detail")
	case strings.HasPrefix(base, "panic"):
		panic("fake packager panic")
	}
	snap := req.Snapshot
	last := snap.Segments[len(snap.Segments)-1].Seq
	switch {
	case strings.HasSuffix(base, ".m3u8"), strings.HasSuffix(base, ".mpd"):
		var b strings.Builder
		fmt.Fprintf(&b, "#EXTM3U\n# %s version=%d query=%s\n", p.name, snap.Version, req.Query.Encode())
		for _, s := range snap.Segments {
			fmt.Fprintf(&b, "#EXTINF:2.000,\nindex_1_%d.ts\n", s.Seq)
		}
		ct := "application/vnd.apple.mpegurl"
		if strings.HasSuffix(base, ".mpd") {
			ct = "application/dash+xml"
		}
		return &packager.Object{Body: []byte(b.String()), ContentType: ct, Kind: packager.KindManifest,
			MaxAge: 3 * time.Second, LastSequence: last, LastModified: snap.Updated,
			Immutable: req.Query.Get("end") != ""}, nil
	case strings.HasSuffix(base, ".ts"):
		return &packager.Object{Body: segmentBody(req.Path, 64<<10), ContentType: "video/mp2t", Kind: packager.KindSegment,
			Immutable: true, MaxAge: time.Second, LastModified: segmentModTime}, nil
	case strings.HasSuffix(base, ".mp4"):
		kind := packager.KindSegment
		if strings.Contains(base, "init") {
			kind = packager.KindInit
		}
		return &packager.Object{Body: segmentBody(req.Path, 16<<10), ContentType: "video/mp4", Kind: kind,
			Immutable: true, LastModified: segmentModTime}, nil
	}
	return nil, packager.ErrNotFound
}

func (p *fakePackager) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[path]
}

func (p *fakePackager) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		n += c
	}
	return n
}

func (p *fakePackager) lastRequest() *packager.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// Secrets of the test CDN authorization.
const (
	secretARN     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cdn-1"
	missingARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:not-configured"
	currentSecret = "current-3f1c5a0e-9a47-4d5e"
	prevSecret    = "previous-7b2d9e4c-11aa-4b0c"
)

type fixture struct {
	t         testing.TB
	b         *livetest.Builder
	eps       *fakeEndpoints
	hls, dash *fakePackager
	h         *Handler
	reg       *prometheus.Registry
	logs      *syncBuffer // slog output
	access    *syncBuffer // access log
	alog      *accesslog.Log
}

type syncBuffer = testutil.Buffer

const publicURL = "https://origin.example.com"

// newFixture builds a handler over channel ch1 (3 segments) and a set of
// endpoints; mod may adjust the options first.
func newFixture(t testing.TB, mod func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, b: livetest.New(t, "ch1"), eps: &fakeEndpoints{},
		hls: &fakePackager{name: "hls"}, dash: &fakePackager{name: "dash"},
		reg: prometheus.NewRegistry(), logs: &syncBuffer{}, access: &syncBuffer{}}
	f.b.Segments(1, 3)
	f.b.Manager.Timeline("ch-nosegs")
	for _, ep := range []configstore.OriginEndpoint{
		{ID: "hls1", ChannelID: "ch1", HLSPackage: &configstore.HLSPackage{SegmentDurationSeconds: 2}},
		{ID: "cmaf1", ChannelID: "ch1", CMAFPackage: &configstore.CMAFPackage{}},
		{ID: "dash1", ChannelID: "ch1", DASHPackage: &configstore.DASHPackage{}},
		{ID: "mss1", ChannelID: "ch1", MSSPackage: &configstore.MSSPackage{}},
		{ID: "deny1", ChannelID: "ch1", Origination: "DENY", HLSPackage: &configstore.HLSPackage{}},
		{ID: "wl4", ChannelID: "ch1", Whitelist: []string{"10.0.0.0/8", "192.0.2.7"}, HLSPackage: &configstore.HLSPackage{}},
		{ID: "wl6", ChannelID: "ch1", Whitelist: []string{"2001:db8::/32"}, HLSPackage: &configstore.HLSPackage{}},
		{ID: "wlbad", ChannelID: "ch1", Whitelist: []string{"not-a-cidr"}, HLSPackage: &configstore.HLSPackage{}},
		{ID: "auth1", ChannelID: "ch1", Authorization: &configstore.Authorization{CDNIdentifierSecret: secretARN, SecretsRoleARN: "arn:aws:iam::123456789012:role/x"}, HLSPackage: &configstore.HLSPackage{}},
		{ID: "auth2", ChannelID: "ch1", Authorization: &configstore.Authorization{CDNIdentifierSecret: missingARN}, HLSPackage: &configstore.HLSPackage{}},
		{ID: "nochan", ChannelID: "ch-none", HLSPackage: &configstore.HLSPackage{}},
		{ID: "nosegs", ChannelID: "ch-nosegs", HLSPackage: &configstore.HLSPackage{}},
	} {
		f.eps.put(ep)
	}
	alog, err := accesslog.New(f.access, accesslog.Options{Clock: f.b.Clock})
	if err != nil {
		t.Fatal(err)
	}
	f.alog = alog
	opts := Options{
		Endpoints: f.eps,
		Timelines: f.b.Manager,
		Media:     f.b.Store,
		HLS:       f.hls,
		DASH:      f.dash,
		Config: config.EgressConfig{CacheBytes: 64 << 20, CDNSecrets: map[string]config.CDNSecret{
			secretARN: {Current: currentSecret, Previous: prevSecret},
		}},
		PublicURL: publicURL + "/",
		Clock:     f.b.Clock,
		Logger:    slog.New(slog.NewTextHandler(f.logs, nil)),
		Registry:  f.reg,
		AccessLog: alog,
	}
	if mod != nil {
		mod(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

// req describes one test request.
type req struct {
	method string
	target string
	remote string
	header map[string]string
}

func (f *fixture) do(r req) *httptest.ResponseRecorder {
	f.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr := httptest.NewRequest(r.method, r.target, nil)
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, hr)
	return w
}

func (f *fixture) get(target string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(req{target: target})
}

// metric returns the value of the counter, gauge or histogram count of
// name whose labels include want.
func (f *fixture) metric(name string, want map[string]string) float64 {
	f.t.Helper()
	return testutil.Metric(f.t, f.reg, name, want)
}

// waitTimeout bounds every wait in these tests: generous for a loaded CI
// machine, short enough that a regression fails instead of hanging to the
// test binary's timeout.
const waitTimeout = 10 * time.Second

// waitFor polls cond until it holds, failing the test if it does not
// within waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}
