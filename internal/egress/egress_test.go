package egress

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/live/livetest"
)

func TestRouting(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name   string
		method string
		target string
		want   int
		body   string // substring of the body
	}{
		{"hls manifest", "", "/out/v1/hls1/index.m3u8", 200, "# hls version="},
		{"cmaf manifest below its id", "", "/out/v1/cmaf1/abc123/index.m3u8", 200, "# hls version="},
		{"dash manifest", "", "/out/v1/dash1/index.mpd", 200, "# dash version="},
		{"segment", "", "/out/v1/hls1/index_1_2.ts", 200, "index_1_2.ts"},
		{"unknown endpoint", "", "/out/v1/nope/index.m3u8", 404, "no such origin endpoint"},
		{"no object", "", "/out/v1/hls1", 404, "/out/v1/{endpointId}/{object}"},
		{"empty object", "", "/out/v1/hls1/", 404, "/out/v1/{endpointId}/{object}"},
		{"dot dot", "", "/out/v1/hls1/a/../index.m3u8", 404, ""},
		{"escaped slash", "", "/out/v1/hls1/a%2findex.m3u8", 404, ""},
		{"not below prefix", "", "/out/v2/hls1/index.m3u8", 404, ""},
		{"packager not found", "", "/out/v1/hls1/missing_9.ts", 404, "not found"},
		{"unknown extension", "", "/out/v1/hls1/index.xyz", 404, "not found"},
		{"packager bad request", "", "/out/v1/hls1/bad.m3u8", 400, `no such rendition "bad.m3u8"`},
		{"bad percent escape", "", "/out/v1/hls1/index.m3u8?a=%zz", 400, "malformed query"},
		{"semicolon in query", "", "/out/v1/hls1/index.m3u8?a=1;b=2", 400, "malformed query"},
		{"encryption unsupported", "", "/out/v1/hls1/enc.m3u8", 501, "encrypted output is not supported yet"},
		{"encryption unsupported segment", "", "/out/v1/hls1/enc_1_1.ts", 501, "encrypted output is not supported yet"},
		{"other unsupported", "", "/out/v1/hls1/unsupported.m3u8", 501, "not supported yet"},
		{"internal error", "", "/out/v1/hls1/boom.ts", 500, "internal error"},
		{"packager panic", "", "/out/v1/hls1/panic.ts", 500, "internal error"},
		{"smooth", "", "/out/v1/mss1/index.ism/Manifest", 501, "Smooth Streaming is not built yet"},
		{"channel without timeline", "", "/out/v1/nochan/index.m3u8", 404, "channel has no media yet"},
		{"channel without segments", "", "/out/v1/nosegs/index.m3u8", 404, "channel has no media yet"},
		{"post", http.MethodPost, "/out/v1/hls1/index.m3u8", 405, "GET, HEAD and OPTIONS"},
		{"put", http.MethodPut, "/out/v1/hls1/index.m3u8", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(req{method: tt.method, target: tt.target})
			if w.Code != tt.want {
				t.Fatalf("status: got %d, want %d (body %q)", w.Code, tt.want, w.Body.String())
			}
			if !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("body: got %q, want it to contain %q", w.Body.String(), tt.body)
			}
			h := w.Header()
			if h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("Access-Control-Allow-Origin: got %q", h.Get("Access-Control-Allow-Origin"))
			}
			if h.Get("X-MediaPackage-Request-Id") == "" {
				t.Error("no X-MediaPackage-Request-Id")
			}
			if h.Get("Age") != "" {
				t.Errorf("Age sent: %q", h.Get("Age"))
			}
			if tt.want >= 400 {
				if got := h.Get("Cache-Control"); got != "max-age=1" {
					t.Errorf("error Cache-Control: got %q, want max-age=1", got)
				}
				if got := h.Get("Content-Type"); got != "text/plain; charset=utf-8" {
					t.Errorf("error Content-Type: got %q", got)
				}
				if got, want := h.Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
					t.Errorf("Content-Length: got %s, want %s", got, want)
				}
			}
			if tt.want == 405 && h.Get("Allow") != "GET, HEAD, OPTIONS" {
				t.Errorf("Allow: got %q", h.Get("Allow"))
			}
		})
	}
	// The internal error's detail is logged, never sent.
	if !strings.Contains(f.logs.String(), "secret internal detail") {
		t.Errorf("internal error detail not logged: %s", f.logs.String())
	}
	if !strings.Contains(f.logs.String(), "fake packager panic") {
		t.Errorf("panic not logged: %s", f.logs.String())
	}
}

