package live

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"boxcar/internal/media"
)

// Errors of Add. Callers check them with errors.Is.
var (
	// ErrCodecChanged: a rendition's track changed codec mid-stream.
	ErrCodecChanged = errors.New("live: track changed codec")
	// ErrNoMedia: the segment carries no samples.
	ErrNoMedia = errors.New("live: segment has no media samples")
	// ErrDeleted: the channel was deleted.
	ErrDeleted = errors.New("live: channel deleted")
)

// IngestSegment is one parsed ingest segment of one rendition, as an
// encoder delivered it to one input.
type IngestSegment struct {
	Input Input
	// Rendition is the ingest media playlist's name without extension.
	Rendition string
	// Name is the segment's URI as listed (for logs).
	Name string
	// Duration is the #EXTINF duration.
	Duration time.Duration
	// TargetDuration is the playlist's #EXT-X-TARGETDURATION.
	TargetDuration time.Duration
	// PDT is the encoder's #EXT-X-PROGRAM-DATE-TIME, zero when absent.
	PDT time.Time
	// Discontinuity is set when the encoder put #EXT-X-DISCONTINUITY
	// before the segment.
	Discontinuity bool
	// Ended is set when the media playlist that listed the segment ends
	// with #EXT-X-ENDLIST: the encoder stopped after it, and this input
	// ended (a failover signal; the output ends only when every input
	// has, see end.go).
	Ended bool
	// Tracks are the segment's elementary streams with input-time
	// samples (64-bit, unwrapped around Timeline.Anchor).
	Tracks []IngestTrack
	// Events are timed metadata with input times.
	Events []Event
}

// IngestTrack is one elementary stream of an ingest segment.
type IngestTrack struct {
	// Key identifies the track within its rendition ("v0", "a0").
	Key     string
	Info    media.TrackInfo
	Samples []media.Sample
}

// Outcome says what Add did with a segment.
type Outcome int

// Outcomes of Add.
const (
	// Accepted: stored and placed on the timeline.
	Accepted Outcome = iota + 1
	// Duplicate: the timeline already holds this media (the other input
	// or a repeated upload delivered it); nothing was stored.
	Duplicate
	// Standby: held in memory because it came from the standby input.
	Standby
	// Late: older than the live edge and not needed; dropped.
	Late
	// Fallback: the last segment of an input that ended while the other
	// input delivers; held until the other input's segment for the same
	// time arrives, placed only if none does (end.go).
	Fallback
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Duplicate:
		return "duplicate"
	case Standby:
		return "standby"
	case Late:
		return "late"
	case Fallback:
		return "fallback"
	}
	return "unknown"
}

// Timeline is one channel's live timeline: the shell around its core
// (core.go). Ingest calls SetRenditions, Add and EndInput; packagers read
// immutable snapshots with Snapshot and Wait. Every method is safe for
// concurrent use.
type Timeline struct {
	id string
	m  *Manager

	snap    atomic.Pointer[Snapshot]
	changed atomic.Pointer[chan struct{}]

	mu      sync.Mutex // guards everything below
	c       *core
	version uint64
	deleted bool
}

func newTimeline(m *Manager, id string) *Timeline {
	t := &Timeline{id: id, m: m, c: newCore(id, m.failoverFactor)}
	ch := make(chan struct{})
	t.changed.Store(&ch)
	t.snap.Store(&Snapshot{Channel: id})
	return t
}

// ID is the channel id.
func (t *Timeline) ID() string { return t.id }

// Snapshot returns the current snapshot.
func (t *Timeline) Snapshot() *Snapshot { return t.snap.Load() }

