package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/configstore"
)

// The tests in this file are what a hostile client tries: bodies that
// never come or come a byte at a time, declared sizes that are never
// sent, playlists made to cost, probes for channel names.

// hangGuard bounds every wait on a raw connection: long enough for a
// loaded machine, far shorter than the body timeouts the tests configure
// where an answer must come before them.
const hangGuard = 20 * time.Second

// addChannel adds a channel with one ingest endpoint "ep1".
func (e *env) addChannel(id, user, pass string) {
	e.channels.mu.Lock()
	defer e.channels.mu.Unlock()
	e.channels.m[id] = &configstore.Channel{ID: id, HLSIngest: configstore.HLSIngest{IngestEndpoints: []configstore.IngestEndpoint{
		{ID: "ep1", Username: user, Password: pass},
	}}}
}

// rawUpload is a request written by hand on its own connection.
type rawUpload struct {
	c    net.Conn
	br   *bufio.Reader
	stop chan struct{}
	wg   sync.WaitGroup
}

// startRaw dials the test server and sends a request head.
func (e *env) startRaw(method, path, headers string) *rawUpload {
	e.t.Helper()
	c := e.rawConn()
	u := &rawUpload{c: c, br: bufio.NewReader(c), stop: make(chan struct{})}
	e.t.Cleanup(u.close)
	if _, err := fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: boxcar\r\n%s\r\n", method, path, headers); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// trickle writes piece every interval until the connection fails or the
// upload is closed.
func (u *rawUpload) trickle(piece []byte, every time.Duration) {
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			if _, err := u.c.Write(piece); err != nil {
				return
			}
			select {
			case <-u.stop:
				return
			case <-time.After(every):
			}
		}
	}()
}

func (u *rawUpload) close() {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	u.c.Close()
	u.wg.Wait()
}

// response reads the answer, body included.
func (u *rawUpload) response(t *testing.T) (*http.Response, string) {
	t.Helper()
	u.c.SetReadDeadline(time.Now().Add(hangGuard))
	resp, err := http.ReadResponse(u.br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp, string(b)
}

// closed fails unless the server closes the connection (EOF or reset)
// before hangGuard.
func (u *rawUpload) closed(t *testing.T) {
	t.Helper()
	u.c.SetReadDeadline(time.Now().Add(hangGuard))
	_, err := u.br.ReadByte()
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after the answer (read: %v)", err)
	}
}

// TestRefusedBeforeBodyClosesAtOnce: a request refused before its body is
// read (no or wrong credentials, unknown channel, method) is answered at
// once and its connection closed, whatever the body does: withheld or
// trickled, sized or chunked. The body timeouts are set far beyond the
// test's patience, so only an immediate answer passes.
func TestRefusedBeforeBodyClosesAtOnce(t *testing.T) {
	cfg := testIngestConfig()
	cfg.BodyTimeout = 10 * time.Minute
	cfg.BodyIdleTimeout = 10 * time.Minute
	e := newEnv(t, envOptions{cfg: cfg})
	e.addChannel("ch2", "user3", "pass3")
	requests := []struct {
		name   string
		method string
		path   string
		auth   string
		want   int
	}{
		{"no credentials", http.MethodPut, Prefix + "ch1/ep1/seg.ts", "", http.StatusUnauthorized},
		{"wrong password", http.MethodPut, Prefix + "ch1/ep1/seg.ts", basicHeader("user1", "wrong"), http.StatusUnauthorized},
		{"unknown channel", http.MethodPut, Prefix + "nope/ep1/seg.ts", "", http.StatusUnauthorized},
		{"unknown channel with credentials", http.MethodPut, Prefix + "nope/ep1/seg.ts", basicHeader("user1", "pass1"), http.StatusUnauthorized},
		{"another channel's credentials", http.MethodPut, Prefix + "ch1/ep1/seg.ts", basicHeader("user3", "pass3"), http.StatusUnauthorized},
		{"method", "PATCH", Prefix + "ch1/ep1/seg.ts", basicHeader("user1", "pass1"), http.StatusMethodNotAllowed},
	}
	bodies := []struct {
		name    string
		headers string
		first   string // sent right after the head
		trickle bool
	}{
		{"withheld sized body", "Content-Length: 100000\r\n", "", false},
		{"withheld chunked body", "Transfer-Encoding: chunked\r\n", "", false},
		{"trickled sized body", "Content-Length: 100000\r\n", "", true},
		{"trickled chunked body", "Transfer-Encoding: chunked\r\n", "186a0\r\n", true},
	}
	for _, rq := range requests {
		for _, bd := range bodies {
			t.Run(rq.name+"/"+bd.name, func(t *testing.T) {
				u := e.startRaw(rq.method, rq.path, rq.auth+bd.headers)
				u.c.Write([]byte(bd.first))
				if bd.trickle {
					u.trickle([]byte{0x47}, 50*time.Millisecond)
				}
				resp, _ := u.response(t)
				if resp.StatusCode != rq.want {
					t.Fatalf("got %d, want %d", resp.StatusCode, rq.want)
				}
				if !resp.Close {
					t.Errorf("answer without Connection: close (headers %v)", resp.Header)
				}
				u.closed(t)
			})
		}
	}
}