func TestRoutingPackagerChoice(t *testing.T) {
	f := newFixture(t, nil)
	for _, target := range []string{"/out/v1/hls1/index.m3u8", "/out/v1/cmaf1/x/index.m3u8", "/out/v1/dash1/index.mpd"} {
		if w := f.get(target); w.Code != 200 {
			t.Fatalf("GET %s: %d", target, w.Code)
		}
	}
	if got := f.hls.count("index.m3u8"); got != 1 {
		t.Errorf("hls packager calls for index.m3u8: got %d, want 1", got)
	}
	if got := f.hls.count("x/index.m3u8"); got != 1 {
		t.Errorf("hls packager calls for the CMAF manifest: got %d, want 1", got)
	}
	if got := f.dash.count("index.mpd"); got != 1 {
		t.Errorf("dash packager calls: got %d, want 1", got)
	}
	r := f.dash.lastRequest()
	snap := f.b.Timeline.Snapshot()
	if r.Endpoint.ID != "dash1" || r.Path != "index.mpd" || r.Snapshot != snap || r.Media != f.b.Store ||
		!r.Now.Equal(f.b.Clock.Now()) || r.PublicURL != publicURL || r.BaseURL != publicURL+"/out/v1/dash1" {
		t.Errorf("request: got endpoint %q path %q now %v public %q base %q", r.Endpoint.ID, r.Path, r.Now, r.PublicURL, r.BaseURL)
	}
}

func TestFormatNotAvailable(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.HLS, o.DASH = nil, nil })
	for target, want := range map[string]string{
		"/out/v1/hls1/index.m3u8":    "HLS and CMAF packaging are not available",
		"/out/v1/cmaf1/x/index.m3u8": "HLS and CMAF packaging are not available",
		"/out/v1/dash1/index.mpd":    "DASH packaging is not available",
	} {
		w := f.get(target)
		if w.Code != 404 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET %s: got %d %q, want 404 %q", target, w.Code, w.Body.String(), want)
		}
	}
}

func TestAccessControl(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name     string
		endpoint string
		remote   string
		cdn      string // X-MediaPackage-CDNIdentifier; "" = absent
		want     int
	}{
		{"open", "hls1", "203.0.113.9:5000", "", 200},
		{"origination DENY", "deny1", "10.1.2.3:5000", "", 403},
		{"ipv4 in CIDR", "wl4", "10.200.0.1:5000", "", 200},
		{"ipv4 single address", "wl4", "192.0.2.7:443", "", 200},
		{"ipv4 next to single address", "wl4", "192.0.2.8:443", "", 403},
		{"ipv4 outside", "wl4", "11.0.0.1:5000", "", 403},
		{"ipv4-mapped ipv6 peer", "wl4", "[::ffff:10.9.8.7]:5000", "", 200},
		{"ipv6 peer on ipv4 list", "wl4", "[2001:db8::1]:5000", "", 403},
		{"ipv6 in CIDR", "wl6", "[2001:db8:12::1]:5000", "", 200},
		{"ipv6 with zone in CIDR", "wl6", "[2001:db8::5%eth0]:5000", "", 200},
		{"ipv6 outside", "wl6", "[2001:db9::1]:5000", "", 403},
		{"ipv4 on ipv6 list", "wl6", "10.0.0.1:5000", "", 403},
		{"unparseable peer", "wl4", "pipe", "", 403},
		{"only invalid entries admit no one", "wlbad", "10.0.0.1:5000", "", 403},
		{"cdn current", "auth1", "", currentSecret, 200},
		{"cdn previous", "auth1", "", prevSecret, 200},
		{"cdn missing", "auth1", "", "", 403},
		{"cdn wrong", "auth1", "", "wrong-value-entirely-0000", 403},
		{"cdn prefix of current", "auth1", "", currentSecret[:10], 403},
		{"cdn secret not configured", "auth2", "", currentSecret, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req{target: "/out/v1/" + tt.endpoint + "/index.m3u8", remote: tt.remote}
			if tt.cdn != "" {
				r.header = map[string]string{"X-MediaPackage-CDNIdentifier": tt.cdn}
			}
			w := f.do(r)
			if w.Code != tt.want {
				t.Fatalf("status: got %d, want %d (%q)", w.Code, tt.want, w.Body.String())
			}
			if tt.want == 403 && w.Header().Get("Cache-Control") != "max-age=1" {
				t.Errorf("403 Cache-Control: got %q", w.Header().Get("Cache-Control"))
			}
		})
	}
	// The missing secret is reported once, naming the config key; no
	// secret value reaches any log.
	logs := f.logs.String()
	key := `egress.cdnSecrets[\"` + missingARN + `\"]`
	if n := strings.Count(logs, key); n != 1 {
		t.Errorf("log lines naming %s: got %d, want 1\n%s", key, n, logs)
	}
	if !strings.Contains(logs, "not-a-cidr") {
		t.Errorf("invalid whitelist entry not logged:\n%s", logs)
	}
	for _, s := range []string{currentSecret, prevSecret, "wrong-value-entirely"} {
		if strings.Contains(logs, s) || strings.Contains(f.access.String(), s) {
			t.Errorf("secret %q appears in a log", s)
		}
	}
}

