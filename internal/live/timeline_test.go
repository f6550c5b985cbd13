package live_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/store"
)

// checkDense fails unless the window's sequence numbers are dense and
// every listed fragment is readable and parses back.
func checkDense(t *testing.T, b *livetest.Builder, s *live.Snapshot) {
	t.Helper()
	for i := range s.Segments {
		seg := &s.Segments[i]
		if i > 0 && seg.Seq != s.Segments[i-1].Seq+1 {
			t.Fatalf("sequence %d follows %d", seg.Seq, s.Segments[i-1].Seq)
		}
		if i > 0 && seg.Start < s.Segments[i-1].Start {
			t.Fatalf("segment %d starts at %d before segment %d at %d", seg.Seq, seg.Start, s.Segments[i-1].Seq, s.Segments[i-1].Start)
		}
		for _, f := range seg.Frags {
			data, err := b.Store.Get(context.Background(), f.StoreKey)
			if err != nil {
				t.Fatalf("segment %d track %d listed but unreadable: %v", seg.Seq, f.Track, err)
			}
			if len(data) != f.Size {
				t.Fatalf("segment %d track %d: size %d, index says %d", seg.Seq, f.Track, len(data), f.Size)
			}
			if _, _, err := fmp4.ParseFragment(data); err != nil {
				t.Fatalf("segment %d track %d: %v", seg.Seq, f.Track, err)
			}
		}
	}
}

func discs(s *live.Snapshot) (n int) {
	for _, seg := range s.Segments {
		if seg.Disc {
			n++
		}
	}
	return n
}

func gaps(s *live.Snapshot) (n int) {
	for _, seg := range s.Segments {
		if seg.Gap {
			n++
		}
	}
	return n
}

func TestTimelineBasic(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	s := b.Segments(1, 10)
	if got, want := len(s.Segments), 10; got != want {
		t.Fatalf("segments: got %d, want %d", got, want)
	}
	if got := s.Segments[0].Seq; got != 1 {
		t.Fatalf("first seq: got %d, want 1", got)
	}
	if got, want := len(s.Tracks), 3; got != want {
		t.Fatalf("tracks: got %d, want %d", got, want)
	}
	for _, seg := range s.Segments {
		if len(seg.Frags) != 3 || seg.Gap || seg.Disc {
			t.Fatalf("segment %d: %d frags gap=%v disc=%v", seg.Seq, len(seg.Frags), seg.Gap, seg.Disc)
		}
		if seg.Duration != 180000 {
			t.Fatalf("segment %d duration %d", seg.Seq, seg.Duration)
		}
		if seg.Input != 1 {
			t.Fatalf("segment %d input %d", seg.Seq, seg.Input)
		}
	}
	if s.ActiveInput != 1 || len(s.Runs) != 1 {
		t.Fatalf("active %d runs %v", s.ActiveInput, s.Runs)
	}
	// PDT advances with media time.
	if d := s.Segments[9].PDT.Sub(s.Segments[0].PDT); d != 18*time.Second {
		t.Fatalf("PDT span %s, want 18s", d)
	}
	checkDense(t, b, s)
}

func TestTimelineWithoutMultivariantWaitsGrace(t *testing.T) {
	b := livetest.New(t, "ch1")
	s := b.Segments(1, 4)
	if len(s.Segments) != 4 {
		t.Fatalf("segments: got %d, want 4", len(s.Segments))
	}
	for _, seg := range s.Segments {
		if len(seg.Frags) != 3 {
			t.Fatalf("segment %d has %d fragments, want 3 (a rendition was left out)", seg.Seq, len(seg.Frags))
		}
	}
}

func TestTimelineDuplicateAndLate(t *testing.T) {
	b := livetest.New(t, "ch1", livetest.Rendition{Name: "v", Video: true, Audio: true, Bitrate: 500000})
	b.Declare(1)
	b.Segments(1, 3)
	// The encoder re-sends segment 2 (same timestamps).
	seg := &live.IngestSegment{Input: 1, Rendition: "v", TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(180000, 2*time.Second, 25, 500000)}}}
	out, err := b.Timeline.Add(context.Background(), seg)
	if err != nil || out != live.Duplicate {
		t.Fatalf("re-sent segment: got %v %v, want duplicate", out, err)
	}
	if got := len(b.Timeline.Snapshot().Segments); got != 3 {
		t.Fatalf("segments after duplicate: %d", got)
	}
}

