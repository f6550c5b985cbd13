package dash

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// small is a light ladder for long scenarios.
var small = []livetest.Rendition{
	{Name: "v_hi", Video: true, Bitrate: 200_000},
	{Name: "v_lo", Video: true, Bitrate: 100_000},
	{Name: "a", Audio: true},
}

// withRetention moves the fixture's channel to a Manager that keeps only
// keep of media, so Periods outlive their first segment.
func withRetention(t *testing.T, f *fixture, keep time.Duration) *live.Manager {
	t.Helper()
	m, err := live.Open(context.Background(), live.Options{
		DataDir: t.TempDir(), Store: f.b.Store, Clock: f.b.Clock,
		Retention: func(string) time.Duration { return keep },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	f.b.Manager, f.b.Timeline = m, m.Timeline("ch1")
	f.b.Declare(1)
	return m
}

// TestPeriodOutlivesRetention: a Period keeps its id, start and offsets
// after its first segment was trimmed from the timeline; a restarted
// packager re-anchors it on the oldest retained group with the same
// wall-clock mapping.
func TestPeriodOutlivesRetention(t *testing.T) {
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t, small...)
			m := withRetention(t, f, 30*time.Second)
			f.ep.DASHPackage.SegmentTemplateFormat = format
			f.ep.DASHPackage.ManifestWindowSeconds = 20
			f.b.Segments(1, 5)
			first, _ := f.manifest()
			for i := 0; i < 20; i++ {
				f.b.Segments(1, 2)
				if err := m.Sweep(context.Background()); err != nil {
					t.Fatal(err)
				}
				f.manifest() // checkUpdate: Period p1 unchanged
			}
			snap := f.b.Timeline.Snapshot()
			if snap.Segments[0].Seq < 20 {
				t.Fatalf("retention did not trim: oldest segment %d", snap.Segments[0].Seq)
			}
			last, _ := f.manifest()
			if got := strings.Join(periodsOf(last), ","); got != "p1" {
				t.Fatalf("Periods: got %s, want p1", got)
			}
			if *last.Periods[0].Start != *first.Periods[0].Start {
				t.Errorf("Period@start changed once its first segment was trimmed")
			}

			// A new process forgets the anchor.
			before := f.prevListed
			f.p, f.prev, f.prevListed = New(), nil, nil
			again, _ := f.manifest()
			if got := again.Periods[0].Id; got == "p1" {
				t.Errorf("restarted packager still names the Period p1; it cannot know its start")
			}
			same := 0
			for k, l := range f.prevListed {
				old, ok := before[k]
				if !ok {
					continue
				}
				same++
				if !old.wallStart().Equal(l.wallStart()) {
					t.Errorf("%s: wall-clock start %s after the re-anchor, was %s", k, l.wallStart(), old.wallStart())
				}
			}
			if same == 0 {
				t.Errorf("no segment listed by both MPDs")
			}
		})
	}
}

// TestLongScenario runs every format and layout through a channel's life:
// window sliding, an encoder outage (gap), a lost audio upload, an encoder
// restart, a 6 s output over 2 s ingest, checking every MPD against the
// previous one and every listed segment.
func TestLongScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("long scenario")
	}
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		for _, layout := range []string{"FULL", "COMPACT"} {
			for _, segSeconds := range []int{2, 6} {
				t.Run(format+"_"+layout+"_"+string(rune('0'+segSeconds)), func(t *testing.T) {
					f := newFixture(t, small...)
					d := f.ep.DASHPackage
					d.SegmentTemplateFormat, d.ManifestLayout, d.SegmentDurationSeconds = format, layout, segSeconds
					d.ManifestWindowSeconds = 30
					f.ep.TimeDelaySeconds = 4
					run := func(steps ...func()) {
						for _, s := range steps {
							s()
							f.manifest()
						}
					}
					seg := func() { f.b.Segment(1) }
					f.b.Segments(1, 6) // past the time delay and one 6 s group
					for i := 0; i < 6; i++ {
						run(seg)
					}
					run(func() { f.b.Skip(1, 3) })
					for i := 0; i < 8; i++ {
						run(seg)
					}
					run(func() { withoutAudio(f.b) })
					for i := 0; i < 6; i++ {
						run(seg)
					}
					run(func() { f.b.Restart(1, 12_345_678) })
					for i := 0; i < 25; i++ {
						run(seg)
					}
				})
			}
		}
	}
}

// TestPeriodStartsMemo drives the Period memo directly: it carries
// anchors past trimming, ignores snapshots served late, and starts over
// when it missed groups or the channel was re-created.
func TestPeriodStartsMemo(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(from, to uint64, pdt0 time.Time) []packager.Group {
		var gs []packager.Group
		for n := from; n <= to; n++ {
			gs = append(gs, packager.Group{Number: n, Start: media.Ticks(n) * 180000, Duration: 180000,
				PDT: pdt0.Add(time.Duration(n) * 2 * time.Second)})
		}
		return gs
	}
	disc := map[uint64]bool{5: true, 40: true}
	var c periodCache
	calls := 0
	at := t0
	starts := func(gs []packager.Group, updated time.Time) string {
		s := c.periodStarts("ep", "ch|2s|1", updated, 0, at, gs, func(k int) bool {
			calls++
			return disc[gs[k].Number]
		})
		var ids []string
		for _, a := range s {
			ids = append(ids, strconv.FormatUint(a.number, 10)+"@"+a.pdt.Format("15:04:05"))
		}
		return strings.Join(ids, ",")
	}
	steps := []struct {
		name    string
		groups  []packager.Group
		updated time.Time
		want    string
	}{
		{"first", mk(1, 10, t0), t0.Add(1), "1@00:00:02,5@00:00:10"},
		{"trimmed past the Period start", mk(8, 20, t0), t0.Add(2), "5@00:00:10"},
		{"further", mk(12, 30, t0), t0.Add(3), "5@00:00:10"},
		{"an older snapshot served late", mk(1, 10, t0), t0.Add(1), "1@00:00:02,5@00:00:10"},
		{"still remembered", mk(25, 45, t0), t0.Add(4), "5@00:00:10,40@00:01:20"},
		{"missed groups: re-anchor on the oldest", mk(100, 120, t0), t0.Add(5), "100@00:03:20"},
		{"re-created channel, overlapping numbers", mk(105, 130, t0.Add(2*time.Hour)), t0.Add(6), "105@02:03:30"},
		{"channel re-created", mk(1, 110, t0.Add(time.Hour)), t0.Add(7), "1@01:00:02,5@01:00:10,40@01:01:20"},
	}
	for _, st := range steps {
		if got := starts(st.groups, st.updated); got != st.want {
			t.Errorf("%s: got %s, want %s", st.name, got, st.want)
		}
	}
	// A repeated request for the same snapshot examines nothing new.
	before := calls
	starts(mk(1, 110, t0.Add(time.Hour)), t0.Add(7))
	if calls != before {
		t.Errorf("same snapshot again: begins called %d times, want 0", calls-before)
	}
}