func TestObjectHeaders(t *testing.T) {
	f := newFixture(t, nil)
	snap := f.b.Timeline.Snapshot()
	lastSeq := strconv.FormatUint(snap.Segments[len(snap.Segments)-1].Seq, 10)
	tests := []struct {
		target string
		want   map[string]string // "" = must be absent
	}{
		{"/out/v1/hls1/index.m3u8", map[string]string{
			"Content-Type":                          "application/vnd.apple.mpegurl",
			"Cache-Control":                         "max-age=3",
			"Vary":                                  "Accept-Encoding",
			"Last-Modified":                         snap.Updated.UTC().Format(http.TimeFormat),
			"X-MediaPackage-Manifest-Last-Sequence": lastSeq,
			"X-MediaPackage-Manifest-Last-Updated":  strconv.FormatInt(snap.Updated.UnixMilli(), 10),
			"X-MediaPackage-Active-Input":           "1",
			"Accept-Ranges":                         "",
			"Content-Encoding":                      "",
			"Age":                                   "",
		}},
		{"/out/v1/dash1/index.mpd", map[string]string{
			"Content-Type":  "application/dash+xml",
			"Cache-Control": "max-age=3",
		}},
		{"/out/v1/hls1/index_1_2.ts", map[string]string{
			"Content-Type":                          "video/mp2t",
			"Cache-Control":                         "max-age=1209600, immutable",
			"Accept-Ranges":                         "bytes",
			"Last-Modified":                         "Thu, 01 Jan 2026 00:00:04 GMT",
			"Content-Length":                        strconv.Itoa(64 << 10),
			"Vary":                                  "",
			"X-MediaPackage-Manifest-Last-Sequence": "",
			"X-MediaPackage-Active-Input":           "",
			"Age":                                   "",
		}},
		{"/out/v1/cmaf1/init_v0.mp4", map[string]string{
			"Content-Type":  "video/mp4",
			"Cache-Control": "max-age=1209600, immutable",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := f.get(tt.target)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			for k, want := range tt.want {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			h := w.Header()
			if etag := h.Get("ETag"); !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
				t.Errorf("ETag: got %q, want a strong quoted tag", etag)
			}
			if h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-MediaPackage-Manifest-Last-Sequence") {
				t.Errorf("CORS: got %q / %q", h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Expose-Headers"))
			}
			if got, want := h.Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
				t.Errorf("Content-Length: got %s, body %s", got, want)
			}
		})
	}
}

