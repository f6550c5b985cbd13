package packager

import (
	"context"
	"testing"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
)

// TestGroupsEnded: the last, incomplete group of the current run is left
// out while the channel is live and listed, shorter, once it ended.
func TestGroupsEnded(t *testing.T) {
	b := livetest.New(t, "ch1")
	s := b.Segments(1, 10)
	if gs := Groups(s, 6*time.Second); len(gs) != 3 || gs[2].Last != 9 {
		t.Fatalf("live: %d groups, want 3 ending at segment 9", len(gs))
	}
	for _, r := range b.Renditions {
		seg := &live.IngestSegment{Input: 1, Rendition: r.Name, Name: r.Name + "_end.ts",
			Duration: 2 * time.Second, TargetDuration: 2 * time.Second, Ended: true}
		if r.Video {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(20*90000, 2*time.Second, 25, r.Bitrate)})
		}
		if r.Audio {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(20*90000, 2*time.Second)})
		}
		if _, err := b.Timeline.Add(context.Background(), seg); err != nil {
			t.Fatal(err)
		}
	}
	b.Clock.Advance(2 * time.Second)
	b.Manager.Tick(context.Background(), b.Clock.Now())
	s = b.Timeline.Snapshot()
	if !s.Ended {
		t.Fatal("snapshot not ended")
	}
	gs := Groups(s, 6*time.Second)
	if len(gs) != 4 {
		t.Fatalf("ended: %d groups, want 4", len(gs))
	}
	if g := gs[3]; g.Number != 4 || g.First != 10 || g.Last != 11 || g.Duration != 4*90000 {
		t.Errorf("ended: last group %+v, want number 4, segments 10-11, 4 s", g)
	}
}
