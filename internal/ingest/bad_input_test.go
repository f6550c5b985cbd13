package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/live"
)

// pl builds a media playlist with 1 s segments starting at media sequence
// seq. Lines starting with '#' are copied as tags before the next segment.
func pl(seq int, lines ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", seq)
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			b.WriteString(l + "\n")
			continue
		}
		b.WriteString("#EXTINF:1.000000,\n" + l + "\n")
	}
	return []byte(b.String())
}

// baseline puts two segments of the AAC fixture on the timeline through
// rendition "channel" and returns the snapshot.
func (e *env) baseline() *live.Snapshot {
	e.t.Helper()
	e.mustPut("ep1", "main.m3u8", []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS=\"avc1.64000d,mp4a.40.2\",RESOLUTION=320x180\nchannel.m3u8\n"))
	e.mustPut("ep1", "seg0.ts", fixture(e.t, "aac/seg0.ts"))
	e.mustPut("ep1", "seg1.ts", fixture(e.t, "aac/seg1.ts"))
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts"))
	snap := e.timeline.Timeline("ch1").Snapshot()
	if len(snap.Segments) != 2 {
		e.t.Fatalf("baseline: %d segments on the timeline, want 2", len(snap.Segments))
	}
	return snap
}

// checkKept checks that every segment of before is still on the timeline,
// unchanged and readable, in the same order.
func (e *env) checkKept(before *live.Snapshot) *live.Snapshot {
	e.t.Helper()
	after := e.timeline.Timeline("ch1").Snapshot()
	for _, b := range before.Segments {
		a := after.Segment(b.Seq)
		if a == nil {
			e.t.Fatalf("segment %d was removed", b.Seq)
		}
		if a.Start != b.Start || a.Duration != b.Duration || a.Gap != b.Gap || len(a.Frags) != len(b.Frags) {
			e.t.Fatalf("segment %d changed: %+v, was %+v", b.Seq, a, b)
		}
		for i, f := range b.Frags {
			if a.Frags[i] != f {
				e.t.Fatalf("segment %d fragment %d changed: %+v, was %+v", b.Seq, i, a.Frags[i], f)
			}
			data, err := e.store.Get(context.Background(), f.StoreKey)
			if err != nil || crc32.ChecksumIEEE(data) != f.CRC32 {
				e.t.Fatalf("segment %d fragment %s unreadable or changed: %v", b.Seq, f.StoreKey, err)
			}
		}
	}
	for i := 1; i < len(after.Segments); i++ {
		if after.Segments[i].Seq != after.Segments[i-1].Seq+1 || after.Segments[i].Start < after.Segments[i-1].End() {
			e.t.Fatalf("timeline out of order at segment %d", after.Segments[i].Seq)
		}
	}
	return after
}

// rawPut sends a PUT over a raw connection: head is sent, then body, then
// the connection is left as the test's func says.
func (e *env) rawConn() net.Conn {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func basicHeader(user, pass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) + "\r\n"
}

