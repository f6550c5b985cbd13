package live

import (
	"context"
	"errors"
	"fmt"
	"time"

	"boxcar/internal/media"
)

// Retention: segments that left the window are unlisted, then deleted.

// trim drops segments that ended more than keep before the live edge,
// deleting their media and index entries.
func (t *Timeline) trim(ctx context.Context, keep time.Duration) error {
	t.mu.Lock()
	if len(t.segs) == 0 || t.deleted {
		t.mu.Unlock()
		return nil
	}
	cut := t.segs[len(t.segs)-1].End() - int64(keep.Seconds()*media.VideoTimescale)
	k := 0
	for k < len(t.segs)-1 && t.segs[k].End() <= cut {
		k++
	}
	if k == 0 {
		t.mu.Unlock()
		return nil
	}
	dropped := t.segs[:k]
	before := t.segs[k].Seq
	if err := t.m.index.trim(t.id, before, nil); err != nil {
		t.mu.Unlock()
		t.m.metrics.failed(t.id, "commit")
		return err
	}
	var keys []string
	for i := range dropped {
		for _, f := range dropped[i].Frags {
			keys = append(keys, f.StoreKey)
			t.bytes -= int64(f.Size)
		}
	}
	t.segs = t.segs[k:]
	t.publishSnapshot(t.m.clock.Now())
	t.mu.Unlock()
	// Unlisted first, deleted second: a failed delete leaves an orphan,
	// never a listed segment without media.
	var errs []error
	for _, key := range keys {
		if err := t.m.store.Delete(ctx, key); err != nil {
			t.m.metrics.failed(t.id, "delete")
			errs = append(errs, fmt.Errorf("live: channel %q: delete %s after retention: %w", t.id, key, err))
		}
	}
	return errors.Join(errs...)
}
