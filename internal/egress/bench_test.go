package egress

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmarks
// measure the handler alone (net/http's own cost is measured by
// bench/egress.sh).
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func benchmarkServe(b *testing.B, target string, header map[string]string) {
	f := newFixture(b, func(o *Options) { o.AccessLog = nil })
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := &discardWriter{h: http.Header{}}
	f.h.ServeHTTP(w, r)
	if w.code != http.StatusOK {
		b.Fatalf("status %d", w.code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.h = make(http.Header) // as net/http does per request
		f.h.ServeHTTP(w, r)
	}
}

func BenchmarkServeCachedManifest(b *testing.B) {
	benchmarkServe(b, "/out/v1/hls1/index.m3u8", nil)
}

func BenchmarkServeCachedManifestGzip(b *testing.B) {
	benchmarkServe(b, "/out/v1/hls1/index.m3u8", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
}

func BenchmarkServeCachedSegment(b *testing.B) {
	benchmarkServe(b, "/out/v1/hls1/index_1_2.ts?m=1767225600", nil)
}

func BenchmarkServeCDNAuthorized(b *testing.B) {
	benchmarkServe(b, "/out/v1/auth1/index_1_2.ts", map[string]string{"X-MediaPackage-CDNIdentifier": currentSecret})
}
