package live_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/store"
	"boxcar/internal/testutil"
)

// short is how long a cleanly stopping encoder's last segment lasts here,
// as ffmpeg's did on SIGINT (1.8 s of 2).
const short = 1800 * time.Millisecond

const segTicks = 180000 // 2 s at 90 kHz

// checkContinuous fails unless every segment starts where the previous
// one ended.
func checkContinuous(t *testing.T, s *live.Snapshot) {
	t.Helper()
	for i := 1; i < len(s.Segments); i++ {
		if got, want := s.Segments[i].Start, s.Segments[i-1].End(); got != want {
			t.Fatalf("segment %d starts at %d, want %d (where %d ended)", s.Segments[i].Seq, got, want, s.Segments[i-1].Seq)
		}
	}
}

// alignedPair feeds both inputs n aligned segments; input 1 is active.
func alignedPair(t *testing.T, n int) *livetest.Builder {
	t.Helper()
	b := livetest.New(t, "ch1")
	b.Declare(1)
	for i := 0; i < n; i++ {
		b.Deliver(1)
		b.Deliver(2)
		b.Advance()
	}
	if s := b.Timeline.Snapshot(); s.ActiveInput != 1 || len(s.Segments) != n {
		t.Fatalf("before the end: active %d, %d segments", s.ActiveInput, len(s.Segments))
	}
	return b
}

func TestEndOfActiveInputFailsOverAtOnce(t *testing.T) {
	b := alignedPair(t, 5)
	// Pipeline 1 stops cleanly: its last segment is short and ends its
	// playlists. Pipeline 2 goes on and has not yet finished that segment.
	b.End(1, short)
	s := b.Timeline.Snapshot()
	if s.ActiveInput != 2 {
		t.Fatalf("right after input 1 ended: active input %d, want 2 (no waiting for silence)", s.ActiveInput)
	}
	if s.Ended {
		t.Fatal("the output ended while input 2 is live")
	}
	// Pipeline 2's whole segment for the same time arrives a moment later
	// and wins.
	b.Clock.Advance(300 * time.Millisecond)
	for i := 0; i < 4; i++ {
		s = b.Segment(2)
		if s.Ended {
			t.Fatalf("the output ended after %d segments of input 2", i+1)
		}
	}
	s = b.Advance()
	if got := len(s.Segments); got != 9 {
		t.Fatalf("segments: got %d, want 9", got)
	}
	if discs(s) != 0 || gaps(s) != 0 {
		t.Fatalf("%d discontinuities, %d gaps; want none", discs(s), gaps(s))
	}
	for _, seg := range s.Segments {
		if seg.Duration != segTicks {
			t.Fatalf("segment %d lasts %d, want %d: the short last segment of the ended input reached the output", seg.Seq, seg.Duration, segTicks)
		}
	}
	if s.Segments[5].Input != 2 {
		t.Fatalf("segment 6 came from input %d, want 2", s.Segments[5].Input)
	}
	checkContinuous(t, s)
	checkDense(t, b, s)
	st := b.Timeline.Status(b.Clock.Now())
	if !st.Inputs[0].Ended || st.Inputs[1].Ended || st.InputSwitches != 1 || st.Fallback != 0 {
		t.Fatalf("status: %+v", st)
	}
	// The held short segment was never stored for good: only listed media
	// remains (3 tracks per segment, 3 inits).
	keys, _ := b.Store.List(context.Background(), "media/ch1/")
	if got, want := len(keys), 9*3+3; got != want {
		t.Fatalf("store holds %d objects, want %d", got, want)
	}
}

func TestEndFallbackWhenOtherInputDeliversNothingForItsTime(t *testing.T) {
	b := alignedPair(t, 3)
	b.End(1, short)
	// Input 2 is live but its segment for that time never comes (lost on
	// the way); its next one comes after the failover timeout.
	b.Skip(2, 1)
	b.Clock.Advance(1200 * time.Millisecond)
	s := b.Tick()
	if got := len(s.Segments); got != 4 || s.Segments[3].Duration != media.TicksOf(short) || s.Segments[3].Input != 1 {
		t.Fatalf("after the failover timeout: %d segments, last %+v; want the short fallback placed", got, s.Segments[len(s.Segments)-1])
	}
	s = b.Segment(2)
	s = b.Advance()
	if got := len(s.Segments); got != 5 || gaps(s) != 0 || discs(s) != 0 || s.Ended {
		t.Fatalf("%d segments, %d gaps, %d discontinuities, ended %v", got, gaps(s), discs(s), s.Ended)
	}
	checkDense(t, b, s)
}

