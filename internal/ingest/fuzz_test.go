package ingest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// FuzzPlaylistCommit feeds arbitrary media or multivariant playlists to an
// input that holds real segments: ingest must answer every one with a
// status below 500 and never leave the timeline out of order, whatever
// the playlist lists, in whatever order, with whatever tags.
func FuzzPlaylistCommit(f *testing.F) {
	seeds := [][]byte{
		pl(0, "seg0.ts", "seg1.ts"),
		pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts", "#EXT-X-ENDLIST"),
		pl(2, "seg2.ts", "#EXT-X-DISCONTINUITY", "seg0.ts"),
		pl(5, "#EXT-X-CUE-OUT:30.000", "seg1.ts", "#EXT-X-CUE-IN", "seg2.ts"),
		pl(0, "#EXT-X-PROGRAM-DATE-TIME:2026-03-01T12:00:00.000Z", "seg0.ts", `#EXT-X-DATERANGE:ID="a",START-DATE="2026-03-01T12:00:01Z"`, "seg1.ts"),
		pl(0, `#EXT-X-MAP:URI="seg0.ts"`, "seg1.ts"),
		pl(0, `#EXT-X-KEY:METHOD=AES-128,URI="k"`, "seg1.ts"),
		pl(0, "../seg0.ts", "http://h/in/v2/ch1/ep1/seg1.ts"),
		pl(1<<62, "seg3.ts"),
		[]byte("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"aud.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\"\nfz.m3u8\n"),
		[]byte("#EXTM3U\n#EXTINF:abc,\nseg0.ts\n"),
		// Hostile shapes (hostile_test.go): one missing segment listed
		// over and over, more than maxPending new ones at once with a
		// discontinuity among those dropped, a bad name after good
		// ones (refused whole), media sequence numbers at the top of
		// the range.
		pl(0, slices.Repeat([]string{"missing.ts"}, 2000)...),
		pl(0, append(append([]string{"seg0.ts", "#EXT-X-DISCONTINUITY"}, slices.Repeat([]string{"missing.ts"}, 300)...), "seg1.ts")...),
		pl(0, "seg0.ts", "seg1.ts", "../ep2/seg2.ts"),
		pl(0, "seg0.ts", "seg1.ts", `#EXT-X-MAP:URI="../init.mp4"`, "seg2.ts"),
		[]byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:18446744073709551615\n#EXTINF:1,\nseg0.ts\n#EXTINF:1,\nseg1.ts\n"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	segs := [][]byte{fixture(f, "aac/seg0.ts"), fixture(f, "aac/seg1.ts"), fixture(f, "aac/seg2.ts"), fixture(f, "aac/seg3.ts")}
	e := newEnv(f, envOptions{cfg: testIngestConfig()})
	serve := func(name string, body []byte) int {
		req := httptest.NewRequest(http.MethodPut, Prefix+"ch1/ep1/"+name, bytes.NewReader(body))
		req.SetBasicAuth("user1", "pass1")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		return w.Code
	}
	f.Fuzz(func(t *testing.T, playlist []byte) {
		for i, s := range segs {
			serve("seg"+string(rune('0'+i))+".ts", s)
		}
		if code := serve("fz.m3u8", playlist); code >= 500 {
			t.Fatalf("playlist %q: status %d", playlist, code)
		}
		snap := e.timeline.Timeline("ch1").Snapshot()
		for i := 1; i < len(snap.Segments); i++ {
			a, b := snap.Segments[i-1], snap.Segments[i]
			if b.Seq != a.Seq+1 || b.Start < a.End() {
				t.Fatalf("playlist %q left the timeline out of order at %d", playlist, b.Seq)
			}
		}
	})
}
