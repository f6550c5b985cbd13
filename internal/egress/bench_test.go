package egress

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"boxcar/internal/accesslog"
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

// deadlineWriter is a discardWriter whose write deadlines are set on a
// real loopback TCP connection, as net/http's are, so that their cost is
// measured.
type deadlineWriter struct {
	*discardWriter
	conn net.Conn
}

func (d deadlineWriter) SetWriteDeadline(t time.Time) error { return d.conn.SetWriteDeadline(t) }

// loopbackConn returns one end of a loopback TCP connection.
func loopbackConn(b *testing.B) net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); peer.Close() })
	return peer
}

func benchmarkServe(b *testing.B, target string, header map[string]string) {
	benchmarkServeOpts(b, target, header, nil)
}

// benchmarkServeDeadlines serves with the default write wait, the write
// deadlines set on a real socket.
func benchmarkServeDeadlines(b *testing.B, target string, mod func(*Options)) {
	benchmarkServeOpts(b, target, nil, func(o *Options) {
		o.WriteWait = 15 * time.Second
		if mod != nil {
			mod(o)
		}
	})
}

func benchmarkServeOpts(b *testing.B, target string, header map[string]string, mod func(*Options)) {
	f := newFixture(b, func(o *Options) {
		o.AccessLog = nil
		if mod != nil {
			mod(o)
		}
	})
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	d := &discardWriter{h: http.Header{}}
	var w http.ResponseWriter = d
	if f.h.writeTO > 0 {
		w = deadlineWriter{d, loopbackConn(b)}
	}
	f.h.ServeHTTP(w, r)
	if d.code != http.StatusOK {
		b.Fatalf("status %d", d.code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.h = make(http.Header) // as net/http does per request
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

func BenchmarkServeCachedManifestWriteDeadline(b *testing.B) {
	benchmarkServeDeadlines(b, "/out/v1/hls1/index.m3u8", nil)
}

// A 64 KiB segment: one chunk, one deadline.
func BenchmarkServeCachedSegmentWriteDeadline(b *testing.B) {
	benchmarkServeDeadlines(b, "/out/v1/hls1/index_1_2.ts?m=1767225600", nil)
}

// A 2 MiB segment (8 Mbit/s for 2 s): 32 chunks, 32 deadlines.
func BenchmarkServeCachedLargeSegment(b *testing.B) {
	benchmarkServeOpts(b, "/out/v1/hls1/big_1.ts", nil, func(o *Options) { o.HLS = bigPackager{size: 2 << 20} })
}

func BenchmarkServeCachedLargeSegmentWriteDeadline(b *testing.B) {
	benchmarkServeDeadlines(b, "/out/v1/hls1/big_1.ts", func(o *Options) { o.HLS = bigPackager{size: 2 << 20} })
}

// A cached segment with the access log on, buffered by its Run as the
// server runs it, written to io.Discard.
func BenchmarkServeCachedSegmentAccessLog(b *testing.B) {
	l, err := accesslog.New(io.Discard, accesslog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	benchmarkServeOpts(b, "/out/v1/hls1/index_1_2.ts?m=1767225600", nil, func(o *Options) { o.AccessLog = l })
}