func TestTimelineEncoderRestart(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 5)
	b.Restart(1, 0) // the encoder restarts its timestamps at zero
	s := b.Segments(1, 5)
	if got := discs(s); got != 1 {
		t.Fatalf("discontinuities: got %d, want 1", got)
	}
	if !s.Segments[5].Disc || s.Segments[5].DiscSeq != 1 || s.Segments[6].DiscSeq != 1 {
		t.Fatalf("segment 6: disc=%v discSeq=%d", s.Segments[5].Disc, s.Segments[5].DiscSeq)
	}
	if s.Segments[5].Start != s.Segments[4].End() {
		t.Fatalf("after restart the timeline continues at %d, got %d", s.Segments[4].End(), s.Segments[5].Start)
	}
	if len(s.Runs) != 2 || s.Runs[1].FirstSeq != 6 {
		t.Fatalf("runs %+v", s.Runs)
	}
	checkDense(t, b, s)
}

func TestTimelineGap(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	b.Skip(1, 2) // two segments never sent, timestamps continue
	s := b.Segments(1, 3)
	if got := len(s.Segments); got != 8 {
		t.Fatalf("segments: got %d, want 8", got)
	}
	if got := gaps(s); got != 2 || !s.Segments[3].Gap || !s.Segments[4].Gap {
		t.Fatalf("gaps: got %d", got)
	}
	if discs(s) != 0 {
		t.Fatalf("a gap with continuous timestamps is not a discontinuity")
	}
	checkDense(t, b, s)
}

func TestTimelineCodecChangeRejected(t *testing.T) {
	b := livetest.New(t, "ch1", livetest.Rendition{Name: "v", Video: true, Bitrate: 500000})
	b.Declare(1)
	before := b.Segments(1, 2)
	info := livetest.VideoInfo()
	info.Codec = media.CodecH265
	seg := &live.IngestSegment{Input: 1, Rendition: "v", TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{{Key: "v0", Info: info, Samples: livetest.VideoSamples(360000, 2*time.Second, 25, 500000)}}}
	if _, err := b.Timeline.Add(context.Background(), seg); !errors.Is(err, live.ErrCodecChanged) {
		t.Fatalf("got %v, want ErrCodecChanged", err)
	}
	after := b.Timeline.Snapshot()
	if len(after.Segments) != len(before.Segments) || after.Tracks[0].Latest().Info.Codec != media.CodecH264 {
		t.Fatalf("rejected segment changed the timeline")
	}
}

func TestTimelineWait(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	s := b.Segments(1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Timeline.Wait(ctx, s.Version); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait without change: %v", err)
	}
	done := make(chan *live.Snapshot)
	go func() {
		s2, _ := b.Timeline.Wait(context.Background(), s.Version)
		done <- s2
	}()
	b.Segment(1)
	if s2 := <-done; s2.Version <= s.Version || len(s2.Segments) != 2 {
		t.Fatalf("wait returned version %d with %d segments", s2.Version, len(s2.Segments))
	}
}

func TestTimelineFailoverAligned(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	// Both pipelines deliver the same aligned segments.
	for i := 0; i < 5; i++ {
		b.Deliver(1)
		b.Deliver(2)
		b.Advance()
	}
	s := b.Timeline.Snapshot()
	if s.ActiveInput != 1 || len(s.Segments) != 5 {
		t.Fatalf("before failure: active %d, %d segments", s.ActiveInput, len(s.Segments))
	}
	// Pipeline 1 dies; pipeline 2 goes on.
	for i := 0; i < 4; i++ {
		b.Segment(2)
	}
	s = b.Timeline.Snapshot()
	if s.ActiveInput != 2 {
		t.Fatalf("active input: got %d, want 2", s.ActiveInput)
	}
	if discs(s) != 0 || gaps(s) != 0 {
		t.Fatalf("aligned failover: %d discontinuities, %d gaps; want none", discs(s), gaps(s))
	}
	if got := len(s.Segments); got != 9 {
		t.Fatalf("segments: got %d, want 9", got)
	}
	for i, seg := range s.Segments {
		if want := media.Ticks(i) * 180000; seg.Start != want {
			t.Fatalf("segment %d starts at %d, want %d", seg.Seq, seg.Start, want)
		}
	}
	checkDense(t, b, s)
}