// Wait returns the first snapshot whose Version is above after, waiting
// for one to be published until ctx ends.
func (t *Timeline) Wait(ctx context.Context, after uint64) (*Snapshot, error) {
	for {
		ch := *t.changed.Load()
		if s := t.snap.Load(); s.Version > after {
			return s, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Anchor returns the input time the next segment from input is expected
// to start at, for unwrapping 33-bit MPEG-TS timestamps; -1 when nothing
// is known.
func (t *Timeline) Anchor(input Input) media.Ticks {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.c.anchor(input)
}

// SetRenditions records what the multivariant playlist of input declares.
// Only the active input's declaration is shown to packagers.
func (t *Timeline) SetRenditions(input Input, rs []Rendition) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.c.setRenditions(input, rs)
	t.apply(context.Background(), t.m.clock.Now())
}

// Status reports the channel's ingest health at now.
func (t *Timeline) Status(now time.Time) Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.c.status(now, t.snap.Load().Updated)
}

// Add places a parsed ingest segment on the timeline: it maps the input's
// timestamps to the channel timeline, stores one CMAF fragment per track
// (durably, before anything refers to it) and publishes the slot once
// every expected track delivered or its grace period ended.
func (t *Timeline) Add(ctx context.Context, seg *IngestSegment) (Outcome, error) {
	if err := trimLeading(seg); err != nil {
		return 0, err
	}
	return t.add(ctx, seg, addNew)
}

// add is Add for a segment from mode: the core plans, the shell replays
// what a failover brought, writes the reserved fragments and hands them
// back to the core.
func (t *Timeline) add(ctx context.Context, seg *IngestSegment, mode addMode) (Outcome, error) {
	for {
		now := t.m.clock.Now()
		t.mu.Lock()
		if t.deleted {
			t.mu.Unlock()
			return 0, ErrDeleted
		}
		p, err := t.c.place(seg, mode, now)
		t.apply(ctx, now)
		t.mu.Unlock()
		switch {
		case err != nil:
			return 0, err
		case p.write != nil:
			return t.fill(ctx, p.write, now)
		}
		t.replay(ctx, p.replay)
		if !p.again {
			return p.outcome, nil
		}
		mode = addReplay
	}
}

// fill writes a reservation's fragments outside the lock and hands them
// to the core: the slot is published when ready, the live edge amended.
func (t *Timeline) fill(ctx context.Context, r *reservation, now time.Time) (Outcome, error) {
	frags, werr := t.write(ctx, r)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.c.release(r)
	if werr != nil {
		// The slot may have waited only for us.
		t.publish(ctx, now)
		return 0, werr
	}
	if r.slot.amend {
		return t.amend(ctx, r, frags, now)
	}
	out := t.c.fill(r, frags, now)
	t.apply(ctx, now)
	if out != Accepted {
		return out, nil
	}
	if err := t.tryPublish(ctx, now); err != nil {
		// The slot stays pending with its fragments; the next publish
		// retries the commit, so nothing is listed before it is indexed.
		return 0, err
	}
	t.c.refreshEnded(now)
	t.apply(ctx, now)
	return Accepted, nil
}

// amend commits fragments added to the published live edge.
func (t *Timeline) amend(ctx context.Context, r *reservation, frags []Fragment, now time.Time) (Outcome, error) {
	a, out := t.c.amend(r, frags)
	t.apply(ctx, now)
	if a == nil {
		return out, nil
	}
	st := t.c.st
	if err := t.m.index.commit(t.id, &st, t.c.tracks, []Segment{a.seg}); err != nil {
		// Not listed, so never readable through the index: drop the bytes.
		t.m.metrics.failed(t.id, "commit")
		t.discard(ctx, "commit failed", a.add)
		return 0, err
	}
	t.c.amended(a, now)
	t.apply(ctx, now)
	return out, nil
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
	replay := t.c.inputEnded(input, now)
	t.apply(ctx, now)
	t.mu.Unlock()
	t.replay(ctx, replay)
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
	replay, fallback := t.c.tick(now)
	t.apply(ctx, now)
	t.mu.Unlock()
	t.replay(ctx, replay)
	t.placeFallback(ctx, fallback)
}
