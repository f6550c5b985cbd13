package ingest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxcar/internal/config"
)

// rssBytes is the process's resident set size (Linux), 0 elsewhere.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkOversizedDeclarations opens n uploads at once on one channel
// (64 is ingest.maxConnsPerChannel), each declaring a 250 MiB body and
// sending 100 KB of it, with the default limits, and reports the heap in
// use and the RSS of the process before, while they are held, and after
// they ended. Run it once: -benchtime 1x.
func BenchmarkOversizedDeclarations(b *testing.B) {
	for _, n := range []int{8, 64} {
		b.Run(fmt.Sprintf("uploads=%d", n), func(b *testing.B) {
			for range b.N {
				oversized(b, n)
			}
		})
	}
}

func oversized(b *testing.B, n int) {
	cfg := config.Default().Ingest
	cfg.BodyIdleTimeout = 10 * time.Minute // held for the measurement
	cfg.BodyTimeout = 10 * time.Minute
	e := newEnv(b, envOptions{cfg: cfg})
	const declared, sent = 250 << 20, 100_000
	mb := func(v int64) float64 { return float64(v) / (1 << 20) }
	measure := func() (heap, rss int64) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapInuse), rssBytes()
	}
	heap0, rss0 := measure()
	head := fmt.Sprintf("PUT %sch1/ep1/big%%d.ts HTTP/1.1\r\nHost: boxcar\r\n%sContent-Length: %d\r\n\r\n", Prefix, basicHeader("user1", "pass1"), declared)
	payload := bytes.Repeat([]byte{0x47}, sent)
	conns := make([]net.Conn, n)
	for i := range conns {
		c := e.rawConn()
		conns[i] = c
		fmt.Fprintf(c, head, i)
		c.Write(payload)
	}
	// Until the server holds what was sent (or answered one); a build
	// without the in-flight gauge (before the budget) waits 10 s.
	deadline := time.Now().Add(10 * time.Second)
	for e.counter("boxcar_ingest_requests_total") == 0 && e.gauge("boxcar_ingest_inflight_body_bytes") < float64(n*sent) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	heap1, rss1 := measure()
	inflight := e.gauge("boxcar_ingest_inflight_body_bytes")
	for _, c := range conns {
		c.Close()
	}
	e.waitCounter(float64(n), "boxcar_ingest_requests_total")
	heap2, rss2 := measure()
	b.ReportMetric(mb(heap0), "heap-before-MiB")
	b.ReportMetric(mb(heap1), "heap-during-MiB")
	b.ReportMetric(mb(heap2), "heap-after-MiB")
	b.ReportMetric(mb(rss0), "rss-before-MiB")
	b.ReportMetric(mb(rss1), "rss-during-MiB")
	b.ReportMetric(mb(rss2), "rss-after-MiB")
	b.ReportMetric(mb(int64(inflight)), "inflight-MiB")
	b.Logf("%d uploads declaring %d MiB, %d bytes sent each: heap %.1f → %.1f → %.1f MiB, RSS %.1f → %.1f → %.1f MiB, in-flight budget %.1f MiB",
		n, declared>>20, sent, mb(heap0), mb(heap1), mb(heap2), mb(rss0), mb(rss1), mb(rss2), mb(int64(inflight)))
}

// BenchmarkAmplificationPlaylist PUTs a media playlist listing one missing
// segment 99,000 times (3 MB), every time with new media sequence numbers,
// as the attack on the log did. Reported: time per PUT (parse, resolve,
// skip) and log lines written per PUT.
func BenchmarkAmplificationPlaylist(b *testing.B) {
	cfg := testIngestConfig()
	cfg.MaxPlaylistBytes = 4 << 20
	e := newEnv(b, envOptions{cfg: cfg})
	const n = 99000
	missing := make([]string, n)
	for i := range missing {
		missing[i] = "missing.ts"
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = pl(i*n, missing...)
	}
	lines0 := strings.Count(e.logs.String(), "\n")
	b.SetBytes(int64(len(bodies[0])))
	b.ResetTimer()
	for i := range b.N {
		if code, msg := e.put("ep1", "channel.m3u8", bodies[i]); code != 201 && code != 204 {
			b.Fatalf("got %d %q", code, msg)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(strings.Count(e.logs.String(), "\n")-lines0)/float64(b.N), "log-lines/op")
}
