package packager

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/live"
	"boxcar/internal/media"
)

// ticks is one second on the channel timeline (90 kHz).
const ticks = 90000

// epoch is the program date-time of the timeline's first segment.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// tl describes a synthetic timeline: runs (FirstSeq and ingest target
// each), segments from the first run's FirstSeq to last, each as long as
// its run's target, a discontinuity at every run after the first.
type tl struct {
	runs []live.Run
	last uint64
	// from trims the window: segments before it have left (the runs
	// stay, as in a live.Snapshot).
	from uint64
	// gaps are the seqs published as gaps.
	gaps  []uint64
	ended bool
}

func run(first uint64, target time.Duration) live.Run {
	return live.Run{FirstSeq: first, Target: target}
}

// snapshot builds the live.Snapshot tl describes.
func (d tl) snapshot() *live.Snapshot {
	s := &live.Snapshot{Channel: "ch1", Runs: d.runs, Ended: d.ended}
	start := media.Ticks(10 * ticks)
	var discSeq uint64
	ri := 0
	for seq := d.runs[0].FirstSeq; seq <= d.last; seq++ {
		disc := false
		if ri+1 < len(d.runs) && d.runs[ri+1].FirstSeq == seq {
			ri++
			disc = true
			discSeq++
		}
		dur := media.Ticks(d.runs[ri].Target.Seconds() * ticks)
		seg := live.Segment{Seq: seq, Start: start, Duration: dur, Disc: disc, DiscSeq: discSeq, Input: 1,
			PDT: epoch.Add(time.Duration(start-10*ticks) * time.Second / ticks)}
		for _, g := range d.gaps {
			if g == seq {
				seg.Gap = true
			}
		}
		start += dur
		if seq >= d.from {
			s.Segments = append(s.Segments, seg)
		}
	}
	return s
}