func TestEndOfBothInputsEndsOutputAndResumeReopens(t *testing.T) {
	b := alignedPair(t, 3)
	b.End(1, short)
	for i := 0; i < 3; i++ {
		b.Segment(2)
	}
	s := b.Advance()
	if s.Ended || s.ActiveInput != 2 {
		t.Fatalf("one input left: ended %v, active %d", s.Ended, s.ActiveInput)
	}
	// Now input 2 stops cleanly too: nothing is live, the output ends as
	// soon as its last segment is published, without waiting.
	b.End(2, short)
	s = b.Timeline.Snapshot()
	if !s.Ended {
		t.Fatal("both inputs ended but the output did not")
	}
	last := s.Segments[len(s.Segments)-1]
	if last.Duration != media.TicksOf(short) || last.Input != 2 {
		t.Fatalf("last segment %+v, want input 2's short last segment", last)
	}
	n := len(s.Segments)
	// The end survives an origin restart.
	b.Reopen(live.Options{})
	if s = b.Timeline.Snapshot(); !s.Ended || len(s.Segments) != n {
		t.Fatalf("after an origin restart: ended %v, %d segments", s.Ended, len(s.Segments))
	}
	// Input 1's encoder starts again from zero: live again, after one
	// discontinuity that reopens the presentation; numbering goes on.
	b.Clock.Advance(30 * time.Second)
	b.Restart(1, 0)
	s = b.Segments(1, 3)
	if s.Ended || s.ActiveInput != 1 {
		t.Fatalf("after input 1 resumed: ended %v, active %d", s.Ended, s.ActiveInput)
	}
	if got := len(s.Segments); got != n+3 {
		t.Fatalf("segments: got %d, want %d", got, n+3)
	}
	re := s.Segments[n]
	if !re.Disc || !re.Resumed || re.Seq != last.Seq+1 || re.Start != last.End() {
		t.Fatalf("first segment after the reopen: %+v (last before: seq %d end %d)", re, last.Seq, last.End())
	}
	if discs(s) != 1 {
		t.Fatalf("discontinuities: got %d, want 1", discs(s))
	}
	for _, seg := range s.Segments[n+1:] {
		if seg.Disc || seg.Resumed {
			t.Fatalf("segment %d: disc %v resumed %v", seg.Seq, seg.Disc, seg.Resumed)
		}
	}
	checkDense(t, b, s)
}

func TestEndResumeWithContinuingTimestamps(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	b.End(1, short)
	s := b.Tick()
	if !s.Ended {
		t.Fatal("a one-input channel whose input ended did not end")
	}
	// The same encoder goes on with timestamps that continue: still a
	// reopened presentation with one discontinuity, no gap slots.
	b.Clock.Advance(10 * time.Second)
	s = b.Segments(1, 2)
	if s.Ended || discs(s) != 1 || gaps(s) != 0 || !s.Segments[4].Resumed {
		t.Fatalf("ended %v, %d discontinuities, %d gaps, resumed %v", s.Ended, discs(s), gaps(s), s.Segments[4].Resumed)
	}
	checkContinuous(t, s)
}

func TestEndOfStandbyInputChangesNothing(t *testing.T) {
	b := alignedPair(t, 3)
	b.End(2, short)
	for i := 0; i < 3; i++ {
		s := b.Segment(1)
		if s.Ended || s.ActiveInput != 1 {
			t.Fatalf("standby ended: output ended %v, active %d", s.Ended, s.ActiveInput)
		}
	}
	s := b.Advance()
	for _, seg := range s.Segments {
		if seg.Duration != segTicks || seg.Input != 1 {
			t.Fatalf("segment %d: %d ticks from input %d", seg.Seq, seg.Duration, seg.Input)
		}
	}
	// The active input dies without an end; the ended standby is no
	// failover target and the output does not end (it may come back).
	b.Skip(1, 3)
	if s = b.Tick(); s.Ended || s.ActiveInput != 1 {
		t.Fatalf("after the active input went silent: ended %v, active %d", s.Ended, s.ActiveInput)
	}
}

