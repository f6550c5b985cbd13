package live

import (
	"fmt"
	"sort"
	"time"

	"boxcar/internal/media"
)

// Failover between a channel's two inputs: the standby buffer, when the
// active input counts as lost, and which standby segments are replayed.

// failoverTimeout is how long the active input may deliver nothing before
// the standby takes over.
func (c *core) failoverTimeout() time.Duration {
	td := c.st.TargetDuration
	if td <= 0 {
		td = 2 * time.Second
	}
	return time.Duration(float64(td) * c.failoverFactor)
}

// failoverDue reports whether the active input ended or has been silent
// too long.
func (c *core) failoverDue(now time.Time) bool {
	a, ok := c.st.Inputs[c.st.Active]
	return !ok || a.Ended || now.Sub(a.LastDelivery) > c.failoverTimeout()
}

// switchReason says why the active input is being replaced.
func (c *core) switchReason() string {
	from := c.st.Active
	if c.st.Inputs[from].Ended {
		return fmt.Sprintf("input %d ended", from)
	}
	return fmt.Sprintf("input %d delivered nothing for %s", from, c.failoverTimeout())
}

// failOver makes input to active and returns the buffered standby
// segments to replay (pickReplay), forgetting the rest.
func (c *core) failOver(to Input, reason string) []*IngestSegment {
	from := c.st.Active
	c.st.Active = to
	c.st.Switches++
	c.decide(Decision{Kind: FailOver, From: from, Input: to, Reason: reason})
	replay := c.pickReplay()
	c.standby = nil
	return replay
}

// tick handles the clock moving to now, after the shell published what
// was ready: it fails over when the active input went silent and returns
// the standby segments to replay, returns the fallback segments nobody
// replaced for the shell to place, and ends the output once every input
// has ended.
func (c *core) tick(now time.Time) (replay, fallback []*IngestSegment) {
	if c.st.Active != 0 && len(c.standby) > 0 && c.failoverDue(now) {
		replay = c.failOver(c.standby[len(c.standby)-1].Input, c.switchReason())
	}
	if len(c.fallback) > 0 && !now.Before(c.fallbackUntil) {
		fallback, c.fallback = c.fallback, nil
	}
	c.refreshEnded(now)
	return replay, fallback
}

// maxStandby bounds the standby segments kept in memory.
const maxStandby = 64

// holdStandby keeps a standby segment for a possible failover.
func (c *core) holdStandby(seg *IngestSegment, inStart media.Ticks) {
	c.standby = append(c.standby, seg)
	// Keep the last few target durations of the standby input.
	keep := 3 * c.failoverTimeout()
	if keep < 6*time.Second {
		keep = 6 * time.Second
	}
	cut := inStart - media.TicksOf(keep)
	k := 0
	for _, s := range c.standby {
		if st, _ := span(s); st >= cut && s.Input == seg.Input {
			c.standby[k] = s
			k++
		}
	}
	c.standby = c.standby[:k]
	if len(c.standby) > maxStandby {
		c.standby = c.standby[len(c.standby)-maxStandby:]
	}
}

// pickReplay chooses which buffered standby segments to place after a
// failover: those that continue the timeline when the standby is aligned
// with it, else only the newest segment of each rendition (the timeline
// continues after a discontinuity with as little delay as possible).
func (c *core) pickReplay() []*IngestSegment {
	var out []*IngestSegment
	tol := c.nominal(nil, 0) / 2
	edge := c.edge()
	for _, seg := range c.standby {
		in := c.st.Inputs[seg.Input]
		st, _ := span(seg)
		off := in.Offset
		mapped := in.Mapped
		if !mapped {
			if a, ok := c.st.Inputs[c.otherInput(seg.Input)]; ok && a.Mapped {
				off, mapped = a.Offset, true
			}
		}
		if mapped && c.plausible(st+off, tol) && st+off > edge-tol {
			out = append(out, seg)
		}
	}
	if len(out) > 0 {
		return out
	}
	newest := map[string]*IngestSegment{}
	for _, seg := range c.standby {
		newest[seg.Rendition] = seg
	}
	for _, seg := range newest {
		out = append(out, seg)
	}
	sort.Slice(out, func(a, b int) bool {
		sa, _ := span(out[a])
		sb, _ := span(out[b])
		return sa < sb
	})
	return out
}

func (c *core) otherInput(i Input) Input {
	if i == 1 {
		return 2
	}
	return 1
}
