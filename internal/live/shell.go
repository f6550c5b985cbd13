package live

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"time"

	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
)

// The shell's side of the timeline: carrying out the core's decisions.
// Media bytes go to the store first, the index second, then metrics, logs
// and the snapshot, so nothing is listed before it is durable.

// apply carries out the decisions of the core's last event. Called with
// mu held.
func (t *Timeline) apply(ctx context.Context, now time.Time) {
	show := false
	for _, d := range t.c.take() {
		switch d.Kind {
		case Activate:
			t.m.log.Info("input active", "channel", t.id, "input", int(d.Input))
		case FailOver:
			t.m.metrics.switched(t.id)
			t.m.log.Warn("input switch", "channel", t.id, "from", int(d.From), "to", int(d.Input), "reason", d.Reason)
			show = true
		case EndInput:
			attrs := []any{"channel", t.id, "input", int(d.Input)}
			if d.Segment != "" {
				attrs = append(attrs, "segment", d.Segment)
			}
			t.m.log.Info("input ended", attrs...)
		case ResumeInput:
			t.m.log.Info("input resumed", "channel", t.id, "input", int(d.Input), "segment", d.Segment)
		case Reopen:
			t.m.log.Info("channel output reopened", "channel", t.id, "input", int(d.Input))
		case EndOutput:
			t.endOutput(d)
			show = true
		case Drop:
			t.m.metrics.dropped(t.id, d.Reason)
		case Discard:
			t.discard(ctx, d.Reason, d.Frags)
		case Publish:
			t.m.metrics.published(t.id, d.Count)
			show = true
		case Show:
			show = true
		}
	}
	if show {
		t.publishSnapshot(now)
	}
}

// endOutput persists and logs the end of the channel's output.
func (t *Timeline) endOutput(d Decision) {
	t.m.log.Info("channel output ended: every input ended", "channel", t.id, "seq", d.Seq)
	if err := t.m.index.commit(t.id, d.State, nil, nil); err != nil {
		// The end is published anyway; a restart before the next
		// commit shows the channel live again until its inputs report.
		t.m.metrics.failed(t.id, "commit")
		t.m.log.Error("persist channel end", "channel", t.id, "err", err)
	}
}

// publish is tryPublish for callers that have no request to fail: the
// error is logged and counted, and the slots stay pending for the next
// try. Called with mu held.
func (t *Timeline) publish(ctx context.Context, now time.Time) {
	if err := t.tryPublish(ctx, now); err != nil {
		t.m.log.Error("publish", "channel", t.id, "err", err)
	}
}

// tryPublish commits the slots that are ready to the index and lists
// them. Called with mu held.
func (t *Timeline) tryPublish(ctx context.Context, now time.Time) error {
	p := t.c.ready(now)
	if p == nil {
		return nil
	}
	if err := t.m.index.commit(t.id, &p.state, t.c.tracks, p.segs); err != nil {
		t.m.metrics.failed(t.id, "commit")
		return err
	}
	t.c.published(p)
	t.apply(ctx, now)
	return nil
}

// publishSnapshot makes the current state visible to readers. Called with
// mu held.
func (t *Timeline) publishSnapshot(now time.Time) {
	t.version++
	c := t.c
	runs := c.st.Runs
	if n := len(c.segs); n > 0 {
		last := c.segs[n-1].Seq
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
		Tracks:         c.tracks,
		Renditions:     c.st.Renditions,
		Segments:       c.segs[:len(c.segs):len(c.segs)],
		Runs:           runs,
		TargetDuration: c.st.TargetDuration,
		ActiveInput:    c.st.Active,
		Ended:          c.st.Ended,
	})
	ch := make(chan struct{})
	old := t.changed.Swap(&ch)
	close(*old)
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
		now := t.m.clock.Now()
		t.mu.Lock()
		if !t.deleted {
			t.c.refreshEnded(now)
			t.apply(ctx, now)
		}
		t.mu.Unlock()
	}
}

// trim drops segments that ended more than keep before the live edge:
// unlisted first, deleted second, so a failed delete leaves an orphan,
// never a listed segment without media.
func (t *Timeline) trim(ctx context.Context, keep time.Duration) error {
	t.mu.Lock()
	if t.deleted {
		t.mu.Unlock()
		return nil
	}
	r := t.c.retain(keep)
	if r == nil {
		t.mu.Unlock()
		return nil
	}
	if err := t.m.index.trim(t.id, r.before, nil); err != nil {
		t.mu.Unlock()
		t.m.metrics.failed(t.id, "commit")
		return err
	}
	t.c.retained(r)
	t.apply(ctx, t.m.clock.Now())
	t.mu.Unlock()
	var errs []error
	for _, key := range r.keys {
		if err := t.m.store.Delete(ctx, key); err != nil {
			t.m.metrics.failed(t.id, "delete")
			errs = append(errs, fmt.Errorf("live: channel %q: delete %s after retention: %w", t.id, key, err))
		}
	}
	return errors.Join(errs...)
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

// write stores the reservation's inits and fragments, tracks in
// parallel: each write waits for its own sync, so their latencies
// overlap. When one fails, the others are deleted again (they would be
// orphans) and the error returned.
func (t *Timeline) write(ctx context.Context, r *reservation) ([]Fragment, error) {
	frags := make([]Fragment, len(r.jobs))
	errs := make([]error, len(r.jobs))
	var wg sync.WaitGroup
	for i, j := range r.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frags[i], errs[i] = t.writeFragment(ctx, j, r.offset, r.slot.seq)
		}()
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil {
		return frags, nil
	}
	var written []Fragment
	for i, f := range frags {
		if errs[i] == nil {
			written = append(written, f)
		}
	}
	t.discard(ctx, "write failed", written)
	return nil, err
}

// writeFragment stores a track's init (when new) and the fragment made of
// the ingest samples moved to channel time.
func (t *Timeline) writeFragment(ctx context.Context, j job, offset media.Ticks, seq uint64) (Fragment, error) {
	tr := j.track
	info := &tr.Inits[j.init].Info
	if j.newInit {
		b, err := fmp4.WriteInit(uint32(tr.ID), *info)
		if err != nil {
			return Fragment{}, fmt.Errorf("live: channel %q track %d: write init: %w", t.id, tr.ID, err)
		}
		if err := t.m.store.Put(ctx, tr.Inits[j.init].StoreKey, b); err != nil {
			return Fragment{}, fmt.Errorf("live: channel %q track %d: store init: %w", t.id, tr.ID, err)
		}
	}
	samples := shiftSamples(j.in.Samples, offset.Rescale(info.Timescale))
	b, err := fmp4.WriteFragment(uint32(seq), uint32(tr.ID), samples)
	if err != nil {
		return Fragment{}, fmt.Errorf("live: channel %q track %d: write fragment: %w", t.id, tr.ID, err)
	}
	f := fragmentOf(t.id, tr.ID, j.init, seq, samples)
	if err := t.m.store.Put(ctx, f.StoreKey, b); err != nil {
		return Fragment{}, fmt.Errorf("live: channel %q track %d: store fragment: %w", t.id, tr.ID, err)
	}
	f.Size, f.CRC32 = len(b), crc32.ChecksumIEEE(b)
	return f, nil
}