func TestEndInputWithoutSegment(t *testing.T) {
	b := alignedPair(t, 3)
	ctx := context.Background()
	// Input 1's last playlist listed nothing new: its end comes alone.
	b.Timeline.EndInput(ctx, 1)
	s := b.Timeline.Snapshot()
	if s.ActiveInput != 2 || s.Ended {
		t.Fatalf("after input 1 ended: active %d, ended %v", s.ActiveInput, s.Ended)
	}
	s = b.Segments(2, 2)
	if discs(s) != 0 || gaps(s) != 0 || len(s.Segments) != 5 {
		t.Fatalf("%d segments, %d discontinuities, %d gaps", len(s.Segments), discs(s), gaps(s))
	}
	b.Timeline.EndInput(ctx, 2)
	if s = b.Timeline.Snapshot(); !s.Ended {
		t.Fatal("both inputs ended but the output did not")
	}
}

func TestEndWaitsForOtherInputWithinFailoverWindow(t *testing.T) {
	b := alignedPair(t, 3)
	// Input 2 hiccups: silent for 2 s, less than the failover timeout,
	// while input 1 delivers a segment and ends with the next.
	b.Deliver(1)
	b.End(1, short)
	s := b.Timeline.Snapshot()
	if s.Ended || s.ActiveInput != 2 {
		t.Fatalf("input 2 may still resume: ended %v, active %d", s.Ended, s.ActiveInput)
	}
	// It resumes in time and carries on.
	b.Deliver(2) // the segment it owed, a duplicate
	b.Deliver(2) // the one that replaces input 1's short last segment
	s = b.Segment(2)
	s = b.Advance()
	if got := len(s.Segments); got != 6 {
		t.Fatalf("segments: got %d, want 6", got)
	}
	if s.Ended || gaps(s) != 0 || discs(s) != 0 {
		t.Fatalf("ended %v, %d gaps, %d discontinuities", s.Ended, gaps(s), discs(s))
	}
	checkContinuous(t, s)
}

// failingDeletes fails every Delete and, once armed, every Put of a
// fragment of track 2.
type failingDeletes struct {
	*store.Memory
	armed bool
}

func (f *failingDeletes) Put(ctx context.Context, key string, data []byte) error {
	if f.armed && strings.HasPrefix(key, "media/ch1/1/") {
		return errors.New("disk error")
	}
	return f.Memory.Put(ctx, key, data)
}

func (f *failingDeletes) Delete(context.Context, string) error {
	return errors.New("permission denied")
}

func TestTimelineErrorsAreCounted(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 2)
	fs := &failingDeletes{Memory: b.Store}
	reg := prometheus.NewRegistry()
	b.Reopen(live.Options{Store: fs, Registry: reg})
	b.Declare(1)
	// A segment whose first track cannot be stored: its second track's
	// fragment is an orphan, and deleting it fails too.
	fs.armed = true
	seg := &live.IngestSegment{Input: 1, Rendition: "channel_0", TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{
			{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(2*segTicks, 2*time.Second, 25, 1000000)},
			{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(2*segTicks, 2*time.Second)},
		}}
	if _, err := b.Timeline.Add(context.Background(), seg); err == nil {
		t.Fatal("a failed store write was not reported")
	}
	if got := testutil.Metric(t, reg, "boxcar_timeline_errors_total", map[string]string{"channel": "ch1", "op": "delete"}); got != 1 {
		t.Fatalf("failed deletes of the orphan counted %v times, want 1", got)
	}
	// Retention deletes fail too: reported, and each one counted.
	reg2 := prometheus.NewRegistry()
	b.Reopen(live.Options{Store: fs, Registry: reg2, Retention: func(string) time.Duration { return 0 }})
	fs.armed = false
	if err := b.Manager.Sweep(context.Background()); err == nil {
		t.Fatal("retention with failing deletes reported no error")
	}
	if got := testutil.Metric(t, reg2, "boxcar_timeline_errors_total", map[string]string{"channel": "ch1", "op": "delete"}); got != 3 {
		t.Fatalf("failed retention deletes counted %v times, want 3 (one segment of three tracks)", got)
	}
	if got := len(b.Timeline.Snapshot().Segments); got != 1 {
		t.Fatalf("after retention: %d segments listed, want 1", got)
	}
}