func TestRequestIDsUnique(t *testing.T) {
	f := newFixture(t, nil)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := f.get("/out/v1/hls1/index.m3u8").Header().Get("X-MediaPackage-Request-Id")
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestConditionalGET(t *testing.T) {
	f := newFixture(t, nil)
	for _, target := range []string{"/out/v1/hls1/index.m3u8", "/out/v1/hls1/index_1_2.ts"} {
		first := f.get(target)
		etag, lm := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
		lmTime, err := http.ParseTime(lm)
		if err != nil {
			t.Fatalf("%s: Last-Modified %q: %v", target, lm, err)
		}
		tests := []struct {
			name   string
			header map[string]string
			want   int
		}{
			{"etag", map[string]string{"If-None-Match": etag}, 304},
			{"weak etag", map[string]string{"If-None-Match": "W/" + etag}, 304},
			{"etag in list", map[string]string{"If-None-Match": `"other", ` + etag}, 304},
			{"star", map[string]string{"If-None-Match": "*"}, 304},
			{"other etag", map[string]string{"If-None-Match": `"other"`}, 200},
			{"unquoted garbage", map[string]string{"If-None-Match": `abc`}, 200},
			{"same date", map[string]string{"If-Modified-Since": lm}, 304},
			{"later date", map[string]string{"If-Modified-Since": lmTime.Add(time.Hour).Format(http.TimeFormat)}, 304},
			{"earlier date", map[string]string{"If-Modified-Since": lmTime.Add(-time.Second).Format(http.TimeFormat)}, 200},
			{"bad date", map[string]string{"If-Modified-Since": "yesterday"}, 200},
			{"etag wins over date", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, 200},
		}
		for _, tt := range tests {
			t.Run(target+"/"+tt.name, func(t *testing.T) {
				w := f.do(req{target: target, header: tt.header})
				if w.Code != tt.want {
					t.Fatalf("status: got %d, want %d", w.Code, tt.want)
				}
				if tt.want == 304 {
					if w.Body.Len() != 0 {
						t.Errorf("304 with a body of %d bytes", w.Body.Len())
					}
					h := w.Header()
					if h.Get("ETag") != etag || h.Get("Cache-Control") == "" || h.Get("Access-Control-Allow-Origin") != "*" {
						t.Errorf("304 headers: %v", h)
					}
					if h.Get("Content-Type") != "" || h.Get("Content-Length") != "" {
						t.Errorf("304 carries representation headers: %v", h)
					}
				}
			})
		}
	}
}

func TestHEAD(t *testing.T) {
	f := newFixture(t, nil)
	for _, target := range []string{"/out/v1/hls1/index.m3u8", "/out/v1/hls1/index_1_2.ts", "/out/v1/nope/x.ts"} {
		get := f.get(target)
		head := f.do(req{method: http.MethodHead, target: target})
		if head.Code != get.Code {
			t.Errorf("%s: HEAD %d, GET %d", target, head.Code, get.Code)
		}
		if head.Body.Len() != 0 {
			t.Errorf("%s: HEAD body of %d bytes", target, head.Body.Len())
		}
		for _, k := range []string{"Content-Type", "Content-Length", "ETag", "Cache-Control", "Last-Modified"} {
			if head.Header().Get(k) != get.Header().Get(k) {
				t.Errorf("%s: HEAD %s %q, GET %q", target, k, head.Header().Get(k), get.Header().Get(k))
			}
		}
	}
}

func TestRange(t *testing.T) {
	f := newFixture(t, nil)
	const target = "/out/v1/hls1/index_1_2.ts"
	full := f.get(target)
	body := full.Body.Bytes()
	n := len(body)
	etag := full.Header().Get("ETag")
	tests := []struct {
		name      string
		header    map[string]string
		want      int
		from, to  int // the body is body[from:to]
		wantRange string
	}{
		{"first bytes", map[string]string{"Range": "bytes=0-99"}, 206, 0, 100, fmt.Sprintf("bytes 0-99/%d", n)},
		{"open ended", map[string]string{"Range": "bytes=100-"}, 206, 100, n, fmt.Sprintf("bytes 100-%d/%d", n-1, n)},
		{"suffix", map[string]string{"Range": "bytes=-10"}, 206, n - 10, n, fmt.Sprintf("bytes %d-%d/%d", n-10, n-1, n)},
		{"end past size", map[string]string{"Range": "bytes=10-99999999"}, 206, 10, n, fmt.Sprintf("bytes 10-%d/%d", n-1, n)},
		{"suffix past size", map[string]string{"Range": "bytes=-99999999"}, 206, 0, n, fmt.Sprintf("bytes 0-%d/%d", n-1, n)},
		{"RFC 8673 open hint", map[string]string{"Range": "bytes=5-9007199254740991"}, 206, 5, n, fmt.Sprintf("bytes 5-%d/%d", n-1, n)},
		{"start past size", map[string]string{"Range": fmt.Sprintf("bytes=%d-", n)}, 416, 0, 0, fmt.Sprintf("bytes */%d", n)},
		{"zero suffix", map[string]string{"Range": "bytes=-0"}, 416, 0, 0, fmt.Sprintf("bytes */%d", n)},
		{"several ranges served whole", map[string]string{"Range": "bytes=0-1,5-6"}, 200, 0, n, ""},
		{"other unit served whole", map[string]string{"Range": "items=0-1"}, 200, 0, n, ""},
		{"reversed served whole", map[string]string{"Range": "bytes=9-3"}, 200, 0, n, ""},
		{"if-range etag matches", map[string]string{"Range": "bytes=0-9", "If-Range": etag}, 206, 0, 10, fmt.Sprintf("bytes 0-9/%d", n)},
		{"if-range etag stale", map[string]string{"Range": "bytes=0-9", "If-Range": `"stale"`}, 200, 0, n, ""},
		{"if-range date matches", map[string]string{"Range": "bytes=0-9", "If-Range": full.Header().Get("Last-Modified")}, 206, 0, 10, fmt.Sprintf("bytes 0-9/%d", n)},
		{"if-range date stale", map[string]string{"Range": "bytes=0-9", "If-Range": "Wed, 31 Dec 2025 00:00:00 GMT"}, 200, 0, n, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(req{target: target, header: tt.header})
			if w.Code != tt.want {
				t.Fatalf("status: got %d, want %d", w.Code, tt.want)
			}
			if got := w.Header().Get("Content-Range"); got != tt.wantRange {
				t.Errorf("Content-Range: got %q, want %q", got, tt.wantRange)
			}
			if tt.want == 416 {
				if w.Header().Get("Cache-Control") != "max-age=1" {
					t.Errorf("416 Cache-Control: %q", w.Header().Get("Cache-Control"))
				}
				return
			}
			if !bytes.Equal(w.Body.Bytes(), body[tt.from:tt.to]) {
				t.Errorf("body: got %d bytes, want body[%d:%d]", w.Body.Len(), tt.from, tt.to)
			}
			if got, want := w.Header().Get("Content-Length"), strconv.Itoa(tt.to-tt.from); got != want {
				t.Errorf("Content-Length: got %s, want %s", got, want)
			}
		})
	}
	// Manifests ignore Range.
	w := f.do(req{target: "/out/v1/hls1/index.m3u8", header: map[string]string{"Range": "bytes=0-3"}})
	if w.Code != 200 || w.Header().Get("Content-Range") != "" {
		t.Errorf("manifest with Range: got %d %q, want a whole 200", w.Code, w.Header().Get("Content-Range"))
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGzip(t *testing.T) {
	f := newFixture(t, nil)
	const manifest = "/out/v1/hls1/index.m3u8"
	plain := f.get(manifest)
	tests := []struct {
		accept string
		want   bool
	}{
		{"gzip", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.5", true},
		{"GZIP", true},
		{"*", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"*, gzip;q=0", false},
		{"*;q=0", false},
		{"identity", false},
		{"deflate, br", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			w := f.do(req{target: manifest, header: map[string]string{"Accept-Encoding": tt.accept}})
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			got := w.Header().Get("Content-Encoding") == "gzip"
			if got != tt.want {
				t.Fatalf("gzip: got %v, want %v", got, tt.want)
			}
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary: %q", w.Header().Get("Vary"))
			}
			if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
				t.Errorf("Content-Length: got %s, want %s", got, want)
			}
			if !tt.want {
				return
			}
			if !bytes.Equal(gunzip(t, w.Body.Bytes()), plain.Body.Bytes()) {
				t.Error("gzip body does not decompress to the plain body")
			}
			if w.Header().Get("ETag") == plain.Header().Get("ETag") {
				t.Error("gzip and plain representations share an ETag")
			}
			// Revalidation of the gzip representation.
			c := f.do(req{target: manifest, header: map[string]string{"Accept-Encoding": tt.accept, "If-None-Match": w.Header().Get("ETag")}})
			if c.Code != 304 {
				t.Errorf("revalidate gzip: got %d, want 304", c.Code)
			}
		})
	}
	// Segments are never compressed.
	w := f.do(req{target: "/out/v1/hls1/index_1_2.ts", header: map[string]string{"Accept-Encoding": "gzip"}})
	if w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("segment: Content-Encoding %q Vary %q", w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	}
	// It is compressed once per cached object.
	if got := f.hls.count("index.m3u8"); got != 1 {
		t.Errorf("manifest packaged %d times, want 1", got)
	}
}

