package live

import (
	"math"
	"sort"
	"time"

	"boxcar/internal/media"
)

// Placement: mapping an input's timestamps to channel time and finding or
// creating the slot a segment fills, with gap slots and program date-time.

// nominal is the expected segment duration.
func (c *core) nominal(seg *IngestSegment, inDur media.Ticks) media.Ticks {
	if d := c.st.TargetDuration; d > 0 {
		return media.TicksOf(d)
	}
	if inDur > 0 {
		return inDur
	}
	return 2 * media.VideoTimescale
}

// edge is the channel time just after the newest slot, published or not.
func (c *core) edge() media.Ticks {
	if n := len(c.pending); n > 0 {
		return c.pending[n-1].start + c.pending[n-1].dur
	}
	if n := len(c.segs); n > 0 {
		return c.segs[n-1].End()
	}
	return 0
}

// empty reports whether the timeline holds no slot at all.
func (c *core) empty() bool { return len(c.pending) == 0 && len(c.segs) == 0 }

// windowStart is the channel time of the oldest slot.
func (c *core) windowStart() media.Ticks {
	if len(c.segs) > 0 {
		return c.segs[0].Start
	}
	if len(c.pending) > 0 {
		return c.pending[0].start
	}
	return 0
}

// restartJump is how many nominal segment durations an input's timestamps
// may go back before it counts as restarted.
const restartJump = 3

// maxForwardJump is how far past the edge a segment may start and still
// count as the same timestamp sequence (the encoder skipped segments);
// beyond it the input is treated as restarted.
const maxForwardJump media.Ticks = 60 * media.VideoTimescale

// plausible reports whether channel time ct continues the timeline.
func (c *core) plausible(ct, tol media.Ticks) bool {
	if c.empty() {
		return false
	}
	return ct >= c.windowStart()-tol && ct <= c.edge()+maxForwardJump
}

// mapTime maps the segment's input start to channel time, updating the
// input's offset; disc reports a new discontinuity.
func (c *core) mapTime(seg *IngestSegment, inStart media.Ticks) (ct media.Ticks, disc bool) {
	tol := c.nominal(seg, 0) / 2
	in := c.st.Inputs[seg.Input]
	defer func() { c.st.Inputs[seg.Input] = in }()
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
		if ct := inStart + in.Offset; c.plausible(ct, tol) {
			return ct, false
		}
	}
	if !in.Mapped && !seg.Discontinuity && !restarted {
		for other, os := range c.st.Inputs {
			if other == seg.Input || !os.Mapped {
				continue
			}
			if ct := inStart + os.Offset; c.plausible(ct, tol) {
				in.Offset, in.Mapped = os.Offset, true
				return ct, false
			}
		}
	}
	if c.empty() {
		// The channel's first segment: channel time is its input time.
		in.Offset, in.Mapped = 0, true
		return inStart, false
	}
	// A restart or jump: continue at the edge after a discontinuity.
	edge := c.edge()
	in.Offset, in.Mapped, in.RemapStart, in.Remapped = edge-inStart, true, inStart, true
	return edge, true
}

// placeSlot finds or creates the slot for channel time ct. It returns nil
// and an outcome when the segment is not needed.
func (c *core) placeSlot(seg *IngestSegment, ct, dur media.Ticks, disc bool, now time.Time) (*slot, Outcome) {
	nominal := c.nominal(seg, dur)
	tol := nominal / 2
	if !disc {
		for _, s := range c.pending {
			if abs(s.start-ct) <= tol {
				if s.gap {
					s.gap = false
					s.start, s.dur = ct, dur
					s.input = seg.Input
					s.created = now
				}
				return s, 0
			}
		}
		i := sort.Search(len(c.segs), func(i int) bool { return c.segs[i].Start >= ct-tol })
		if i < len(c.segs) && abs(c.segs[i].Start-ct) <= tol {
			if i == len(c.segs)-1 && !c.segs[i].Gap {
				// The live edge may still take a rendition that came back
				// just after the others published it.
				last := &c.segs[i]
				return &slot{seq: last.Seq, start: last.Start, dur: last.Duration, input: last.Input,
					frags: last.Frags, amend: true, hasVideo: true}, 0
			}
			return nil, Duplicate
		}
		if ct < c.edge()-tol {
			return nil, Late
		}
	}
	edge := c.edge()
	if !disc && !c.empty() && ct-edge > tol {
		// Nothing arrived between the edge and ct: gap slots keep the
		// timeline (and its numbering) continuous.
		n := int64(math.Round(float64(ct-edge) / float64(nominal)))
		if n < 1 {
			n = 1
		}
		step := (ct - edge) / media.Ticks(n)
		for k := int64(0); k < n; k++ {
			d := step
			if k == n-1 {
				d = ct - edge - step*media.Ticks(n-1)
			}
			g := c.newSlot(edge+step*media.Ticks(k), d, false, seg.Input, now, nominal)
			g.gap = true
		}
	}
	s := c.newSlot(ct, dur, disc, seg.Input, now, nominal)
	c.setPDT(s, seg, now)
	return s, 0
}

func (c *core) newSlot(start, dur media.Ticks, disc bool, input Input, now time.Time, nominal media.Ticks) *slot {
	s := &slot{seq: c.st.NextSeq, start: start, dur: dur, disc: disc, input: input, created: now}
	c.st.NextSeq++
	target := nominal.Duration()
	if n := len(c.st.Runs); disc || n == 0 || c.st.Runs[n-1].Target != target {
		c.st.Runs = append(c.st.Runs, Run{FirstSeq: s.seq, Target: target})
	}
	if disc {
		c.st.DiscSeq++
	}
	s.pdt = c.pdtAt(start)
	c.pending = append(c.pending, s)
	return s
}

// setPDT anchors program date-time: the encoder's when it sends one, else
// arrival time less the segment's duration at the first slot and after
// every discontinuity.
func (c *core) setPDT(s *slot, seg *IngestSegment, now time.Time) {
	switch {
	case !seg.PDT.IsZero():
		c.st.PDTAnchor, c.st.PDTAnchorTime = seg.PDT.UTC(), s.start
	case c.st.PDTAnchor.IsZero() || s.disc:
		c.st.PDTAnchor = now.Add(-s.dur.Duration()).UTC().Truncate(time.Millisecond)
		c.st.PDTAnchorTime = s.start
	}
	s.pdt = c.pdtAt(s.start)
}

func (c *core) pdtAt(ct media.Ticks) time.Time {
	if c.st.PDTAnchor.IsZero() {
		return time.Time{}
	}
	return c.st.PDTAnchor.Add((ct - c.st.PDTAnchorTime).Duration())
}

func abs(x media.Ticks) media.Ticks {
	if x < 0 {
		return -x
	}
	return x
}