// TestBodyDeadlines: an authenticated body must keep coming: one withheld
// is cut after the idle timeout, one trickled under the minimum rate is
// cut after the grace period, each with 408 and a closed connection;
// an upload that sends steadily, for many idle timeouts in all, is
// received whole.
func TestBodyDeadlines(t *testing.T) {
	cfg := testIngestConfig()
	cfg.BodyTimeout = 10 * time.Minute
	cfg.BodyIdleTimeout = time.Second
	cfg.BodyMinRate = 16 << 10
	cfg.BodyMinRateGrace = time.Second
	e := newEnv(t, envOptions{cfg: cfg})
	seg := fixture(t, "aac/seg2.ts")
	auth := basicHeader("user1", "pass1")
	sized := fmt.Sprintf("Content-Length: %d\r\n", len(seg))

	t.Run("withheld", func(t *testing.T) {
		for _, first := range []int{0, 1000} {
			start := time.Now()
			u := e.startRaw(http.MethodPut, Prefix+"ch1/ep1/w.ts", auth+sized)
			u.c.Write(seg[:first])
			resp, msg := u.response(t)
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("after %d bytes: got %d %q, want 408", first, resp.StatusCode, msg)
			}
			if waited := time.Since(start); waited < cfg.BodyIdleTimeout {
				t.Errorf("after %d bytes: cut after %s, before the idle timeout", first, waited)
			}
			u.closed(t)
		}
	})
	t.Run("trickled", func(t *testing.T) {
		// 10 bytes every 100 ms: never idle, far under the minimum rate.
		// Sized, chunked a chunk per piece (how encoders stream), and
		// chunked within one large chunk.
		for _, how := range []string{"sized", "chunk per piece", "within a chunk"} {
			headers := auth + sized
			if how != "sized" {
				headers = auth + "Transfer-Encoding: chunked\r\n"
			}
			u := e.startRaw(http.MethodPut, Prefix+"ch1/ep1/t.ts", headers)
			piece := seg[:10]
			switch how {
			case "chunk per piece":
				piece = []byte(fmt.Sprintf("%x\r\n%s\r\n", len(piece), piece))
			case "within a chunk":
				fmt.Fprintf(u.c, "%x\r\n", len(seg))
			}
			u.trickle(piece, 100*time.Millisecond)
			resp, msg := u.response(t)
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("%s: got %d %q, want 408", how, resp.StatusCode, msg)
			}
			// Within one chunk net/http hands over no bytes before the
			// chunk or a read buffer is complete, so it looks idle.
			if how != "within a chunk" && !strings.Contains(msg, "slower") {
				t.Errorf("%s: got %q, want it cut for a rate under the minimum", how, msg)
			}
			u.closed(t)
		}
		if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", "too_slow"); got < 2 {
			t.Errorf("too_slow skips: got %v, want at least 2", got)
		}
	})
	t.Run("steady", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			name := fmt.Sprintf("steady%v.ts", chunked)
			headers := auth + fmt.Sprintf("Content-Length: %d\r\n", 2*len(seg))
			if chunked {
				headers = auth + "Transfer-Encoding: chunked\r\n"
			}
			start := time.Now()
			u := e.startRaw(http.MethodPut, Prefix+"ch1/ep1/"+name, headers)
			// 8 KiB every 125 ms: 64 KiB/s, four times the minimum, with
			// pauses an eighth of the idle timeout, for several idle
			// timeouts in all.
			const piece = 8 << 10
			body := bytes.Repeat(seg, 2)
			rest := body
			for len(rest) > 0 {
				n := min(piece, len(rest))
				if chunked {
					fmt.Fprintf(u.c, "%x\r\n%s\r\n", n, rest[:n])
				} else {
					u.c.Write(rest[:n])
				}
				rest = rest[n:]
				time.Sleep(125 * time.Millisecond)
			}
			if chunked {
				io.WriteString(u.c, "0\r\n\r\n")
			}
			resp, msg := u.response(t)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("chunked=%v: got %d %q, want 201", chunked, resp.StatusCode, msg)
			}
			if took := time.Since(start); took < 2*cfg.BodyIdleTimeout {
				t.Logf("chunked=%v: the upload took %s, under two idle timeouts", chunked, took)
			}
		}
	})
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestMemoryFollowsBytesReceived holds eight uploads that each declare
// 250 MiB and send 512 KiB: ingest memory follows what arrived, the
// in-flight budget refuses what is over the channel's share with 503 and
// Retry-After, and another channel's normal upload goes through meanwhile.
func TestMemoryFollowsBytesReceived(t *testing.T) {
	cfg := testIngestConfig()
	cfg.MaxSegmentBytes = 256 << 20
	cfg.BodyTimeout = 10 * time.Minute
	cfg.BodyIdleTimeout = 10 * time.Minute
	cfg.MaxInflightBytes = 4 << 20
	cfg.MaxInflightChannelShare = 0.5 // 2 MiB per channel
	e := newEnv(t, envOptions{cfg: cfg})
	e.addChannel("ch2", "user3", "pass3")
	base := heapInUse()

	const declared, sent = 250 << 20, 512 << 10
	auth := basicHeader("user1", "pass1")
	type answer struct {
		resp *http.Response
		err  error
	}
	var answers []chan answer
	for i := 0; i < 8; i++ {
		u := e.startRaw(http.MethodPut, fmt.Sprintf("%sch1/ep1/big%d.ts", Prefix, i), auth+fmt.Sprintf("Content-Length: %d\r\n", declared))
		before := e.gauge("boxcar_ingest_inflight_body_bytes")
		u.trickle(bytes.Repeat([]byte{0x47}, sent), time.Hour) // sent once, then held
		ans := make(chan answer, 1)
		answers = append(answers, ans)
		go func() {
			resp, err := http.ReadResponse(u.br, nil)
			ans <- answer{resp, err}
		}()
		// Wait until the server holds what was sent or refused it.
		deadline := time.Now().Add(5 * time.Second)
		for e.gauge("boxcar_ingest_inflight_body_bytes") < before+sent && len(ans) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	grown := int64(heapInUse()) - int64(base)
	t.Logf("heap in use grew by %d KiB with 8 uploads declaring %d MiB each", grown>>10, declared>>20)
	if grown > 64<<20 {
		t.Errorf("heap in use grew by %d MiB, want under 64 MiB", grown>>20)
	}
	refused := 0
	for i, ans := range answers {
		select {
		case a := <-ans:
			if a.err != nil {
				t.Fatalf("upload %d: %v", i, a.err)
			}
			if a.resp.StatusCode != http.StatusServiceUnavailable || a.resp.Header.Get("Retry-After") == "" {
				t.Fatalf("upload %d: got %d (Retry-After %q), want 503 with Retry-After", i, a.resp.StatusCode, a.resp.Header.Get("Retry-After"))
			}
			refused++
		default:
		}
	}
	if refused == 0 {
		t.Errorf("no upload refused with 503 although they sent %d KiB against a %d KiB share", 8*sent>>10, int64(float64(cfg.MaxInflightBytes)*cfg.MaxInflightChannelShare)>>10)
	}
	// Another channel is not starved.
	req, _ := http.NewRequest(http.MethodPut, e.srv.URL+Prefix+"ch2/ep1/seg0.ts", bytes.NewReader(fixture(t, "aac/seg0.ts")))
	req.SetBasicAuth("user3", "pass3")
	if code, msg := e.do(req); code != http.StatusCreated {
		t.Fatalf("another channel's PUT while the first holds its share: got %d %q, want 201", code, msg)
	}
}

// warnLines counts the WARN and ERROR lines of the server log.
func warnLines(e *env) []string {
	var out []string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return out
}

// TestLogAmplification: a 3 MB playlist listing one missing segment
// 99,000 times, sent twice with new media sequence numbers, costs a
// handful of log lines while the skip metric counts every segment; and
// the same warning repeated every few seconds is written a few times a
// minute, then summarized.
func TestLogAmplification(t *testing.T) {
	cfg := testIngestConfig()
	cfg.MaxPlaylistBytes = 4 << 20
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, envOptions{clock: fc, cfg: cfg})
	e.baseline()
	before := len(warnLines(e))
	const n = 99000
	missing := make([]string, n)
	for i := range missing {
		missing[i] = "missing.ts"
	}
	for _, seq := range []int{2, 2 + n} {
		body := pl(seq, missing...)
		if code, msg := e.put("ep1", "channel.m3u8", body); code != http.StatusNoContent {
			t.Fatalf("playlist of %d bytes at %d: got %d %q, want 204", len(body), seq, code, msg)
		}
		fc.Advance(3 * time.Second)
		e.handler.Tick(t.Context())
	}
	if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", reasonMissing); got != 2*n {
		t.Errorf("missing skips counted: got %v, want %d", got, 2*n)
	}
	lines := warnLines(e)[before:]
	if len(lines) > 6 {
		t.Fatalf("%d warning lines for two amplification playlists, want a handful; first: %q", len(lines), lines[:3])
	}
	// One more missing segment every two seconds for 40 s.
	for i := 0; i < 20; i++ {
		e.mustPut("ep1", "channel.m3u8", pl(2+2*n+i, "missing.ts"))
		fc.Advance(2100 * time.Millisecond)
		e.handler.Tick(t.Context())
	}
	if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", reasonMissing); got != 2*n+20 {
		t.Errorf("missing skips counted: got %v, want %d", got, 2*n+20)
	}
	fc.Advance(time.Minute)
	e.handler.Tick(t.Context())
	lines = warnLines(e)[before:]
	if len(lines) > warnBurst+2 {
		t.Errorf("%d warning lines, want at most %d a minute and a summary", len(lines), warnBurst)
	}
	t.Logf("warning lines:\n%s", strings.Join(lines, "\n"))
	summary := regexp.MustCompile(`suppressed=(\d+)`)
	var found bool
	for _, l := range lines {
		if m := summary.FindStringSubmatch(l); m != nil && strings.Contains(l, "skip:missing") {
			found = true
		}
	}
	if !found {
		t.Errorf("no summary of the suppressed lines in:\n%s", strings.Join(lines, "\n"))
	}
}