// brief writes groups as "number:first-last", with "~" for a
// discontinuity before the group and "!" for a gap in it.
func brief(gs []Group) string {
	var parts []string
	for _, g := range gs {
		p := fmt.Sprintf("%d:%d-%d", g.Number, g.First, g.Last)
		if g.Disc {
			p += "~"
		}
		if g.Gap {
			p += "!"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// checkGroups checks what every group must satisfy whatever the case: its
// span is in the window and inside one run, its times and flags are its
// segments', and numbers follow one another.
func checkGroups(t *testing.T, s *live.Snapshot, gs []Group) {
	t.Helper()
	for i, g := range gs {
		first, last := s.Segment(g.First), s.Segment(g.Last)
		if first == nil || last == nil || g.Last < g.First {
			t.Errorf("group %d spans %d-%d, outside the window", g.Number, g.First, g.Last)
			continue
		}
		if s.RunOf(g.First) != s.RunOf(g.Last) {
			t.Errorf("group %d spans %d-%d across runs", g.Number, g.First, g.Last)
		}
		gap := false
		for _, seg := range Segments(s, &g) {
			gap = gap || seg.Gap
		}
		if g.Start != first.Start || g.Duration != last.End()-first.Start || g.End() != last.End() ||
			!g.PDT.Equal(first.PDT) || g.Disc != first.Disc || g.DiscSeq != first.DiscSeq || g.Gap != gap {
			t.Errorf("group %d (%d-%d): start %d, duration %d, pdt %v, disc %v/%d, gap %v; its segments say %d, %d, %v, %v/%d, %v",
				g.Number, g.First, g.Last, g.Start, g.Duration, g.PDT, g.Disc, g.DiscSeq, g.Gap,
				first.Start, last.End()-first.Start, first.PDT, first.Disc, first.DiscSeq, gap)
		}
		if i > 0 && (g.Number != gs[i-1].Number+1 || g.First != gs[i-1].Last+1) {
			t.Errorf("group %d (%d-%d) follows group %d (%d-%d)", g.Number, g.First, g.Last,
				gs[i-1].Number, gs[i-1].First, gs[i-1].Last)
		}
	}
}

func TestPerGroup(t *testing.T) {
	tests := []struct {
		target, want time.Duration
		n            uint64
	}{
		{2 * time.Second, 6 * time.Second, 3},
		{2 * time.Second, 2 * time.Second, 1},
		{6 * time.Second, 6 * time.Second, 1},
		{1 * time.Second, 30 * time.Second, 30},
		// Not a multiple: the nearest one, halves away from zero.
		{2 * time.Second, 5 * time.Second, 3},
		{2 * time.Second, 3 * time.Second, 2},
		{2 * time.Second, 4900 * time.Millisecond, 2},
		{4 * time.Second, 10 * time.Second, 3},
		{2002 * time.Millisecond, 6 * time.Second, 3},
		{3 * time.Second, 10 * time.Second, 3},
		{3 * time.Second, 11 * time.Second, 4},
		// Never less than one ingest segment.
		{6 * time.Second, 2 * time.Second, 1},
		{2 * time.Second, 1 * time.Second, 1},
		{2 * time.Second, 900 * time.Millisecond, 1},
		// Unknown target or no wish: one each.
		{0, 6 * time.Second, 1},
		{2 * time.Second, 0, 1},
		{-time.Second, 6 * time.Second, 1},
	}
	for _, tt := range tests {
		if got := perGroup(run(1, tt.target), tt.want); got != tt.n {
			t.Errorf("perGroup(target %v, want %v): got %d, want %d", tt.target, tt.want, got, tt.n)
		}
	}
}

func TestNumberings(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name string
		runs []live.Run
		want time.Duration
		out  []numbering
	}{
		{"one run", []live.Run{run(1, 2*s)}, 6 * s,
			[]numbering{{first: 1, n: 3, base: 1}}},
		{"first seq 0", []live.Run{run(0, 2*s)}, 6 * s,
			[]numbering{{first: 0, n: 3, base: 1}}},
		// A timeline whose first run starts late numbers as if groups
		// had run from seq 1: base 1 + (FirstSeq-1)/n.
		{"first seq 10", []live.Run{run(10, 2*s)}, 6 * s,
			[]numbering{{first: 10, n: 3, base: 4}}},
		{"first seq 11", []live.Run{run(11, 2*s)}, 6 * s,
			[]numbering{{first: 11, n: 3, base: 4}}},
		{"first seq 13", []live.Run{run(13, 2*s)}, 6 * s,
			[]numbering{{first: 13, n: 3, base: 5}}},
		// A run of 7 segments in threes makes 3 groups (the last short):
		// the next run's groups number from 4.
		{"two runs", []live.Run{run(1, 2*s), run(8, 2*s)}, 6 * s,
			[]numbering{{first: 1, end: 8, n: 3, base: 1}, {first: 8, n: 3, base: 4}}},
		{"run of exact groups", []live.Run{run(1, 2*s), run(7, 2*s)}, 6 * s,
			[]numbering{{first: 1, end: 7, n: 3, base: 1}, {first: 7, n: 3, base: 3}}},
		// Each run groups by its own target.
		{"targets differ", []live.Run{run(5, 2*s), run(12, 6*s), run(15, 1*s)}, 6 * s,
			[]numbering{{first: 5, end: 12, n: 3, base: 2}, {first: 12, end: 15, n: 1, base: 5}, {first: 15, n: 6, base: 8}}},
		{"one segment runs", []live.Run{run(1, 2*s), run(2, 2*s), run(3, 2*s)}, 6 * s,
			[]numbering{{first: 1, end: 2, n: 3, base: 1}, {first: 2, end: 3, n: 3, base: 2}, {first: 3, n: 3, base: 3}}},
		{"no runs", nil, 6 * s, []numbering{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := numberings(tt.runs, tt.want)
			if diff := cmp.Diff(tt.out, got, cmp.AllowUnexported(numbering{})); diff != "" {
				t.Errorf("numberings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGroupsTable(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name string
		tl   tl
		want time.Duration
		out  string
	}{
		{"threes", tl{runs: []live.Run{run(1, 2*s)}, last: 9}, 6 * s,
			"1:1-3 2:4-6 3:7-9"},
		// The incomplete group at the live edge waits for its segments.
		{"live edge incomplete", tl{runs: []live.Run{run(1, 2*s)}, last: 11}, 6 * s,
			"1:1-3 2:4-6 3:7-9"},
		// Once the channel ended nothing completes it: listed, short.
		{"ended short last group", tl{runs: []live.Run{run(1, 2*s)}, last: 11, ended: true}, 6 * s,
			"1:1-3 2:4-6 3:7-9 4:10-11"},
		{"ended on a boundary", tl{runs: []live.Run{run(1, 2*s)}, last: 9, ended: true}, 6 * s,
			"1:1-3 2:4-6 3:7-9"},
		{"one each", tl{runs: []live.Run{run(1, 2*s)}, last: 4}, 2 * s,
			"1:1-1 2:2-2 3:3-3 4:4-4"},
		{"no wish", tl{runs: []live.Run{run(1, 2*s)}, last: 3}, 0,
			"1:1-1 2:2-2 3:3-3"},
		// 5 s of 2 s segments rounds to threes, 3 s to twos.
		{"rounded up", tl{runs: []live.Run{run(1, 2*s)}, last: 6}, 5 * s,
			"1:1-3 2:4-6"},
		{"rounded to twos", tl{runs: []live.Run{run(1, 2*s)}, last: 6}, 3 * s,
			"1:1-2 2:3-4 3:5-6"},
		{"want below target", tl{runs: []live.Run{run(1, 6*s)}, last: 3}, 2 * s,
			"1:1-1 2:2-2 3:3-3"},
		// A timeline that starts at seq 10: groups align on FirstSeq,
		// numbers continue from 1 + 9/3.
		{"first seq 10", tl{runs: []live.Run{run(10, 2*s)}, last: 18}, 6 * s,
			"4:10-12 5:13-15 6:16-18"},
		{"first seq 11", tl{runs: []live.Run{run(11, 2*s)}, last: 16}, 6 * s,
			"4:11-13 5:14-16"},
		// A run that ends mid-group closes it short, whatever the
		// channel does; the next run starts a group at its first seq.
		{"run ends mid group", tl{runs: []live.Run{run(1, 2*s), run(8, 2*s)}, last: 13}, 6 * s,
			"1:1-3 2:4-6 3:7-7 4:8-10~ 5:11-13"},
		{"targets differ", tl{runs: []live.Run{run(1, 2*s), run(5, 6*s), run(7, 1*s)}, last: 18}, 6 * s,
			"1:1-3 2:4-4 3:5-5~ 4:6-6 5:7-12~ 6:13-18"},
		{"one segment run", tl{runs: []live.Run{run(1, 2*s), run(4, 2*s), run(5, 2*s)}, last: 7}, 6 * s,
			"1:1-3 2:4-4~ 3:5-7~"},
		// Window trimming: a group whose head left the window is not
		// listed; the ones after keep their numbers.
		{"window cuts a head", tl{runs: []live.Run{run(1, 2*s)}, last: 12, from: 5}, 6 * s,
			"3:7-9 4:10-12"},
		{"window on a boundary", tl{runs: []live.Run{run(1, 2*s)}, last: 12, from: 7}, 6 * s,
			"3:7-9 4:10-12"},
		{"window cuts the last head", tl{runs: []live.Run{run(1, 2*s)}, last: 9, from: 8}, 6 * s,
			""},
		{"window cuts a head, ended", tl{runs: []live.Run{run(1, 2*s)}, last: 11, from: 8, ended: true}, 6 * s,
			"4:10-11"},
		{"window cuts a closed run", tl{runs: []live.Run{run(1, 2*s), run(8, 2*s)}, last: 13, from: 6}, 6 * s,
			"3:7-7 4:8-10~ 5:11-13"},
		{"window starts in a later run", tl{runs: []live.Run{run(1, 2*s), run(8, 2*s)}, last: 16, from: 9}, 6 * s,
			"5:11-13 6:14-16"},
		// A gap inside a group marks the group, and moves nothing:
		// in its middle, at its end, at its start.
		{"gaps", tl{runs: []live.Run{run(1, 2*s)}, last: 12, gaps: []uint64{2, 6, 7}}, 6 * s,
			"1:1-3! 2:4-6! 3:7-9! 4:10-12"},
		{"gap at the edge", tl{runs: []live.Run{run(1, 2*s)}, last: 7, gaps: []uint64{7}}, 6 * s,
			"1:1-3 2:4-6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := tt.tl.snapshot()
			gs := Groups(snap, tt.want)
			if got := brief(gs); got != tt.out {
				t.Errorf("Groups(%v):\n got %s\nwant %s", tt.want, got, tt.out)
			}
			checkGroups(t, snap, gs)
		})
	}
}

func TestGroupsEmpty(t *testing.T) {
	if gs := Groups(&live.Snapshot{}, 6*time.Second); gs != nil {
		t.Errorf("empty snapshot: %s", brief(gs))
	}
	s := tl{runs: []live.Run{run(1, 2*time.Second)}, last: 6}.snapshot()
	s.Runs = nil
	if gs := Groups(s, 6*time.Second); gs != nil {
		t.Errorf("segments without runs: %s", brief(gs))
	}
}

// TestNumberingStableAsWindowSlides: snapshot after snapshot of a live
// channel (segments arriving, old ones leaving the window, a new run, the
// end), a group is always the same: the same First has the same Number and
// Last, and numbers never go backwards (DESIGN.md §1.4).
func TestNumberingStableAsWindowSlides(t *testing.T) {
	runs := []live.Run{run(3, 2*time.Second), run(21, 2*time.Second), run(30, 4*time.Second)}
	for _, want := range []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second, 5 * time.Second} {
		t.Run(want.String(), func(t *testing.T) {
			seen := map[uint64]Group{} // by First
			var newest uint64
			for last := uint64(3); last <= 45; last++ {
				for _, ended := range []bool{false, true} {
					if ended && last != 45 {
						continue
					}
					d := tl{runs: runs, last: last, ended: ended}
					// A window of 12 segments.
					if last > 12 {
						d.from = last - 11
					}
					// Runs not begun yet are not in the snapshot.
					for len(d.runs) > 0 && d.runs[len(d.runs)-1].FirstSeq > last {
						d.runs = d.runs[:len(d.runs)-1]
					}
					snap := d.snapshot()
					gs := Groups(snap, want)
					checkGroups(t, snap, gs)
					for _, g := range gs {
						if old, ok := seen[g.First]; ok && (old.Number != g.Number || old.Last != g.Last) {
							t.Errorf("window %d-%d: group at %d is %d:%d-%d, was %d:%d-%d",
								d.from, last, g.First, g.Number, g.First, g.Last, old.Number, old.First, old.Last)
						}
						seen[g.First] = g
					}
					if len(gs) > 0 {
						n := gs[len(gs)-1].Number
						if n < newest {
							t.Errorf("window %d-%d: newest group %d after %d", d.from, last, n, newest)
						}
						newest = n
					}
				}
			}
			if len(seen) < 5 {
				t.Errorf("only %d groups seen", len(seen))
			}
		})
	}
}

func TestWindow(t *testing.T) {
	// Ten 6 s groups numbered 1-10 from 10 s: group n spans
	// [10+6(n-1), 10+6n) s.
	s := tl{runs: []live.Run{run(1, 2*time.Second)}, last: 30}.snapshot()
	all := Groups(s, 6*time.Second)
	if len(all) != 10 {
		t.Fatalf("%d groups, want 10", len(all))
	}
	tests := []struct {
		name          string
		window, delay time.Duration
		want          string // numbers
	}{
		{"everything", 0, 0, "1-10"},
		{"30 s", 30 * time.Second, 0, "6-10"},
		// The first group starting at or after the live point minus the
		// window: 29 s back from 70 s is 41 s, group 7 starts at 46 s.
		{"29 s", 29 * time.Second, 0, "7-10"},
		{"31 s", 31 * time.Second, 0, "6-10"},
		{"shorter than a group", time.Second, 0, "10-10"},
		{"longer than all", time.Hour, 0, "1-10"},
		// Delay moves the live point back: groups ending after it go.
		{"delay 6 s", 0, 6 * time.Second, "1-9"},
		{"delay 7 s", 0, 7 * time.Second, "1-8"},
		{"delay 12 s, window 18 s", 18 * time.Second, 12 * time.Second, "6-8"},
		{"delay past everything", 0, time.Hour, ""},
		{"delay past everything, window", 30 * time.Second, time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Window(all, tt.window, tt.delay)
			r := ""
			if len(got) > 0 {
				r = fmt.Sprintf("%d-%d", got[0].Number, got[len(got)-1].Number)
			}
			if r != tt.want {
				t.Errorf("Window(%v, %v): got %q, want %q", tt.window, tt.delay, r, tt.want)
			}
		})
	}
	if got := Window(nil, time.Minute, 0); got != nil {
		t.Errorf("Window(nil): %v", got)
	}
}

func TestFind(t *testing.T) {
	s := tl{runs: []live.Run{run(1, 2*time.Second), run(8, 2*time.Second)}, last: 19, from: 4}.snapshot()
	gs := Groups(s, 6*time.Second) // 2:4-6 3:7-7 4:8-10 5:11-13 6:14-16 7:17-19
	if got := brief(gs); got != "2:4-6 3:7-7 4:8-10~ 5:11-13 6:14-16 7:17-19" {
		t.Fatalf("groups: %s", got)
	}
	for n := uint64(0); n <= 9; n++ {
		g, ok := Find(gs, n)
		want := n >= 2 && n <= 7
		if ok != want {
			t.Errorf("Find(%d): found %v, want %v", n, ok, want)
			continue
		}
		if ok && (g.Number != n || g != &gs[n-2]) {
			t.Errorf("Find(%d): got group %d:%d-%d", n, g.Number, g.First, g.Last)
		}
	}
	if _, ok := Find(nil, 1); ok {
		t.Error("Find in no groups: found")
	}
}

func TestSegmentsOfGroup(t *testing.T) {
	s := tl{runs: []live.Run{run(1, 2*time.Second)}, last: 9, from: 3}.snapshot()
	gs := Groups(s, 6*time.Second)
	if got := brief(gs); got != "2:4-6 3:7-9" {
		t.Fatalf("groups: %s", got)
	}
	segs := Segments(s, &gs[0])
	if len(segs) != 3 || segs[0].Seq != 4 || segs[2].Seq != 6 {
		t.Errorf("Segments(2:4-6): %d segments from %d", len(segs), segs[0].Seq)
	}
	// A group whose segments left the window has none.
	if segs := Segments(s, &Group{Number: 1, First: 1, Last: 3}); segs != nil {
		t.Errorf("Segments of a group out of the window: %d", len(segs))
	}
}
