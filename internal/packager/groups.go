package packager

import (
	"math"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
)

// Group is one output segment: consecutive timeline segments of one run.
// An endpoint's segmentDurationSeconds picks how many ingest segments make
// one output segment (rounded to the nearest multiple, as MediaPackage
// does), so output boundaries stay on the encoder's aligned keyframes.
type Group struct {
	// Number is the output sequence number (HLS media sequence number,
	// DASH $Number$). It is derived from the timeline's persisted runs,
	// so it is stable across restarts and failovers.
	Number uint64
	// First and Last are the timeline sequence numbers it spans.
	First, Last uint64
	// Start and Duration on the channel timeline.
	Start, Duration media.Ticks
	PDT             time.Time
	// Disc is set when a discontinuity precedes the group; DiscSeq is the
	// timeline's discontinuity count at it.
	Disc    bool
	DiscSeq uint64
	// Resumed is set when the group reopens the output after the channel
	// had ended (live.Segment.Resumed).
	Resumed bool
	// Gap is set when any of its timeline segments is a gap.
	Gap bool
}

// End is the channel time just after the group.
func (g *Group) End() media.Ticks { return g.Start + g.Duration }

// Seconds is the group's duration in seconds.
func (g *Group) Seconds() float64 { return g.Duration.Seconds() }

// perGroup is how many ingest segments of a run make one output segment.
func perGroup(run live.Run, want time.Duration) uint64 {
	if want <= 0 || run.Target <= 0 {
		return 1
	}
	n := math.Round(float64(want) / float64(run.Target))
	if n < 1 {
		return 1
	}
	return uint64(n)
}

// numbering is the output numbering of one run.
type numbering struct {
	first uint64 // first timeline seq of the run
	end   uint64 // first timeline seq after the run (0 = open)
	n     uint64 // timeline segments per group
	base  uint64 // output number of the run's first group
}

// numberings computes every run's numbering for output segments of want.
func numberings(runs []live.Run, want time.Duration) []numbering {
	out := make([]numbering, len(runs))
	var base uint64 = 1
	for i, r := range runs {
		n := perGroup(r, want)
		if i == 0 {
			base = 1 + (r.FirstSeq-1)/n
			if r.FirstSeq == 0 {
				base = 1
			}
		}
		out[i] = numbering{first: r.FirstSeq, n: n, base: base}
		if i+1 < len(runs) {
			out[i].end = runs[i+1].FirstSeq
			length := out[i].end - r.FirstSeq
			base += (length + n - 1) / n
		}
	}
	return out
}

// Groups returns the output segments the snapshot's window holds for an
// output segment duration of want, oldest first. The last group of the
// current run is only included once it is complete, or, shorter, once the
// channel ended.
func Groups(s *live.Snapshot, want time.Duration) []Group {
	if len(s.Segments) == 0 || len(s.Runs) == 0 {
		return nil
	}
	nums := numberings(s.Runs, want)
	var out []Group
	ri := 0
	segs := s.Segments
	for i := 0; i < len(segs); {
		seq := segs[i].Seq
		for ri+1 < len(nums) && nums[ri+1].first <= seq {
			ri++
		}
		nb := nums[ri]
		if seq < nb.first {
			// A segment before the first recorded run: number alone.
			i++
			continue
		}
		k := (seq - nb.first) / nb.n
		gFirst := nb.first + k*nb.n
		gLast := gFirst + nb.n - 1
		if nb.end != 0 && gLast >= nb.end {
			gLast = nb.end - 1
		}
		if gFirst < segs[0].Seq {
			// The group's head left the window: skip to the next group.
			i += int(gLast - seq + 1)
			continue
		}
		lastIdx := i + int(gLast-seq)
		if lastIdx >= len(segs) {
			closed := nb.end != 0 && segs[len(segs)-1].Seq >= gLast
			if !closed && !s.Ended {
				break // incomplete group at the live edge
			}
			// The run ended, or the channel did: nothing will complete
			// the group, so it is shorter.
			lastIdx = len(segs) - 1
		}
		g := Group{
			Number:  nb.base + k,
			First:   gFirst,
			Last:    segs[lastIdx].Seq,
			Start:   segs[i].Start,
			PDT:     segs[i].PDT,
			Disc:    segs[i].Disc,
			DiscSeq: segs[i].DiscSeq,
			Resumed: segs[i].Resumed,
		}
		g.Duration = segs[lastIdx].End() - g.Start
		for j := i; j <= lastIdx; j++ {
			if segs[j].Gap {
				g.Gap = true
			}
		}
		out = append(out, g)
		i = lastIdx + 1
	}
	return out
}

// Window returns the groups a live manifest lists: those ending within
// window of the live point, where the live point is the newest group's end
// moved back by delay. A zero window lists everything.
func Window(groups []Group, window, delay time.Duration) []Group {
	if len(groups) == 0 {
		return nil
	}
	live := groups[len(groups)-1].End() - media.TicksOf(delay)
	end := len(groups)
	for end > 0 && groups[end-1].End() > live {
		end--
	}
	groups = groups[:end]
	if window <= 0 || len(groups) == 0 {
		return groups
	}
	from := live - media.TicksOf(window)
	start := 0
	for start < len(groups)-1 && groups[start].Start < from {
		start++
	}
	return groups[start:]
}

// Find returns the group with output number n among groups.
func Find(groups []Group, n uint64) (*Group, bool) {
	lo, hi := 0, len(groups)
	for lo < hi {
		m := (lo + hi) / 2
		if groups[m].Number < n {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(groups) && groups[lo].Number == n {
		return &groups[lo], true
	}
	return nil, false
}

// Segments returns the timeline segments of g from the snapshot.
func Segments(s *live.Snapshot, g *Group) []live.Segment {
	first := s.Segment(g.First)
	last := s.Segment(g.Last)
	if first == nil || last == nil {
		return nil
	}
	i := int(g.First - s.Segments[0].Seq)
	j := int(g.Last - s.Segments[0].Seq)
	return s.Segments[i : j+1]
}