func TestTimelineFailoverUnaligned(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Restart(2, 900*90000) // pipeline 2's clock is 900 s ahead
	for i := 0; i < 5; i++ {
		b.Deliver(1)
		b.Deliver(2)
		b.Advance()
	}
	for i := 0; i < 4; i++ {
		b.Segment(2)
	}
	s := b.Timeline.Snapshot()
	if s.ActiveInput != 2 {
		t.Fatalf("active input: got %d, want 2", s.ActiveInput)
	}
	if got := discs(s); got != 1 {
		t.Fatalf("discontinuities: got %d, want 1", got)
	}
	for i := 1; i < len(s.Segments); i++ {
		if s.Segments[i].Start < s.Segments[i-1].End() {
			t.Fatalf("timeline goes back at %d", s.Segments[i].Seq)
		}
	}
	checkDense(t, b, s)
}

func TestTimelineRestartKeepsWindowAndNumbering(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	before := b.Segments(1, 6)
	b.Reopen(live.Options{})
	after := b.Timeline.Snapshot()
	if len(after.Segments) != len(before.Segments) {
		t.Fatalf("after restart: %d segments, want %d", len(after.Segments), len(before.Segments))
	}
	for i := range before.Segments {
		a, w := after.Segments[i], before.Segments[i]
		if a.Seq != w.Seq || a.Start != w.Start || !a.PDT.Equal(w.PDT) || len(a.Frags) != len(w.Frags) || a.Frags[0].StoreKey != w.Frags[0].StoreKey {
			t.Fatalf("segment %d changed across restart: %+v vs %+v", w.Seq, a, w)
		}
	}
	// The encoder continues: numbering continues, no discontinuity.
	b.Declare(1)
	s := b.Segments(1, 3)
	if got := s.Segments[len(s.Segments)-1].Seq; got != 9 {
		t.Fatalf("last seq after restart: got %d, want 9", got)
	}
	if discs(s) != 0 {
		t.Fatalf("continuing encoder after an origin restart: %d discontinuities", discs(s))
	}
	// The encoder restarts from zero: a discontinuity, numbering goes on.
	b.Restart(1, 0)
	s = b.Segments(1, 2)
	if discs(s) != 1 || s.Segments[len(s.Segments)-1].Seq != 11 {
		t.Fatalf("restart from zero: %d discontinuities, last seq %d", discs(s), s.Segments[len(s.Segments)-1].Seq)
	}
	checkDense(t, b, s)
}

func TestTimelineTornMediaBecomesGap(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	s := b.Segments(1, 4)
	// A crash tore segment 3's video: its object is short, another is gone.
	ctx := context.Background()
	f := s.Segments[2].Frags[0]
	data, _ := b.Store.Get(ctx, f.StoreKey)
	b.Store.Put(ctx, f.StoreKey, data[:len(data)/2])
	for _, f := range s.Segments[3].Frags {
		b.Store.Delete(ctx, f.StoreKey)
	}
	b.Reopen(live.Options{})
	after := b.Timeline.Snapshot()
	if len(after.Segments) != 4 {
		t.Fatalf("segments: %d", len(after.Segments))
	}
	if after.Segments[2].Frag(f.Track) != nil || len(after.Segments[2].Frags) != 2 {
		t.Fatalf("torn fragment still listed")
	}
	if !after.Segments[3].Gap {
		t.Fatalf("segment with all media gone is not a gap")
	}
	checkDense(t, b, after)
}

func TestTimelineRetentionBoundsStore(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Reopen(live.Options{Retention: func(string) time.Duration { return 30 * time.Second }})
	b.Declare(1)
	ctx := context.Background()
	maxObjects := 0
	for i := 0; i < 300; i++ { // ten minutes of media
		b.Segment(1)
		if i%10 == 0 {
			if err := b.Manager.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			keys, _ := b.Store.List(ctx, "media/ch1/")
			if len(keys) > maxObjects {
				maxObjects = len(keys)
			}
		}
	}
	s := b.Timeline.Snapshot()
	// 30 s of 2 s segments, plus up to one sweep interval (10 segments).
	if len(s.Segments) > 26 {
		t.Fatalf("window holds %d segments after retention", len(s.Segments))
	}
	if maxObjects > 3*26+3 {
		t.Fatalf("store held up to %d objects", maxObjects)
	}
	if s.Segments[len(s.Segments)-1].Seq != 300 {
		t.Fatalf("numbering: last seq %d", s.Segments[len(s.Segments)-1].Seq)
	}
	checkDense(t, b, s)
	b.Reopen(live.Options{})
	if got := len(b.Timeline.Snapshot().Segments); got != len(s.Segments) {
		t.Fatalf("after restart %d segments, want %d", got, len(s.Segments))
	}
}

