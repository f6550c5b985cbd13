package live

import (
	"context"
	"sort"
	"time"
)

// Publishing: when a slot is complete or its grace period ended, committing
// it to the index once its media is durable, and the immutable snapshots
// readers see.

func (t *Timeline) isPending(s *slot) bool {
	for _, p := range t.pending {
		if p == s {
			return true
		}
	}
	return false
}

// grace is how long a slot waits for expected tracks that have not
// delivered before it is published without them.
func (t *Timeline) grace() time.Duration {
	g := t.st.TargetDuration / 2
	if g < 500*time.Millisecond {
		g = 500 * time.Millisecond
	}
	return g
}

// expectedRecent: a track is expected in a slot when it delivered one of
// the last expectedRecent slots.
const expectedRecent = 3

// complete reports whether every expected rendition and track delivered
// to s: those that delivered one of the last few slots and, while the
// channel is starting, every rendition its multivariant playlist declared.
// A starting channel without a multivariant playlist cannot know its
// renditions and waits for the grace period instead.
func (t *Timeline) complete(s *slot) bool {
	if len(s.inflight) > 0 || len(s.frags) == 0 {
		return false
	}
	for id, last := range t.lastSeen {
		if last+expectedRecent >= s.seq && s.Frag(id) == nil {
			return false
		}
	}
	for r, last := range t.renditionSeen {
		if last+expectedRecent >= s.seq && !s.renditions[r] {
			return false
		}
	}
	if t.publishedHere < expectedRecent {
		if len(t.st.Renditions) == 0 {
			return false
		}
		for _, r := range t.st.Renditions {
			if !s.renditions[r.Name] {
				return false
			}
		}
	}
	return true
}

// Frag returns the slot's fragment of track id, or nil.
func (s *slot) Frag(id int) *Fragment {
	for i := range s.frags {
		if s.frags[i].Track == id {
			return &s.frags[i]
		}
	}
	return nil
}

// tryPublish publishes pending slots in order while they are ready, then
// commits them to the index and publishes a snapshot. Called with mu held.
func (t *Timeline) tryPublish(ctx context.Context, now time.Time) error {
	var ready []*slot
	for _, s := range t.pending {
		if len(s.inflight) > 0 {
			break
		}
		ok := t.complete(s) || now.Sub(s.created) >= t.grace()
		if s.gap {
			ok = now.Sub(s.created) >= t.grace()
		}
		if !ok {
			break
		}
		ready = append(ready, s)
	}
	if len(ready) == 0 {
		return nil
	}
	segs := make([]Segment, 0, len(ready))
	discSeq := uint64(0)
	if n := len(t.segs); n > 0 {
		discSeq = t.segs[n-1].DiscSeq
	}
	for _, s := range ready {
		if s.disc {
			discSeq++
		}
		gap := s.gap || len(s.frags) == 0
		segs = append(segs, Segment{
			Seq: s.seq, Start: s.start, Duration: s.dur, PDT: s.pdt,
			Disc: s.disc, DiscSeq: discSeq, Gap: gap, Input: s.input,
			Resumed: s.resumed, Frags: s.frags, Events: s.events,
		})
	}
	st := t.st
	st.NextSeq = segs[len(segs)-1].Seq + 1
	st.DiscSeq = discSeq
	if err := t.m.index.commit(t.id, &st, t.tracks, segs); err != nil {
		t.m.metrics.failed(t.id, "commit")
		return err
	}
	t.pending = t.pending[len(ready):]
	for i := range segs {
		for _, f := range segs[i].Frags {
			t.bytes += int64(f.Size)
		}
	}
	t.segs = append(t.segs, segs...)
	t.publishedHere += len(segs)
	t.m.metrics.published(t.id, len(segs))
	t.publishSnapshot(now)
	return nil
}

// publishSnapshot makes the current state visible to readers. Called with
// mu held.
func (t *Timeline) publishSnapshot(now time.Time) {
	t.version++
	runs := t.st.Runs
	if n := len(t.segs); n > 0 {
		last := t.segs[n-1].Seq
		k := len(runs)
		for k > 0 && runs[k-1].FirstSeq > last {
			k--
		}
		runs = runs[:k:k]
	} else {
		runs = nil
	}
	t.snap.Store(&Snapshot{
		Channel:        t.id,
		Version:        t.version,
		Updated:        now,
		Tracks:         t.tracks,
		Renditions:     t.st.Renditions,
		Segments:       t.segs[:len(t.segs):len(t.segs)],
		Runs:           runs,
		TargetDuration: t.st.TargetDuration,
		ActiveInput:    t.st.Active,
		Ended:          t.st.Ended,
	})
	ch := make(chan struct{})
	old := t.changed.Swap(&ch)
	close(*old)
}

// amendEdge adds fragments to the published newest segment: a rendition
// that rejoins delivers a moment after the others published the slot, and
// would otherwise never be expected again. Only the newest segment is
// amended, so players rarely saw it without the rendition. Called with mu
// held.
func (t *Timeline) amendEdge(ctx context.Context, s *slot, rendition string, frags []Fragment, now time.Time) (Outcome, error) {
	n := len(t.segs)
	if n == 0 || t.segs[n-1].Seq != s.seq {
		t.discard(ctx, "late", frags)
		t.m.metrics.dropped(t.id, "late")
		return Late, nil
	}
	seg := t.segs[n-1]
	var add, lost []Fragment
	for _, f := range frags {
		if seg.Frag(f.Track) != nil {
			lost = append(lost, f) // another upload won the race
			continue
		}
		add = append(add, f)
	}
	t.discard(ctx, "duplicate", lost)
	if len(add) == 0 {
		t.m.metrics.dropped(t.id, "duplicate")
		return Duplicate, nil
	}
	frags = add
	seg.Frags = append(append([]Fragment(nil), seg.Frags...), frags...)
	sort.Slice(seg.Frags, func(a, b int) bool { return seg.Frags[a].Track < seg.Frags[b].Track })
	st := t.st
	if err := t.m.index.commit(t.id, &st, t.tracks, []Segment{seg}); err != nil {
		// Not listed, so never readable through the index: drop the bytes.
		t.m.metrics.failed(t.id, "commit")
		t.discard(ctx, "commit failed", frags)
		return 0, err
	}
	// Copy on write: snapshots share the old backing array.
	segs := make([]Segment, n, n+16)
	copy(segs, t.segs)
	segs[n-1] = seg
	t.segs = segs
	for _, f := range frags {
		t.bytes += int64(f.Size)
		t.lastSeen[f.Track] = seg.Seq
		t.lastFrag[f.Track] = now
	}
	t.renditionSeen[rendition] = seg.Seq
	t.publishSnapshot(now)
	return Accepted, nil
}