func TestPreflight(t *testing.T) {
	f := newFixture(t, nil)
	for _, target := range []string{"/out/v1/hls1/index.m3u8", "/out/v1/auth1/index.m3u8", "/out/v1/nope/x"} {
		w := f.do(req{method: http.MethodOptions, target: target, header: map[string]string{
			"Origin": "https://player.example", "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Headers": "range"}})
		if w.Code != 204 {
			t.Fatalf("%s: status %d", target, w.Code)
		}
		h := w.Header()
		if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Methods") != "GET, HEAD, OPTIONS" {
			t.Errorf("%s: %v", target, h)
		}
		for _, want := range []string{"Range", "X-MediaPackage-CDNIdentifier"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("%s: Access-Control-Allow-Headers %q lacks %s", target, h.Get("Access-Control-Allow-Headers"), want)
			}
		}
	}
}

func TestSingleflight(t *testing.T) {
	f := newFixture(t, nil)
	gate := make(chan struct{})
	f.hls.gate = gate
	var release sync.Once
	defer release.Do(func() { close(gate) }) // also when a wait fails
	const n = 16
	const target = "/out/v1/hls1/index_1_3.ts"
	var wg sync.WaitGroup
	codes := make([]int, n)
	bodies := make([][]byte, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := f.get(target)
			codes[i], bodies[i] = w.Code, w.Body.Bytes()
		}()
	}
	// Every request has missed the cache before the packager may finish.
	waitFor(t, fmt.Sprintf("%d cache misses", n), func() bool {
		return f.metric("boxcar_egress_cache_requests_total", map[string]string{"result": "miss"}) >= n
	})
	release.Do(func() { close(gate) })
	wg.Wait()
	if got := f.hls.count("index_1_3.ts"); got != 1 {
		t.Errorf("packaged %d times, want 1", got)
	}
	for i := range codes {
		if codes[i] != 200 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Errorf("request %d: status %d, %d bytes", i, codes[i], len(bodies[i]))
		}
	}
}

