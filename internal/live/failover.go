package live

import (
	"context"
	"fmt"
	"sort"
	"time"

	"boxcar/internal/media"
)

// Failover between a channel's two inputs: the standby buffer, when the
// active input counts as lost, and which standby segments are replayed.

// failoverTimeout is how long the active input may deliver nothing before
// the standby takes over.
func (t *Timeline) failoverTimeout() time.Duration {
	td := t.st.TargetDuration
	if td <= 0 {
		td = 2 * time.Second
	}
	return time.Duration(float64(td) * t.m.failoverFactor)
}

// failoverDue reports whether the active input ended or has been silent
// too long. Called with mu held.
func (t *Timeline) failoverDue(now time.Time) bool {
	a, ok := t.st.Inputs[t.st.Active]
	return !ok || a.Ended || now.Sub(a.LastDelivery) > t.failoverTimeout()
}

// switchReason says why the active input is being replaced. Called with
// mu held.
func (t *Timeline) switchReason() string {
	from := t.st.Active
	if t.st.Inputs[from].Ended {
		return fmt.Sprintf("input %d ended", from)
	}
	return fmt.Sprintf("input %d delivered nothing for %s", from, t.failoverTimeout())
}

// switchInput makes input active. Called with mu held.
func (t *Timeline) switchInput(to Input, now time.Time, reason string) {
	from := t.st.Active
	t.st.Active = to
	t.st.Switches++
	t.m.metrics.switched(t.id)
	t.m.log.Warn("input switch", "channel", t.id, "from", int(from), "to", int(to), "reason", reason)
	t.publishSnapshot(now)
}

// failOver makes input to active and returns the buffered standby
// segments to replay (pickReplay), forgetting the rest. Called with mu
// held; the caller replays them once it released mu.
func (t *Timeline) failOver(to Input, now time.Time, reason string) []*IngestSegment {
	t.switchInput(to, now, reason)
	replay := t.pickReplay()
	t.standby = nil
	return replay
}

// replay places buffered standby segments after a failover, in order.
func (t *Timeline) replay(ctx context.Context, segs []*IngestSegment) {
	for _, r := range segs {
		if _, err := t.add(ctx, r, addReplay); err != nil {
			t.m.log.Warn("replay standby segment", "channel", t.id, "input", int(r.Input), "segment", r.Name, "err", err)
			t.m.metrics.failed(t.id, "replay")
		}
	}
}

// maxStandby bounds the standby segments kept in memory.
const maxStandby = 64

// holdStandby keeps a standby segment for a possible failover. Called
// with mu held.
func (t *Timeline) holdStandby(seg *IngestSegment, inStart int64) {
	t.standby = append(t.standby, seg)
	// Keep the last few target durations of the standby input.
	keep := 3 * t.failoverTimeout()
	if keep < 6*time.Second {
		keep = 6 * time.Second
	}
	cut := inStart - int64(keep.Seconds()*media.VideoTimescale)
	k := 0
	for _, s := range t.standby {
		if st, _ := span(s); st >= cut && s.Input == seg.Input {
			t.standby[k] = s
			k++
		}
	}
	t.standby = t.standby[:k]
	if len(t.standby) > maxStandby {
		t.standby = t.standby[len(t.standby)-maxStandby:]
	}
}

// tick publishes slots whose grace ended, fails over when the active
// input went silent, places fallback segments nobody replaced and ends
// the output once every input has ended.
func (t *Timeline) tick(ctx context.Context, now time.Time) {
	t.mu.Lock()
	if t.deleted {
		t.mu.Unlock()
		return
	}
	t.publish(ctx, now)
	var replay []*IngestSegment
	if t.st.Active != 0 && len(t.standby) > 0 && t.failoverDue(now) {
		replay = t.failOver(t.standby[len(t.standby)-1].Input, now, t.switchReason())
	}
	var fallback []*IngestSegment
	if len(t.fallback) > 0 && !now.Before(t.fallbackUntil) {
		fallback, t.fallback = t.fallback, nil
	}
	t.refreshEnded(now)
	t.mu.Unlock()
	t.replay(ctx, replay)
	t.placeFallback(ctx, fallback)
}

// pickReplay chooses which buffered standby segments to place after a
// failover: those that continue the timeline when the standby is aligned
// with it, else only the newest segment of each rendition (the timeline
// continues after a discontinuity with as little delay as possible).
// Called with mu held.
func (t *Timeline) pickReplay() []*IngestSegment {
	var out []*IngestSegment
	tol := t.nominal(nil, 0) / 2
	edge := t.edge()
	for _, seg := range t.standby {
		in := t.st.Inputs[seg.Input]
		st, _ := span(seg)
		off := in.Offset
		mapped := in.Mapped
		if !mapped {
			if a, ok := t.st.Inputs[t.otherInput(seg.Input)]; ok && a.Mapped {
				off, mapped = a.Offset, true
			}
		}
		if mapped && t.plausible(st+off, tol) && st+off > edge-tol {
			out = append(out, seg)
		}
	}
	if len(out) > 0 {
		return out
	}
	newest := map[string]*IngestSegment{}
	for _, seg := range t.standby {
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

func (t *Timeline) otherInput(i Input) Input {
	if i == 1 {
		return 2
	}
	return 1
}
