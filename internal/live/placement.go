package live

import (
	"math"
	"sort"
	"time"

	"boxcar/internal/media"
)

// Placement: mapping an input's timestamps to channel time and finding or
// creating the slot a segment fills, with gap slots and program date-time.

// nominal is the expected segment duration in 90 kHz.
func (t *Timeline) nominal(seg *IngestSegment, inDur int64) int64 {
	if d := t.st.TargetDuration; d > 0 {
		return int64(d.Seconds() * media.VideoTimescale)
	}
	if inDur > 0 {
		return inDur
	}
	return 2 * media.VideoTimescale
}

// edge is the channel time just after the newest slot, published or not.
func (t *Timeline) edge() int64 {
	if n := len(t.pending); n > 0 {
		return t.pending[n-1].start + t.pending[n-1].dur
	}
	if n := len(t.segs); n > 0 {
		return t.segs[n-1].End()
	}
	return 0
}

// empty reports whether the timeline holds no slot at all.
func (t *Timeline) empty() bool { return len(t.pending) == 0 && len(t.segs) == 0 }

// windowStart is the channel time of the oldest slot.
func (t *Timeline) windowStart() int64 {
	if len(t.segs) > 0 {
		return t.segs[0].Start
	}
	if len(t.pending) > 0 {
		return t.pending[0].start
	}
	return 0
}

// restartJump is how many nominal segment durations an input's timestamps
// may go back before it counts as restarted.
const restartJump = 3

// maxForwardJump is how far past the edge a segment may start and still
// count as the same timestamp sequence (the encoder skipped segments);
// beyond it the input is treated as restarted.
const maxForwardJump = 60 * media.VideoTimescale

// plausible reports whether channel time c continues the timeline.
func (t *Timeline) plausible(c, tol int64) bool {
	if t.empty() {
		return false
	}
	return c >= t.windowStart()-tol && c <= t.edge()+maxForwardJump
}

// mapTime maps the segment's input start to channel time, updating the
// input's offset; disc reports a new discontinuity.
func (t *Timeline) mapTime(seg *IngestSegment, inStart int64) (c int64, disc bool, ok bool) {
	tol := t.nominal(seg, 0) / 2
	in := t.st.Inputs[seg.Input]
	defer func() { t.st.Inputs[seg.Input] = in }()
	// Timestamps that land in the window continue the timeline (a segment
	// matching a stored one is a duplicate). An encoder that restarts is
	// told apart by ingest, which sees its media sequence numbers restart
	// and flags a discontinuity, or by its timestamps going back by more
	// than a few segments (a retransmission or a lagging rendition goes
	// back by one or two at most).
	restarted := in.Mapped && inStart < in.LastEnd-restartJump*2*tol
	// Another rendition of the input flags the discontinuity the input
	// was just remapped for: same start, and the input has not moved on.
	sameDisc := in.Remapped && abs(inStart-in.RemapStart) <= tol && in.LastEnd-in.RemapStart <= 4*tol
	if in.Mapped && !restarted && (!seg.Discontinuity || sameDisc) {
		if c := inStart + in.Offset; t.plausible(c, tol) {
			return c, false, true
		}
	}
	if !in.Mapped && !seg.Discontinuity && !restarted {
		for other, os := range t.st.Inputs {
			if other == seg.Input || !os.Mapped {
				continue
			}
			if c := inStart + os.Offset; t.plausible(c, tol) {
				in.Offset, in.Mapped = os.Offset, true
				return c, false, true
			}
		}
	}
	if t.empty() {
		// The channel's first segment: channel time is its input time.
		in.Offset, in.Mapped = 0, true
		return inStart, false, true
	}
	// A restart or jump: continue at the edge after a discontinuity.
	edge := t.edge()
	in.Offset, in.Mapped, in.RemapStart, in.Remapped = edge-inStart, true, inStart, true
	return edge, true, true
}

// placeSlot finds or creates the slot for channel time c. It returns nil
// and an outcome when the segment is not needed.
func (t *Timeline) placeSlot(seg *IngestSegment, c, dur int64, disc bool, now time.Time) (*slot, Outcome) {
	nominal := t.nominal(seg, dur)
	tol := nominal / 2
	if !disc {
		for _, s := range t.pending {
			if abs(s.start-c) <= tol {
				if s.gap {
					s.gap = false
					s.start, s.dur = c, dur
					s.input = seg.Input
					s.created = now
				}
				return s, 0
			}
		}
		i := sort.Search(len(t.segs), func(i int) bool { return t.segs[i].Start >= c-tol })
		if i < len(t.segs) && abs(t.segs[i].Start-c) <= tol {
			if i == len(t.segs)-1 && !t.segs[i].Gap {
				// The live edge may still take a rendition that came back
				// just after the others published it.
				last := &t.segs[i]
				return &slot{seq: last.Seq, start: last.Start, dur: last.Duration, input: last.Input,
					frags: last.Frags, amend: true, hasVideo: true}, 0
			}
			return nil, Duplicate
		}
		if c < t.edge()-tol {
			return nil, Late
		}
	}
	edge := t.edge()
	if !disc && !t.empty() && c-edge > tol {
		// Nothing arrived between the edge and c: gap slots keep the
		// timeline (and its numbering) continuous.
		n := int64(math.Round(float64(c-edge) / float64(nominal)))
		if n < 1 {
			n = 1
		}
		step := (c - edge) / n
		for k := int64(0); k < n; k++ {
			d := step
			if k == n-1 {
				d = c - edge - step*(n-1)
			}
			g := t.newSlot(edge+step*k, d, false, seg.Input, now, nominal)
			g.gap = true
		}
	}
	s := t.newSlot(c, dur, disc, seg.Input, now, nominal)
	t.setPDT(s, seg, now)
	return s, 0
}

func (t *Timeline) newSlot(start, dur int64, disc bool, input Input, now time.Time, nominal int64) *slot {
	s := &slot{seq: t.st.NextSeq, start: start, dur: dur, disc: disc, input: input, created: now}
	t.st.NextSeq++
	target := time.Duration(nominal) * time.Second / media.VideoTimescale
	if n := len(t.st.Runs); disc || n == 0 || t.st.Runs[n-1].Target != target {
		t.st.Runs = append(t.st.Runs, Run{FirstSeq: s.seq, Target: target})
	}
	if disc {
		t.st.DiscSeq++
	}
	s.pdt = t.pdtAt(start)
	t.pending = append(t.pending, s)
	return s
}

// setPDT anchors program date-time: the encoder's when it sends one, else
// arrival time less the segment's duration at the first slot and after
// every discontinuity.
func (t *Timeline) setPDT(s *slot, seg *IngestSegment, now time.Time) {
	switch {
	case !seg.PDT.IsZero():
		t.st.PDTAnchor, t.st.PDTAnchorTime = seg.PDT.UTC(), s.start
	case t.st.PDTAnchor.IsZero() || s.disc:
		t.st.PDTAnchor = now.Add(-time.Duration(s.dur) * time.Second / media.VideoTimescale).UTC().Truncate(time.Millisecond)
		t.st.PDTAnchorTime = s.start
	}
	s.pdt = t.pdtAt(s.start)
}

func (t *Timeline) pdtAt(c int64) time.Time {
	if t.st.PDTAnchor.IsZero() {
		return time.Time{}
	}
	return t.st.PDTAnchor.Add(time.Duration(c-t.st.PDTAnchorTime) * time.Second / media.VideoTimescale)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