// waitCounter waits for a counter to reach want (the handler finishes a
// request after the client saw the connection end).
func (e *env) waitCounter(want float64, name string, labels ...string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.counter(name, labels...) < want {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s%v: got %v, want %v", name, labels, e.counter(name, labels...), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// corruptCC damages the continuity counters of every 7th packet of the
// segment's video PID (0x100 in ffmpeg's TS).
func corruptCC(b []byte) []byte {
	out := bytes.Clone(b)
	n := 0
	for i := 0; i+188 <= len(out); i += 188 {
		pid := int(out[i+1]&0x1f)<<8 | int(out[i+2])
		if pid == 0x100 {
			n++
			if n%7 == 0 {
				out[i+3] = out[i+3]&0xf0 | (out[i+3]+5)&0x0f
			}
		}
	}
	return out
}

// stripPSI replaces PAT and PMT packets by null packets.
func stripPSI(b []byte) []byte {
	out := bytes.Clone(b)
	for i := 0; i+188 <= len(out); i += 188 {
		pid := int(out[i+1]&0x1f)<<8 | int(out[i+2])
		if pid == 0 || pid == 0x1000 {
			out[i+1], out[i+2] = 0x1f, 0xff
		}
	}
	return out
}

// junkTS is 188-byte packets with sync bytes and random payload.
func junkTS(n int) []byte {
	b := make([]byte, 188*n)
	rand.Read(b)
	for i := 0; i < len(b); i += 188 {
		b[i] = 0x47
		b[i+1] &= 0x1f
	}
	return b
}

func TestBadInput(t *testing.T) {
	fixtureDir(t)
	tests := []struct {
		name string
		// run does the bad thing against a timeline holding two good
		// segments; the test then checks they are untouched.
		run func(t *testing.T, e *env, fc *clock.Fake)
	}{
		{"truncated upload", func(t *testing.T, e *env, fc *clock.Fake) {
			seg := fixture(t, "aac/seg2.ts")
			c := e.rawConn()
			fmt.Fprintf(c, "PUT %sch1/ep1/seg2.ts HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n", Prefix, basicHeader("user1", "pass1"), len(seg))
			c.Write(seg[:len(seg)/2])
			c.Close()
			e.waitCounter(1, "boxcar_ingest_uploads_skipped_total", "reason", reasonTruncated)
			// Chunked, cut inside a chunk.
			c = e.rawConn()
			fmt.Fprintf(c, "PUT %sch1/ep1/seg2.ts HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\n\r\n%x\r\n", Prefix, basicHeader("user1", "pass1"), len(seg))
			c.Write(seg[:len(seg)/2])
			c.Close()
			e.waitCounter(2, "boxcar_ingest_uploads_skipped_total", "reason", reasonTruncated)
			// Listed anyway: nothing is held, so it is skipped as missing.
			e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
			fc.Advance(3 * time.Second)
			e.handler.Tick(context.Background())
			if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", reasonMissing); got != 1 {
				t.Errorf("missing: got %v, want 1", got)
			}
		}},
		{"garbage segment", func(t *testing.T, e *env, fc *clock.Fake) {
			junk := make([]byte, 5000)
			rand.Read(junk)
			junk[0] = 0x12
			if code, msg := e.put("ep1", "seg2.ts", junk); code != http.StatusUnsupportedMediaType {
				t.Fatalf("garbage: got %d %q, want 415", code, msg)
			}
		}},
		{"garbage with sync bytes", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "seg2.ts", junkTS(50))
			code, msg := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
			if code != http.StatusUnprocessableEntity || !strings.Contains(msg, "seg2.ts") {
				t.Fatalf("listing junk: got %d %q, want 422 naming seg2.ts", code, msg)
			}
		}},
		{"continuity errors", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "seg2.ts", corruptCC(fixture(t, "aac/seg2.ts")))
			e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
			if !strings.Contains(e.logs.String(), "continuity errors") {
				t.Error("no warning about continuity errors")
			}
		}},
		{"no PAT or PMT", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "seg2.ts", stripPSI(fixture(t, "aac/seg2.ts")))
			if code, msg := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts")); code != http.StatusUnprocessableEntity {
				t.Fatalf("listing a TS without PSI: got %d %q, want 422", code, msg)
			}
			if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", reasonDemux); got != 1 {
				t.Errorf("demux errors: got %v, want 1", got)
			}
		}},
		{"fragment before its init", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "fm/seg0.m4s", fixture(t, "fmp4/seg0.m4s"))
			// Listed without EXT-X-MAP: refused at once.
			if code, msg := e.put("ep1", "fm/nomap.m3u8", pl(0, "seg0.m4s")); code != http.StatusUnprocessableEntity {
				t.Fatalf("fMP4 without EXT-X-MAP: got %d %q, want 422", code, msg)
			}
			// Listed after a map whose init never comes: skipped.
			e.mustPut("ep1", "fm/seg1.m4s", fixture(t, "fmp4/seg1.m4s"))
			e.mustPut("ep1", "fm/index.m3u8", pl(1, `#EXT-X-MAP:URI="init.mp4"`, "seg1.m4s"))
			fc.Advance(3 * time.Second)
			e.handler.Tick(context.Background())
			if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", reasonNoInit); got != 2 {
				t.Errorf("no-init skips: got %v, want 2", got)
			}
		}},
		{"segments that never arrive", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "seg3.ts", fixture(t, "aac/seg3.ts"))
			e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts"))
			if n := len(e.timeline.Timeline("ch1").Snapshot().Segments); n != 2 {
				t.Fatalf("seg3 committed before seg2 was given up: %d segments", n)
			}
			fc.Advance(3 * time.Second)
			e.handler.Tick(context.Background())
			e.timeline.Tick(context.Background(), fc.Now())
			snap := e.timeline.Timeline("ch1").Snapshot()
			last := snap.Segments[len(snap.Segments)-1]
			if last.Gap || len(last.Frags) != 2 {
				t.Errorf("seg3 not on the timeline after seg2 was skipped: %+v", last)
			}
			if got := e.counter("boxcar_ingest_uploads_skipped_total", "reason", reasonMissing); got != 1 {
				t.Errorf("missing: got %v, want 1", got)
			}
		}},
		{"codec change", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "seg2.ts", fixture(t, "aac/seg2.ts"))
			e.mustPut("ep1", "seg3.ts", fixture(t, "aac/seg3.ts"))
			e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts"))
			before := e.timeline.Timeline("ch1").Snapshot()
			e.mustPut("ep1", "seg4.ts", fixture(t, "ac3/seg0.ts"))
			code, msg := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts", "seg4.ts"))
			if code != http.StatusConflict || !strings.Contains(msg, "codec") {
				t.Fatalf("codec change: got %d %q, want 409 about the codec", code, msg)
			}
			e.checkKept(before)
		}},
		{"paths leaving the endpoint", func(t *testing.T, e *env, fc *clock.Fake) {
			req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/", bytes.NewReader(fixture(t, "aac/seg2.ts")))
			req.URL.Opaque = "//" + req.URL.Host + Prefix + "ch1/ep1/../ep2/seg2.ts"
			req.SetBasicAuth("user1", "pass1")
			if code, _ := e.do(req); code != http.StatusBadRequest {
				t.Fatalf("../ in path: got %d, want 400", code)
			}
			if code, msg := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "../ep2/seg2.ts")); code != http.StatusBadRequest {
				t.Fatalf("../ in playlist: got %d %q, want 400", code, msg)
			}
		}},
		{"enormous bodies", func(t *testing.T, e *env, fc *clock.Fake) {
			big := bytes.Repeat(fixture(t, "aac/seg2.ts"), 1+int(testIngestConfig().MaxSegmentBytes)/len(fixture(t, "aac/seg2.ts")))
			if code, _ := e.put("ep1", "seg2.ts", big); code != http.StatusRequestEntityTooLarge {
				t.Fatalf("sized body over the limit: got %d, want 413", code)
			}
			req, _ := http.NewRequest(http.MethodPut, e.url("ep1", "seg2.ts"), io.MultiReader(bytes.NewReader(big)))
			req.SetBasicAuth("user1", "pass1")
			req.ContentLength = -1
			if code, _ := e.do(req); code != http.StatusRequestEntityTooLarge {
				t.Fatalf("chunked body over the limit: got %d, want 413", code)
			}
			huge := append(pl(0, "seg0.ts"), bytes.Repeat([]byte("#X-PAD\n"), 20000)...)
			if code, _ := e.put("ep1", "channel.m3u8", huge); code != http.StatusRequestEntityTooLarge {
				t.Fatalf("playlist over the limit: got %d, want 413", code)
			}
		}},
		{"slow body", func(t *testing.T, e *env, fc *clock.Fake) {
			seg := fixture(t, "aac/seg2.ts")
			c := e.rawConn()
			defer c.Close()
			fmt.Fprintf(c, "PUT %sch1/ep1/seg2.ts HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n", Prefix, basicHeader("user1", "pass1"), len(seg))
			c.Write(seg[:1000])
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("slow body: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("slow body: got %d, want 408", resp.StatusCode)
			}
		}},
		{"encrypted", func(t *testing.T, e *env, fc *clock.Fake) {
			e.mustPut("ep1", "seg2.ts", fixture(t, "aac/seg2.ts"))
			code, msg := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", `#EXT-X-KEY:METHOD=AES-128,URI="k.key"`, "seg2.ts"))
			if code != http.StatusUnsupportedMediaType || !strings.Contains(msg, "encrypted") {
				t.Fatalf("encrypted playlist: got %d %q, want 415 saying encrypted", code, msg)
			}
		}},
		{"not a playlist", func(t *testing.T, e *env, fc *clock.Fake) {
			if code, _ := e.put("ep1", "channel.m3u8", []byte("hello")); code != http.StatusBadRequest {
				t.Fatalf("junk playlist: got %d, want 400", code)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
			e := newEnv(t, envOptions{clock: fc, cfg: testIngestConfig()})
			before := e.baseline()
			tc.run(t, e, fc)
			e.checkKept(before)
		})
	}
}

