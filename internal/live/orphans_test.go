package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/testutil"
)

// TestUnlistedMediaRemoved: a process killed between writing a segment's
// fragments and committing the index leaves objects nothing lists (of a
// listed channel, and of a channel whose first segment never reached the
// index). After a restart they are removed once they stayed unlisted for
// the margin; what is listed stays, and a leftover key that the resumed
// channel wrote again (sequence numbers past the index are reused) is
// kept.
func TestUnlistedMediaRemoved(t *testing.T) {
	b := livetest.New(t, "ch1")
	b.Declare(1)
	b.Segments(1, 3)
	ctx := context.Background()
	reused := "media/ch1/1/4.m4s" // segment 4's video, never indexed
	orphans := []string{
		"media/ch1/9/1.m4s", // a track that never reached the index
		"media/ch1/init/9_0.mp4",
		"media/ghost/1/1.m4s", // a channel killed before its first commit
		"media/ghost/init/1_0.mp4",
	}
	for _, k := range append([]string{reused}, orphans...) {
		if err := b.Store.Put(ctx, k, []byte("left by a crash")); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	b.Reopen(live.Options{Registry: reg})
	exists := func(k string) bool {
		_, err := b.Store.Get(ctx, k)
		return err == nil
	}
	// Within the margin nothing is touched.
	if err := b.Manager.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range orphans {
		if !exists(k) {
			t.Fatalf("%s removed before the margin passed", k)
		}
	}
	// The encoder resumes: segment 4 is written under the leftover key.
	b.Declare(1)
	b.Segments(1, 1)
	b.Clock.Advance(3 * time.Minute) // past the default margin (2 min)
	if err := b.Manager.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range orphans {
		if exists(k) {
			t.Errorf("%s: unlisted, still in the store after the margin", k)
		}
	}
	s := b.Timeline.Snapshot()
	if got := s.Segments[len(s.Segments)-1]; got.Seq != 4 || got.Frag(1) == nil || got.Frag(1).StoreKey != reused {
		t.Fatalf("segment 4 is not listed under %s: %+v", reused, got)
	}
	checkDense(t, b, s)
	for _, tr := range s.Tracks {
		for _, in := range tr.Inits {
			if !exists(in.StoreKey) {
				t.Errorf("listed init %s removed", in.StoreKey)
			}
		}
	}
	if got, want := testutil.Metric(t, reg, "boxcar_timeline_orphans_removed_total", nil), float64(len(orphans)); got != want {
		t.Errorf("orphans removed metric: got %v, want %v", got, want)
	}
	// Forgotten once handled: later sweeps remove nothing more.
	b.Clock.Advance(3 * time.Minute)
	b.Manager.Sweep(ctx)
	if got := testutil.Metric(t, reg, "boxcar_timeline_orphans_removed_total", nil); got != float64(len(orphans)) {
		t.Errorf("orphans removed metric after another sweep: got %v", got)
	}
	if !exists(reused) {
		t.Errorf("%s (listed) removed by a later sweep", reused)
	}
}