func TestManifestCachedPerSnapshot(t *testing.T) {
	f := newFixture(t, nil)
	const m = "/out/v1/hls1/index.m3u8"
	b1 := f.get(m).Body.String()
	f.get(m)
	f.get(m + "?m=1")
	if got := f.hls.count("index.m3u8"); got != 2 {
		t.Fatalf("after two plain GETs and one with a query: packaged %d times, want 2", got)
	}
	f.b.Segment(1)
	b2 := f.get(m).Body.String()
	if got := f.hls.count("index.m3u8"); got != 3 {
		t.Fatalf("after a new snapshot: packaged %d times, want 3", got)
	}
	if b1 == b2 {
		t.Error("manifest unchanged after a new snapshot")
	}
	f.get(m)
	if got := f.hls.count("index.m3u8"); got != 3 {
		t.Errorf("repeat at the same snapshot: packaged %d times, want 3", got)
	}
	if hits := f.metric("boxcar_egress_cache_requests_total", map[string]string{"result": "hit"}); hits != 2 {
		t.Errorf("cache hits: got %v, want 2", hits)
	}
	// An immutable manifest (a closed time-shift window) keys on its query
	// and survives new snapshots, without shadowing the live manifest.
	ts := m + "?start=2026-01-01T00:00:00Z&end=2026-01-01T00:00:04Z"
	closed := f.get(ts).Body.String()
	f.b.Segment(1)
	if got := f.get(ts).Body.String(); got != closed {
		t.Error("immutable manifest changed across snapshots")
	}
	if live := f.get(m).Body.String(); live == closed {
		t.Error("the live manifest was served from the immutable manifest's entry")
	}
}

func TestImmutableAcrossSnapshots(t *testing.T) {
	f := newFixture(t, nil)
	const seg = "/out/v1/hls1/index_1_2.ts"
	f.get(seg)
	f.b.Segments(1, 2)
	f.get(seg)
	f.get(seg + "?m=12345")
	if got := f.hls.count("index_1_2.ts"); got != 1 {
		t.Errorf("segment packaged %d times across snapshots, want 1", got)
	}
}

func TestCacheEvictionByBytes(t *testing.T) {
	// Room for three 64 KiB segments and their bookkeeping, not four.
	const bound = 3*(64<<10) + 3*entryOverhead + 100
	f := newFixture(t, func(o *Options) { o.Config.CacheBytes = bound })
	seg := func(i int) string { return fmt.Sprintf("/out/v1/hls1/index_1_%d.ts", i) }
	for i := 1; i <= 3; i++ {
		f.get(seg(i))
	}
	f.get(seg(1)) // most recently used now: 1, 3, 2
	f.get(seg(4)) // evicts 2
	for _, c := range []struct{ seg, want int }{{1, 1}, {3, 1}, {4, 1}, {2, 2}} {
		f.get(seg(c.seg))
		if got := f.hls.count(fmt.Sprintf("index_1_%d.ts", c.seg)); got != c.want {
			t.Errorf("segment %d packaged %d times, want %d", c.seg, got, c.want)
		}
	}
	b, n := f.h.cache.stats()
	if b > bound || n > 3 {
		t.Errorf("cache holds %d bytes in %d objects, bound %d", b, n, bound)
	}
	if got := f.metric("boxcar_egress_cache_bytes", nil); got != float64(b) || got == 0 {
		t.Errorf("boxcar_egress_cache_bytes: got %v, want %d", got, b)
	}
	if got := f.metric("boxcar_egress_cache_evictions_total", nil); got < 1 {
		t.Errorf("evictions: got %v", got)
	}
}