func TestStatusView(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, envOptions{clock: fc, cfg: testIngestConfig()})
	e.baseline()
	e.mustPut("ep1", "seg3.ts", fixture(t, "aac/seg3.ts"))
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/boxcar/v1/channels/ch1/ingest_status", http.StatusOK},
		{"/boxcar/v1/channels/nope/ingest_status", http.StatusNotFound},
	} {
		resp, err := http.Get(e.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var st live.Status
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("GET %s: got %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
		if tc.want != http.StatusOK {
			continue
		}
		if err != nil || st.Channel != "ch1" || st.Segments != 2 || st.ActiveInput != 1 || len(st.Tracks) != 2 {
			t.Fatalf("status: %+v (%v): want ch1 with 2 segments and 2 tracks from input 1", st, err)
		}
		holds, _ := json.Marshal(st.Extra["ingest"])
		if !strings.Contains(string(holds), `"heldUploads":1`) {
			t.Errorf("status extra.ingest %s: want the held seg3.ts", holds)
		}
	}
}

func TestDeleteAndReplace(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, envOptions{clock: fc, cfg: testIngestConfig()})
	before := e.baseline()
	seg := fixture(t, "aac/seg2.ts")
	if code, _ := e.put("ep1", "seg2.ts", seg); code != http.StatusCreated {
		t.Fatalf("first PUT: got %d, want 201", code)
	}
	if code, _ := e.put("ep1", "seg2.ts", seg); code != http.StatusNoContent {
		t.Fatalf("second PUT: got %d, want 204", code)
	}
	// ffmpeg's delete_segments removes objects already on the timeline:
	// the timeline keeps them.
	for _, name := range []string{"seg0.ts", "seg2.ts", "never.ts"} {
		req, _ := http.NewRequest(http.MethodDelete, e.url("ep1", name), nil)
		req.SetBasicAuth("user1", "pass1")
		if code, _ := e.do(req); code != http.StatusNoContent {
			t.Fatalf("DELETE %s: got %d, want 204", name, code)
		}
	}
	e.checkKept(before)
	// POST works like PUT.
	req, _ := http.NewRequest(http.MethodPost, e.url("ep1", "seg2.ts"), bytes.NewReader(seg))
	req.SetBasicAuth("user1", "pass1")
	if code, _ := e.do(req); code != http.StatusCreated {
		t.Fatalf("POST after DELETE: got %d, want 201", code)
	}
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
	if n := len(e.checkKept(before).Segments); n != 3 {
		t.Fatalf("%d segments after listing the POSTed seg2, want 3", n)
	}
}

func TestCueTagsReachTimeline(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, envOptions{clock: fc, cfg: testIngestConfig()})
	e.baseline()
	e.mustPut("ep1", "seg2.ts", fixture(t, "aac/seg2.ts"))
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts",
		"#EXT-X-PROGRAM-DATE-TIME:2026-03-01T12:00:02.000Z", "#EXT-X-CUE-OUT:30.000",
		`#EXT-X-DATERANGE:ID="s1",START-DATE="2026-03-01T12:00:02Z",PLANNED-DURATION=30`, "seg2.ts"))
	snap := e.timeline.Timeline("ch1").Snapshot()
	var got []string
	for _, ev := range snap.Segments[len(snap.Segments)-1].Events {
		if ev.Kind == live.EventHLSCue {
			got = append(got, string(ev.Data))
		}
	}
	want := `#EXT-X-CUE-OUT:30.000|#EXT-X-DATERANGE:ID="s1",START-DATE="2026-03-01T12:00:02Z",PLANNED-DURATION=30`
	if strings.Join(got, "|") != want {
		t.Fatalf("cue events: got %q, want %q", got, want)
	}
}
