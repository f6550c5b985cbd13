package live

import (
	"context"
	"time"
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
// the end clears it. Called with mu held.
func (t *Timeline) noteEnd(seg *IngestSegment, inStart, inDur int64) {
	in := t.st.Inputs[seg.Input]
	switch {
	case seg.Ended && !in.Ended:
		t.endInput(seg.Input, inStart+inDur, "segment", seg.Name)
	case seg.Ended:
		if e := inStart + inDur; e > in.EndedAt {
			in.EndedAt = e
			t.st.Inputs[seg.Input] = in
		}
	case in.Ended && t.resumes(&in, seg, inStart):
		in.Ended = false
		t.st.Inputs[seg.Input] = in
		t.m.log.Info("input resumed", "channel", t.id, "input", int(seg.Input), "segment", seg.Name)
	}
}

// endInput marks input ended with its last segment ending at input time
// at, and forgets its standby segments: it is no failover target. attrs
// name what carried the end, for the log. Called with mu held.
func (t *Timeline) endInput(input Input, at int64, attrs ...any) {
	in := t.st.Inputs[input]
	in.Ended, in.EndedAt = true, at
	t.st.Inputs[input] = in
	t.m.log.Info("input ended", append([]any{"channel", t.id, "input", int(input)}, attrs...)...)
	t.dropStandby(input)
}

// resumes reports whether a segment from an ended input is new media and
// not a late upload from before the end: the encoder flagged a
// discontinuity, or its timestamps continue past the end or went back by
// more than a restart jump. Called with mu held.
func (t *Timeline) resumes(in *inputState, seg *IngestSegment, inStart int64) bool {
	tol := t.nominal(seg, 0) / 2
	return seg.Discontinuity || inStart >= in.EndedAt-tol || inStart < in.EndedAt-restartJump*2*tol
}

// EndInput records that input ended without a new segment to carry the
// news (its last playlist listed nothing new, or its last segment never
// arrived). Ingest calls it for a media playlist with #EXT-X-ENDLIST.
func (t *Timeline) EndInput(ctx context.Context, input Input) {
	now := t.m.clock.Now()
	t.mu.Lock()
	if t.deleted {
		t.mu.Unlock()
		return
	}
	in, ok := t.st.Inputs[input]
	if !ok || in.Ended {
		t.mu.Unlock()
		return
	}
	t.endInput(input, in.LastEnd)
	var replay []*IngestSegment
	if input == t.st.Active && t.inputLive(t.otherInput(input), now) {
		replay = t.failOver(t.otherInput(input), now, t.switchReason())
	}
	t.refreshEnded(now)
	t.mu.Unlock()
	t.replay(ctx, replay)
}

// inputLive reports whether input delivers: it did not end and delivered
// within the failover timeout. Called with mu held.
func (t *Timeline) inputLive(input Input, now time.Time) bool {
	in, ok := t.st.Inputs[input]
	return ok && !in.Ended && !in.LastDelivery.IsZero() && now.Sub(in.LastDelivery) <= t.failoverTimeout()
}

// dropStandby forgets the buffered standby segments of an input that
// ended: it is no failover target. Called with mu held.
func (t *Timeline) dropStandby(input Input) {
	k := 0
	for _, s := range t.standby {
		if s.Input != input {
			t.standby[k] = s
			k++
		}
	}
	clear(t.standby[k:])
	t.standby = t.standby[:k]
}

// holdFallback keeps an ended playlist's segment from an input that is
// not active: the other renditions of the input the channel just failed
// over from join its fallback; anything else is not needed. Called with
// mu held.
func (t *Timeline) holdFallback(seg *IngestSegment) Outcome {
	if len(t.fallback) == 0 || t.fallback[0].Input != seg.Input || len(t.fallback) >= maxStandby {
		return Late
	}
	t.fallback = append(t.fallback, seg)
	return Fallback
}

// placeFallback places the held last segments of an ended input whose
// time the active input did not fill: usually they turn out duplicates.
func (t *Timeline) placeFallback(ctx context.Context, segs []*IngestSegment) {
	for _, seg := range segs {
		out, err := t.add(ctx, seg, addFallback)
		if err != nil {
			t.m.log.Warn("place fallback segment", "channel", t.id, "input", int(seg.Input), "segment", seg.Name, "err", err)
			t.m.metrics.failed(t.id, "fallback")
			continue
		}
		if out == Accepted {
			t.m.log.Info("fallback segment placed: the active input did not deliver its time", "channel", t.id,
				"input", int(seg.Input), "segment", seg.Name)
		}
	}
	if len(segs) > 0 {
		t.mu.Lock()
		t.refreshEnded(t.m.clock.Now())
		t.mu.Unlock()
	}
}

// refreshEnded ends the output once the active input ended, the other
// input is not live and nothing of the end is still pending; it persists
// and publishes the change. Called with mu held.
func (t *Timeline) refreshEnded(now time.Time) {
	if t.deleted || t.st.Ended || t.st.Active == 0 {
		return
	}
	if !t.st.Inputs[t.st.Active].Ended || t.inputLive(t.otherInput(t.st.Active), now) ||
		len(t.pending) > 0 || len(t.fallback) > 0 || len(t.segs) == 0 {
		return
	}
	t.st.Ended = true
	t.m.log.Info("channel output ended: every input ended", "channel", t.id, "seq", t.segs[len(t.segs)-1].Seq)
	st := t.st
	if err := t.m.index.commit(t.id, &st, nil, nil); err != nil {
		// The end is published anyway; a restart before the next
		// commit shows the channel live again until its inputs report.
		t.m.metrics.failed(t.id, "commit")
		t.m.log.Error("persist channel end", "channel", t.id, "err", err)
	}
	t.publishSnapshot(now)
}

// publish is tryPublish for callers that have no request to fail: the
// error is logged and counted, and the slots stay pending for the next
// try. Called with mu held.
func (t *Timeline) publish(ctx context.Context, now time.Time) {
	if err := t.tryPublish(ctx, now); err != nil {
		t.m.log.Error("publish", "channel", t.id, "err", err)
	}
}

// discard deletes stored fragments that will never be listed. A failed
// delete leaves an orphan object, which is logged and counted.
func (t *Timeline) discard(ctx context.Context, why string, frags []Fragment) {
	for _, f := range frags {
		if err := t.m.store.Delete(ctx, f.StoreKey); err != nil {
			t.m.metrics.failed(t.id, "delete")
			t.m.log.Error("delete unlisted fragment", "channel", t.id, "track", f.Track, "key", f.StoreKey, "why", why, "err", err)
		}
	}
}