func TestFailedIndexCommitListsNothing(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 2)
	reg := prometheus.NewRegistry()
	b.Reopen(live.Options{Registry: reg})
	b.Declare(1)
	before := len(b.Timeline.Snapshot().Segments)
	b.Manager.Close() // every commit fails from now on
	for _, r := range b.Renditions {
		seg := &live.IngestSegment{Input: 1, Rendition: r.Name, TargetDuration: 2 * time.Second}
		if r.Video {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(2*segTicks, 2*time.Second, 25, r.Bitrate)})
		} else {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(2*segTicks, 2*time.Second)})
		}
		b.Timeline.Add(context.Background(), seg)
	}
	b.Clock.Advance(5 * time.Second)
	b.Manager.Tick(context.Background(), b.Clock.Now())
	if got := len(b.Timeline.Snapshot().Segments); got != before {
		t.Fatalf("%d segments listed after failed commits, want %d", got, before)
	}
	if got := testutil.Metric(t, reg, "boxcar_timeline_errors_total", map[string]string{"channel": "ch1", "op": "commit"}); got < 1 {
		t.Fatalf("failed commits counted %v times, want >= 1", got)
	}
}

// TestEndLateRenditionDoesNotReopen: after the output ended, a rendition's
// copy of the last segment that a playlist without #EXT-X-ENDLIST listed
// (it lagged behind the others) joins that segment; it neither reopens
// the output nor makes a new one, and as the standby input's it is no
// failover target.
func TestEndLateRenditionDoesNotReopen(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	all := b.Renditions
	b.Renditions = all[:2] // the audio rendition lags
	b.End(1, short)
	b.Clock.Advance(2 * time.Second)
	s := b.Tick()
	if !s.Ended || len(s.Segments) != 4 {
		t.Fatalf("ended %v, %d segments; want the output ended after 4", s.Ended, len(s.Segments))
	}
	late := &live.IngestSegment{Input: 1, Rendition: all[2].Name, TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(3*segTicks, short)}}}
	if _, err := b.Timeline.Add(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	s = b.Tick()
	if !s.Ended || len(s.Segments) != 4 || discs(s) != 0 {
		t.Fatalf("after the late rendition: ended %v, %d segments, %d discontinuities; want ended, 4, 0", s.Ended, len(s.Segments), discs(s))
	}
	if got := len(s.Segments[3].Frags); got != 3 {
		t.Errorf("last segment has %d fragments, want 3 (the late rendition joins it)", got)
	}
}

// TestEndLateRenditionOfEndedStandby: a lagging rendition's segment from
// the input the channel just failed over from is not held as standby: the
// ended input is no failover target.
func TestEndLateRenditionOfEndedStandby(t *testing.T) {
	b := alignedPair(t, 3)
	all := b.Renditions
	b.Renditions = all[:2] // the audio rendition of input 1 lags
	b.End(1, short)
	b.Renditions = all
	if s := b.Timeline.Snapshot(); s.ActiveInput != 2 {
		t.Fatalf("active input %d, want 2", s.ActiveInput)
	}
	late := &live.IngestSegment{Input: 1, Rendition: all[2].Name, TargetDuration: 2 * time.Second,
		Tracks: []live.IngestTrack{{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(3*segTicks, short)}}}
	out, err := b.Timeline.Add(context.Background(), late)
	if err != nil {
		t.Fatal(err)
	}
	if out == live.Standby {
		t.Fatalf("the ended input's late segment was held as standby")
	}
	// Input 2 goes silent: the ended input 1 does not take over.
	b.Skip(2, 3)
	if s := b.Tick(); s.ActiveInput != 2 {
		t.Fatalf("active input %d after input 2 went silent, want 2 (input 1 ended)", s.ActiveInput)
	}
}
