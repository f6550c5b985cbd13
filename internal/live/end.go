package live

import (
	"time"

	"boxcar/internal/media"
)

// How a channel ends (mediapackage.md §3.2). An input ends when its
// encoder stops cleanly: the media playlist it pushes last carries
// #EXT-X-ENDLIST. An input that ended is an input that stopped
// delivering, so:
//
//   - The end of the active input is an immediate failover signal when the
//     other input is live (delivered within the failover timeout and did
//     not end): no need to wait for its silence. A cleanly stopping
//     encoder's last segment is usually short and sent with the end; the
//     other input's whole segment for the same time replaces it. The short
//     one is held as a fallback and placed only if the other input
//     delivers nothing for its time within the failover timeout.
//   - The output ends (HLS #EXT-X-ENDLIST, a static MPD) only when the
//     active input ended, the other is not live, and the last segments are
//     published: every input has ended or is gone.
//   - An input that resumes afterwards (its timestamps or media sequence
//     restart, or it continues past its end) reopens the live presentation
//     after one discontinuity; the slot that reopens it is marked Resumed
//     so DASH starts a new Period there. Numbering goes forward.

// noteEnd records an ingest segment's news about its input's end: a
// segment from an ended playlist ends the input, one that resumes after
// the end clears it.
func (c *core) noteEnd(seg *IngestSegment, inStart, inDur media.Ticks) {
	in := c.st.Inputs[seg.Input]
	switch {
	case seg.Ended && !in.Ended:
		c.endInput(seg.Input, inStart+inDur, seg.Name)
	case seg.Ended:
		if e := inStart + inDur; e > in.EndedAt {
			in.EndedAt = e
			c.st.Inputs[seg.Input] = in
		}
	case in.Ended && c.resumes(&in, seg, inStart):
		in.Ended = false
		c.st.Inputs[seg.Input] = in
		c.decide(Decision{Kind: ResumeInput, Input: seg.Input, Segment: seg.Name})
	}
}

// endInput marks input ended with its last segment ending at input time
// at, and forgets its standby segments: it is no failover target. name is
// the segment that carried the end, "" for none.
func (c *core) endInput(input Input, at media.Ticks, name string) {
	in := c.st.Inputs[input]
	in.Ended, in.EndedAt = true, at
	c.st.Inputs[input] = in
	c.decide(Decision{Kind: EndInput, Input: input, Segment: name})
	c.dropStandby(input)
}

// resumes reports whether a segment from an ended input is new media and
// not a late upload from before the end: the encoder flagged a
// discontinuity, or its timestamps continue past the end or went back by
// more than a restart jump.
func (c *core) resumes(in *inputState, seg *IngestSegment, inStart media.Ticks) bool {
	tol := c.nominal(seg, 0) / 2
	return seg.Discontinuity || inStart >= in.EndedAt-tol || inStart < in.EndedAt-restartJump*2*tol
}

// inputEnded handles the news that input ended without a segment to carry
// it (its last playlist listed nothing new, or its last segment never
// arrived). It returns the standby segments to replay when the channel
// fails over.
func (c *core) inputEnded(input Input, now time.Time) []*IngestSegment {
	in, ok := c.st.Inputs[input]
	if !ok || in.Ended {
		return nil
	}
	c.endInput(input, in.LastEnd, "")
	var replay []*IngestSegment
	if input == c.st.Active && c.inputLive(c.otherInput(input), now) {
		replay = c.failOver(c.otherInput(input), c.switchReason())
	}
	c.refreshEnded(now)
	return replay
}

// inputLive reports whether input delivers: it did not end and delivered
// within the failover timeout.
func (c *core) inputLive(input Input, now time.Time) bool {
	in, ok := c.st.Inputs[input]
	return ok && !in.Ended && !in.LastDelivery.IsZero() && now.Sub(in.LastDelivery) <= c.failoverTimeout()
}

// dropStandby forgets the buffered standby segments of an input that
// ended: it is no failover target.
func (c *core) dropStandby(input Input) {
	k := 0
	for _, s := range c.standby {
		if s.Input != input {
			c.standby[k] = s
			k++
		}
	}
	clear(c.standby[k:])
	c.standby = c.standby[:k]
}

// holdFallback keeps an ended playlist's segment from an input that is
// not active: the other renditions of the input the channel just failed
// over from join its fallback; anything else is not needed.
func (c *core) holdFallback(seg *IngestSegment) Outcome {
	if len(c.fallback) == 0 || c.fallback[0].Input != seg.Input || len(c.fallback) >= maxStandby {
		return Late
	}
	c.fallback = append(c.fallback, seg)
	return Fallback
}

// refreshEnded ends the output once the active input ended, the other
// input is not live and nothing of the end is still pending.
func (c *core) refreshEnded(now time.Time) {
	if c.st.Ended || c.st.Active == 0 {
		return
	}
	if !c.st.Inputs[c.st.Active].Ended || c.inputLive(c.otherInput(c.st.Active), now) ||
		len(c.pending) > 0 || len(c.fallback) > 0 || len(c.segs) == 0 {
		return
	}
	c.st.Ended = true
	st := c.st
	c.decide(Decision{Kind: EndOutput, Seq: c.segs[len(c.segs)-1].Seq, State: &st})
}
