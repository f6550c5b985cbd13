package ingest

import (
	"net/http"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/live"
)

// TestEndlistEndsInputNotChannel pushes the same segments to both ingest
// endpoints, as two aligned pipelines, and ends them one after the other
// with playlists that carry #EXT-X-ENDLIST and list nothing new: the first
// end is a failover, the second ends the channel, and a pipeline that
// starts again reopens it after one discontinuity.
func TestEndlistEndsInputNotChannel(t *testing.T) {
	fixtureDir(t)
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, envOptions{clock: fc})
	tl := e.timeline.Timeline("ch1")
	snap := func() *live.Snapshot { return tl.Snapshot() }
	for _, ep := range []string{"ep1", "ep2"} {
		e.mustPut(ep, "main.m3u8", []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS=\"avc1.64000d,mp4a.40.2\",RESOLUTION=320x180\nchannel.m3u8\n"))
		e.mustPut(ep, "seg0.ts", fixture(t, "aac/seg0.ts"))
		e.mustPut(ep, "seg1.ts", fixture(t, "aac/seg1.ts"))
		e.mustPut(ep, "channel.m3u8", pl(0, "seg0.ts", "seg1.ts"))
	}
	if s := snap(); len(s.Segments) != 2 || s.ActiveInput != 1 {
		t.Fatalf("two pipelines: %d segments, active input %d", len(s.Segments), s.ActiveInput)
	}

	// Pipeline 1 stops: its last playlist ends and lists nothing new.
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "#EXT-X-ENDLIST"))
	if s := snap(); s.Ended || s.ActiveInput != 2 {
		t.Fatalf("after pipeline 1 ended: output ended %v, active input %d; want live on input 2", s.Ended, s.ActiveInput)
	}
	e.mustPut("ep2", "seg2.ts", fixture(t, "aac/seg2.ts"))
	e.mustPut("ep2", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
	e.mustPut("ep2", "seg3.ts", fixture(t, "aac/seg3.ts"))
	e.mustPut("ep2", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts"))
	s := snap()
	if len(s.Segments) != 4 || s.Ended {
		t.Fatalf("pipeline 2 went on: %d segments, ended %v", len(s.Segments), s.Ended)
	}
	for _, seg := range s.Segments {
		if seg.Disc || seg.Gap {
			t.Fatalf("segment %d: disc %v gap %v", seg.Seq, seg.Disc, seg.Gap)
		}
	}

	// Pipeline 2 stops too: the output ends.
	e.mustPut("ep2", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts", "#EXT-X-ENDLIST"))
	if s := snap(); !s.Ended || len(s.Segments) != 4 {
		t.Fatalf("both pipelines ended: output ended %v, %d segments", s.Ended, len(s.Segments))
	}

	// Pipeline 1 starts again: its media sequence and timestamps restart.
	fc.Advance(20 * time.Second)
	e.mustPut("ep1", "seg0.ts", fixture(t, "aac/seg0.ts"))
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts"))
	s = snap()
	if s.Ended || s.ActiveInput != 1 || len(s.Segments) != 5 {
		t.Fatalf("pipeline 1 resumed: output ended %v, active input %d, %d segments", s.Ended, s.ActiveInput, len(s.Segments))
	}
	if last := s.Segments[4]; !last.Disc || !last.Resumed || last.Seq != 5 || last.Start != s.Segments[3].End() {
		t.Fatalf("first segment after the reopen: %+v", last)
	}
}

// TestEndlistWithRefusedLastSegment: the encoder's last playlist ends with
// a segment Boxcar refuses (it does not demux): the end still reaches the
// timeline, and the one-input channel ends.
func TestEndlistWithRefusedLastSegment(t *testing.T) {
	fixtureDir(t)
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, envOptions{clock: fc})
	e.baseline()
	// The last playlist arrives before its segment (one connection per
	// PUT), and the segment turns out not to demux.
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "#EXT-X-ENDLIST"))
	if code, msg := e.put("ep1", "seg2.ts", junkTS(50)); code != http.StatusUnprocessableEntity {
		t.Fatalf("junk last segment: %d %q, want 422", code, msg)
	}
	if s := e.timeline.Timeline("ch1").Snapshot(); !s.Ended || len(s.Segments) != 2 {
		t.Fatalf("output ended %v with %d segments; want ended after 2", s.Ended, len(s.Segments))
	}
}