func TestCacheDisabledAndOversized(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Config.CacheBytes = 1000 })
	f.get("/out/v1/hls1/index_1_2.ts")
	f.get("/out/v1/hls1/index_1_2.ts")
	if got := f.hls.count("index_1_2.ts"); got != 2 {
		t.Errorf("object larger than the cache: packaged %d times, want 2 (never cached)", got)
	}
	if b, n := f.h.cache.stats(); b > 1000 || n != 0 {
		t.Errorf("cache: %d bytes, %d objects", b, n)
	}
}

func TestEndpointConfigChange(t *testing.T) {
	f := newFixture(t, nil)
	const seg = "/out/v1/hls1/index_1_2.ts"
	f.get(seg)
	reads := f.eps.reads.Load()
	for i := 0; i < 10; i++ {
		f.get(seg)
	}
	if got := f.eps.reads.Load(); got != reads {
		t.Errorf("endpoint read %d more times while the config version stood still", got-reads)
	}
	// Another endpoint changes: this one is re-read but keeps its cache.
	f.eps.put(configstore.OriginEndpoint{ID: "other", ChannelID: "ch1", HLSPackage: &configstore.HLSPackage{}})
	f.get(seg)
	if got := f.hls.count("index_1_2.ts"); got != 1 {
		t.Errorf("after an unrelated change: packaged %d times, want 1", got)
	}
	// This endpoint changes: its cached objects are no longer served.
	f.eps.put(configstore.OriginEndpoint{ID: "hls1", ChannelID: "ch1", Description: "changed",
		HLSPackage: &configstore.HLSPackage{SegmentDurationSeconds: 4}})
	f.get(seg)
	if got := f.hls.count("index_1_2.ts"); got != 2 {
		t.Errorf("after its config changed: packaged %d times, want 2", got)
	}
	if got := f.hls.lastRequest().Endpoint.HLSPackage.SegmentDurationSeconds; got != 4 {
		t.Errorf("packager saw segmentDurationSeconds %d, want 4", got)
	}
	// Access rules follow the config too.
	f.eps.put(configstore.OriginEndpoint{ID: "hls1", ChannelID: "ch1", Origination: "DENY", HLSPackage: &configstore.HLSPackage{}})
	if w := f.get(seg); w.Code != 403 {
		t.Errorf("after origination DENY: got %d, want 403", w.Code)
	}
	f.eps.remove("hls1")
	if w := f.get(seg); w.Code != 404 {
		t.Errorf("after delete: got %d, want 404", w.Code)
	}
	if _, n := f.h.cache.stats(); n != 0 {
		t.Errorf("cache holds %d objects of a deleted endpoint", n)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, nil)
	f.get("/out/v1/hls1/index_1_2.ts")
	f.get("/out/v1/hls1/index_1_2.ts")
	f.get("/out/v1/hls1/missing_1.ts")
	f.get("/out/v1/nope/index.m3u8")
	ep := map[string]string{"channel": "ch1", "endpoint": "hls1"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range ep {
			m[a] = b
		}
		return m
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"boxcar_egress_requests_total", with("code_class", "2xx"), 2},
		{"boxcar_egress_requests_total", with("code_class", "4xx"), 1},
		{"boxcar_egress_requests_total", map[string]string{"channel": "", "endpoint": "", "code_class": "4xx"}, 1},
		{"boxcar_egress_bytes_total", ep, 2*64<<10 + float64(len("not found\n"))},
		{"boxcar_egress_request_duration_seconds", ep, 3},
		{"boxcar_egress_cache_requests_total", map[string]string{"result": "hit"}, 1},
		{"boxcar_egress_cache_requests_total", map[string]string{"result": "miss"}, 2},
		{"boxcar_egress_cache_objects", nil, 1},
		{"boxcar_egress_cache_capacity_bytes", nil, 64 << 20},
		{"boxcar_egress_package_duration_seconds", map[string]string{"kind": "segment"}, 1},
	}
	for _, c := range checks {
		if got := f.metric(c.name, c.labels); got != c.want {
			t.Errorf("%s%v: got %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// A deleted endpoint's series go away.
	f.eps.remove("hls1")
	f.get("/out/v1/hls1/index_1_2.ts")
	if got := f.metric("boxcar_egress_requests_total", with("code_class", "2xx")); got != 0 {
		t.Errorf("deleted endpoint still has series: %v", got)
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, nil)
	f.do(req{target: "/out/v1/auth1/index.m3u8?m=5", remote: "198.51.100.4:6000", header: map[string]string{
		"X-MediaPackage-CDNIdentifier": currentSecret, "User-Agent": "player/1.0 \"quoted\" \u2028"}})
	f.do(req{method: http.MethodHead, target: "/out/v1/nope/x.ts"})
	lines := strings.Split(strings.TrimSpace(f.access.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("access log: got %d lines, want 2:\n%s", len(lines), f.access.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("line 1 is not JSON: %v\n%s", err, lines[0])
	}
	want := map[string]any{
		"clientIp": "198.51.100.4", "statusCode": "200", "receivedBytes": 0.0, "method": "GET",
		"request": "http://example.com/out/v1/auth1/index.m3u8?m=5", "protocol": "HTTP/1.1",
		"userAgent": "player/1.0 \"quoted\" \u2028", "account": "123456789012", "channelId": "ch1", "endpointId": "auth1",
		"domainName": "-", "endpointArn": "arn:aws:mediapackage:us-east-1:123456789012:origin_endpoints/auth1",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s: got %#v, want %#v", k, rec[k], v)
		}
	}
	for _, k := range []string{"timestamp", "processingTime", "sentBytes", "requestId"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if ts, _ := rec["timestamp"].(string); !strings.HasPrefix(ts, livetest.Epoch.Format("2006-01-02")) {
		t.Errorf("timestamp %q not from the injected clock", ts)
	}
	if sent, _ := rec["sentBytes"].(float64); sent <= 0 {
		t.Errorf("sentBytes: %v", rec["sentBytes"])
	}
	if strings.Contains(f.access.String(), currentSecret) {
		t.Error("the CDN identifier reached the access log")
	}
	var rec2 map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &rec2); err != nil {
		t.Fatal(err)
	}
	if rec2["statusCode"] != "404" || rec2["endpointId"] != "" || rec2["sentBytes"] != 0.0 {
		t.Errorf("line 2: %v", rec2)
	}
}

func TestOverTheWire(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		rq, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for k, v := range hdr {
			rq.Header.Set(k, v)
		}
		resp, err := client.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	resp, body := get("/out/v1/hls1/index.m3u8", map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != int64(len(body)) {
		t.Errorf("gzip manifest: %d %v", resp.StatusCode, resp.Header)
	}
	if !strings.HasPrefix(string(gunzip(t, body)), "#EXTM3U") {
		t.Error("gzip manifest does not decompress to a playlist")
	}
	resp, body = get("/out/v1/hls1/index_1_1.ts", map[string]string{"Range": "bytes=10-19"})
	if resp.StatusCode != 206 || len(body) != 10 {
		t.Errorf("range: %d, %d bytes", resp.StatusCode, len(body))
	}
	if _, ok := resp.Header["Age"]; ok {
		t.Error("Age header sent")
	}
	resp, body = get("/out/v1/hls1/index_1_1.ts", nil)
	if resp.StatusCode != 200 || len(body) != 64<<10 {
		t.Errorf("segment: %d, %d bytes", resp.StatusCode, len(body))
	}
}

func TestNewValidates(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := New(Options{Timelines: f.b.Manager}); err == nil {
		t.Error("New without Endpoints: no error")
	}
	if _, err := New(Options{Endpoints: f.eps, Timelines: f.b.Manager, Config: config.EgressConfig{CacheBytes: -1}}); err == nil {
		t.Error("New with negative cacheBytes: no error")
	}
}

func TestHeaderKeysCanonical(t *testing.T) {
	for _, k := range []string{hAcceptRanges, hCacheControl, hContentEncoding, hContentLength, hContentRange, hContentType,
		hETag, hLastModified, hVary, hNoSniff, hAllow, hLastSequence, hLastUpdated, hActiveInput, hRequestID,
		hAllowOrigin, hExposeHeaders, hAllowMethods, hAllowHeaders, hMaxAge, hAcceptEncoding, hIfNoneMatch,
		hIfModifiedSince, hRange, hIfRange, hCDNIdentifier} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("header key %q is not canonical (%q)", k, c)
		}
	}
	if http.CanonicalHeaderKey(headerCDNIdentity) != hCDNIdentifier {
		t.Errorf("%q does not canonicalize to %q", headerCDNIdentity, hCDNIdentifier)
	}
}