func TestDeleteChannelRemovesMedia(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	ctx := context.Background()
	if err := b.Manager.DeleteChannel(ctx, "ch1"); err != nil {
		t.Fatal(err)
	}
	keys, _ := b.Store.List(ctx, "media/ch1/")
	if len(keys) != 0 {
		t.Fatalf("%d objects left", len(keys))
	}
	if _, ok := b.Manager.Lookup("ch1"); ok {
		t.Fatal("timeline still there")
	}
	b.Reopen(live.Options{})
	if n := len(b.Timeline.Snapshot().Segments); n != 0 {
		t.Fatalf("%d segments back after restart", n)
	}
}

// crashingStore fails every Put once armed, as a process that dies in the
// middle of writing a segment's fragments.
type crashingStore struct {
	*storeMemory
	armed bool
}

type storeMemory = store.Memory

func (c *crashingStore) Put(ctx context.Context, key string, data []byte) error {
	if c.armed {
		return errors.New("crash")
	}
	return c.storeMemory.Put(ctx, key, data)
}

func TestTimelineCrashBetweenWriteAndPublish(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	crash := &crashingStore{storeMemory: b.Store}
	b.Reopen(live.Options{Store: crash})
	b.Declare(1)
	// Segment 4: the first rendition's fragments are written, then the
	// process "dies" before the others and before publishing.
	seg := &live.IngestSegment{Input: 1, Rendition: "channel_1", TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(540000, 2*time.Second, 25, 1000000)}}}
	if _, err := b.Timeline.Add(context.Background(), seg); err != nil {
		t.Fatal(err)
	}
	crash.armed = true
	seg2 := &live.IngestSegment{Input: 1, Rendition: "channel_0", TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(540000, 2*time.Second, 25, 3000000)}}}
	if _, err := b.Timeline.Add(context.Background(), seg2); err == nil {
		t.Fatal("add with a failing store succeeded")
	}
	if got := len(b.Timeline.Snapshot().Segments); got != 3 {
		t.Fatalf("a half-written segment was published: %d segments", got)
	}
	// Restart on the surviving store.
	b.Reopen(live.Options{})
	s := b.Timeline.Snapshot()
	if len(s.Segments) != 3 {
		t.Fatalf("after the crash: %d segments, want 3", len(s.Segments))
	}
	checkDense(t, b, s)
	// Ingest resumes: numbering continues without a hole.
	b.Declare(1)
	b.Restart(1, 540000)
	s = b.Segments(1, 2)
	for i, seg := range s.Segments {
		if seg.Seq != uint64(i+1) {
			t.Fatalf("segment %d has seq %d", i, seg.Seq)
		}
	}
	checkDense(t, b, s)
}

func TestTimelineUnflaggedRestartInsideWindow(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 10)
	// The encoder restarted (while ingest state was lost, so nothing
	// flagged it) and its timestamps land back inside the window.
	b.Rewind(1, 0)
	s := b.Segments(1, 3)
	if got := len(s.Segments); got != 13 {
		t.Fatalf("segments: got %d, want 13 (restarted media taken as duplicates?)", got)
	}
	if discs(s) != 1 || !s.Segments[10].Disc {
		t.Fatalf("discontinuities: %d", discs(s))
	}
	checkDense(t, b, s)
}

func TestTimelineRenditionRejoins(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	// channel_1 drops out for five segments.
	all := b.Renditions
	b.Renditions = []livetest.Rendition{all[0], all[2]}
	b.Segments(1, 5)
	// It comes back, always a moment after the others.
	b.Renditions = []livetest.Rendition{all[0], all[2], all[1]}
	s := b.Segments(1, 3)
	for _, seg := range s.Segments[len(s.Segments)-3:] {
		if len(seg.Frags) != 3 {
			t.Fatalf("segment %d has %d fragments after the rendition came back, want 3", seg.Seq, len(seg.Frags))
		}
	}
	checkDense(t, b, s)
}

func TestTimelineRepeatedRestartToSameStart(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 5)
	b.Restart(1, 0)
	b.Segments(1, 3)
	b.Restart(1, 0)
	s := b.Segments(1, 3)
	if got := len(s.Segments); got != 11 {
		t.Fatalf("segments: got %d, want 11", got)
	}
	if got := discs(s); got != 2 {
		t.Fatalf("discontinuities: got %d, want 2", got)
	}
	checkDense(t, b, s)
}