// TestUnknownChannelLooksLikeWrongCredentials: an unauthenticated request
// to a channel (or ingest endpoint) that does not exist gets the same
// answer as one to a channel that does, so ids cannot be enumerated.
func TestUnknownChannelLooksLikeWrongCredentials(t *testing.T) {
	e := newEnv(t, envOptions{cfg: testIngestConfig()})
	nonce := regexp.MustCompile(`nonce="[^"]*"`)
	answer := func(path, user, pass string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+path, strings.NewReader("x"))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		h := resp.Header.Clone()
		h.Del("Date")
		h.Del("X-Request-Id")
		for i, v := range h.Values("WWW-Authenticate") {
			h["Www-Authenticate"][i] = nonce.ReplaceAllString(v, `nonce="N"`)
		}
		return resp.StatusCode, h, string(b)
	}
	for _, creds := range [][2]string{{"", ""}, {"user1", "wrong"}, {"user1", "pass1"}} {
		known := Prefix + "ch1/ep1/a.ts"
		if creds[1] == "pass1" {
			known = Prefix + "ch1/ep2/a.ts" // right password, other endpoint
		}
		wantCode, wantHdr, wantBody := answer(known, creds[0], creds[1])
		if wantCode != http.StatusUnauthorized {
			t.Fatalf("%v on %s: got %d, want 401", creds, known, wantCode)
		}
		for _, path := range []string{Prefix + "nope/ep1/a.ts", Prefix + "ch1/nope/a.ts"} {
			code, hdr, body := answer(path, creds[0], creds[1])
			if code != wantCode || body != wantBody {
				t.Errorf("%v on %s: got %d %q, want %d %q as for %s", creds, path, code, body, wantCode, wantBody, known)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range hdr {
					if !yield(k) {
						return
					}
				}
			})
			for _, k := range keys {
				if !slices.Equal(hdr[k], wantHdr[k]) {
					t.Errorf("%v on %s: header %s %q, want %q", creds, path, k, hdr[k], wantHdr[k])
				}
			}
			if len(hdr) != len(wantHdr) {
				t.Errorf("%v on %s: headers %v, want %v", creds, path, hdr, wantHdr)
			}
		}
	}
}

// TestRefusedPlaylistConsistency: what a playlist PUT answered says is
// what happened. A 422 after other segments were accepted names them, and
// sending the same playlist again adds nothing twice; a playlist refused
// for a bad name changes nothing, so the next good one lists every
// segment once.
func TestRefusedPlaylistConsistency(t *testing.T) {
	t.Run("422 names what was accepted", func(t *testing.T) {
		fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		e := newEnv(t, envOptions{clock: fc, cfg: testIngestConfig()})
		e.baseline()
		e.mustPut("ep1", "seg2.ts", junkTS(50))
		e.mustPut("ep1", "seg3.ts", fixture(t, "aac/seg3.ts"))
		accepted := e.counter("boxcar_ingest_segments_total", "outcome", "accepted")
		playlist := pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts")
		code, msg := e.put("ep1", "channel.m3u8", playlist)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("got %d %q, want 422", code, msg)
		}
		if got := e.counter("boxcar_ingest_segments_total", "outcome", "accepted"); got != accepted+1 {
			t.Fatalf("accepted segments: got %v, want %v (seg3.ts)", got, accepted+1)
		}
		_, after, ok := strings.Cut(msg, "accepted")
		if !ok || !strings.Contains(after, "seg3.ts") || !strings.Contains(msg, "seg2.ts") {
			t.Fatalf("422 %q: want seg2.ts named as refused and seg3.ts as accepted", msg)
		}
		segs := len(e.timeline.Timeline("ch1").Snapshot().Segments)
		skipped := e.counter("boxcar_ingest_segments_total", "outcome", "skipped")
		// The encoder sends the playlist again: nothing is taken twice.
		if code, msg := e.put("ep1", "channel.m3u8", playlist); code != http.StatusNoContent {
			t.Fatalf("same playlist again: got %d %q, want 204", code, msg)
		}
		fc.Advance(3 * time.Second)
		e.handler.Tick(t.Context())
		e.timeline.Tick(t.Context(), fc.Now())
		if got := e.counter("boxcar_ingest_segments_total", "outcome", "accepted"); got != accepted+1 {
			t.Errorf("accepted segments after the repeat: got %v, want %v", got, accepted+1)
		}
		if got := e.counter("boxcar_ingest_segments_total", "outcome", "skipped"); got != skipped {
			t.Errorf("skipped segments after the repeat: got %v, want %v", got, skipped)
		}
		if got := len(e.timeline.Timeline("ch1").Snapshot().Segments); got < segs {
			t.Errorf("timeline went from %d to %d segments", segs, got)
		}
	})
	t.Run("400 changes nothing", func(t *testing.T) {
		fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		e := newEnv(t, envOptions{clock: fc, cfg: testIngestConfig()})
		before := e.baseline()
		e.mustPut("ep1", "seg2.ts", fixture(t, "aac/seg2.ts"))
		if code, msg := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "../ep2/seg3.ts")); code != http.StatusBadRequest {
			t.Fatalf("bad name: got %d %q, want 400", code, msg)
		}
		e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
		fc.Advance(3 * time.Second)
		e.handler.Tick(t.Context())
		if got := e.counter("boxcar_ingest_segments_total", "outcome", "skipped"); got != 0 {
			t.Errorf("segments skipped: got %v, want 0 (seg2.ts listed once)", got)
		}
		if n := len(e.checkKept(before).Segments); n != 3 {
			t.Errorf("%d segments, want 3", n)
		}
	})
}
