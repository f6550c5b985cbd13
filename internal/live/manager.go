// Package live keeps every channel's live timeline: its tracks, the CMAF
// fragments ingest stored, a segment index with deterministic sequence
// numbers that are persisted and never reused, discontinuities, gaps,
// program date-time and which of the two inputs is active (DESIGN.md §2).
// Ingest writes; packagers read immutable snapshots.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
	"boxcar/internal/live/index"
	"boxcar/internal/live/index/boltindex"
	"boxcar/internal/store"
)

// Options configure a Manager.
type Options struct {
	// DataDir holds the timeline index (timeline.db) when Index is nil.
	DataDir string
	// Index persists the timelines; nil opens the embedded one under
	// DataDir. Close closes it.
	Index index.Index
	// Store holds media objects.
	Store  store.Store
	Clock  clock.Clock
	Logger *slog.Logger
	// Registry receives the timeline metrics; nil for none.
	Registry prometheus.Registerer
	// FailoverFactor × the ingest target duration of silence makes the
	// standby input active. Default 1.5.
	FailoverFactor float64
	// Retention returns how much media (before the live edge) a channel
	// must keep. Nil keeps DefaultRetention.
	Retention func(channelID string) time.Duration
	// SweepInterval is how often retention runs. Default 10 s.
	SweepInterval time.Duration
	// TickInterval is how often slot deadlines and failover are checked.
	// Default 100 ms.
	TickInterval time.Duration
	// OrphanMargin is how long media found unlisted at startup waits
	// before a sweep removes it (see Manager.sweepOrphans). Default
	// DefaultOrphanMargin.
	OrphanMargin time.Duration
}

// DefaultOrphanMargin is the default Options.OrphanMargin: far longer
// than any write takes.
const DefaultOrphanMargin = 2 * time.Minute

// maxOrphanDeletes bounds the unlisted objects one sweep removes per
// channel, which bounds how long it holds the channel's lock.
const maxOrphanDeletes = 256

// DefaultRetention is kept for channels when Options.Retention is nil.
const DefaultRetention = 10 * time.Minute

// Manager owns every channel's timeline. It is safe for concurrent use.
type Manager struct {
	store          store.Store
	index          *indexCodec
	clock          clock.Clock
	log            *slog.Logger
	metrics        *metrics
	failoverFactor float64
	retention      func(string) time.Duration
	sweepEvery     time.Duration
	tickEvery      time.Duration
	orphanMargin   time.Duration

	mu       sync.Mutex
	channels map[string]*Timeline

	// orphans are media objects no timeline listed at startup, by key,
	// with the time they were found. orphanMu is taken last: nothing
	// else is locked while it is held.
	orphanMu sync.Mutex
	orphans  map[string]time.Time
}

// Open opens the timeline index under opts.DataDir and restores every
// channel's timeline from it. Segments whose media is missing or torn in
// the store are turned into gaps, so nothing listed is unreadable.
func Open(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FailoverFactor <= 0 {
		opts.FailoverFactor = 1.5
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = 10 * time.Second
	}
	if opts.TickInterval <= 0 {
		opts.TickInterval = 100 * time.Millisecond
	}
	if opts.OrphanMargin <= 0 {
		opts.OrphanMargin = DefaultOrphanMargin
	}
	if opts.Retention == nil {
		opts.Retention = func(string) time.Duration { return DefaultRetention }
	}
	kv := opts.Index
	if kv == nil {
		bx, err := boltindex.Open(filepath.Join(opts.DataDir, "timeline.db"))
		if err != nil {
			return nil, fmt.Errorf("live: open timeline index: %w", err)
		}
		kv = bx
	}
	ix := &indexCodec{kv: kv}
	m := &Manager{
		store:          opts.Store,
		index:          ix,
		clock:          opts.Clock,
		log:            opts.Logger,
		failoverFactor: opts.FailoverFactor,
		retention:      opts.Retention,
		sweepEvery:     opts.SweepInterval,
		tickEvery:      opts.TickInterval,
		orphanMargin:   opts.OrphanMargin,
		channels:       make(map[string]*Timeline),
		orphans:        make(map[string]time.Time),
	}
	m.metrics = newMetrics(m)
	if opts.Registry != nil {
		if err := m.metrics.register(opts.Registry); err != nil {
			ix.close()
			return nil, err
		}
	}
	if err := m.restore(ctx); err != nil {
		ix.close()
		return nil, err
	}
	m.findOrphans(ctx)
	return m, nil
}

// findOrphans notes the media objects that nothing restored lists: the
// fragments and inits a crash left between writing them and committing
// the index (bytes first, index second), including those of a channel
// whose first segment never reached the index. Sweep removes them once
// they stayed unlisted for the margin. Nothing is written yet while Open
// runs, so what is unlisted now is left over, not in flight; the margin
// and the check again at removal are for the keys a resumed channel
// writes again (sequence numbers past the index are reused).
func (m *Manager) findOrphans(ctx context.Context) {
	keys, err := m.store.List(ctx, "media/")
	if err != nil {
		m.log.Error("timeline: list media for unlisted objects", "err", err)
		return
	}
	now := m.clock.Now()
	refs := make(map[string]func(string) bool)
	perChannel := make(map[string]int)
	for _, key := range keys {
		id, ok := mediaChannel(key)
		if !ok {
			continue
		}
		listed, seen := refs[id]
		if !seen {
			listed = func(string) bool { return false }
			if t, ok := m.Lookup(id); ok {
				t.mu.Lock()
				listed = t.c.refersTo()
				t.mu.Unlock()
			}
			refs[id] = listed
		}
		if listed(key) {
			continue
		}
		m.orphanMu.Lock()
		m.orphans[key] = now
		m.orphanMu.Unlock()
		perChannel[id]++
	}
	for id, n := range perChannel {
		m.log.Warn("timeline: media objects no index lists, left by a crash; removing them after the margin",
			"channel", id, "objects", n, "margin", m.orphanMargin)
	}
}

// mediaChannel returns the channel id of a media key, media/<id>/....
func mediaChannel(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "media/")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	return id, ok && id != ""
}

// sweepOrphans removes the objects findOrphans noted once they stayed
// unlisted for the margin. Each is checked again, and deleted, under the
// lock that writers of its channel take to reserve a key: the timeline's
// mu, or the manager's mu for a channel without a timeline (one must be
// created before anything is written). An object the timeline refers to
// by now (a resumed channel wrote the same key) is kept and forgotten.
func (m *Manager) sweepOrphans(ctx context.Context) error {
	now := m.clock.Now()
	byChannel := make(map[string][]string)
	m.orphanMu.Lock()
	for key, found := range m.orphans {
		if now.Sub(found) < m.orphanMargin {
			continue
		}
		id, _ := mediaChannel(key)
		if len(byChannel[id]) < maxOrphanDeletes {
			byChannel[id] = append(byChannel[id], key)
		}
	}
	m.orphanMu.Unlock()
	var errs []error
	for id, keys := range byChannel {
		sort.Strings(keys)
		removed, kept, err := m.removeOrphans(ctx, id, keys)
		if err != nil {
			errs = append(errs, err)
		}
		if removed > 0 {
			m.metrics.orphans.Add(float64(removed))
			m.log.Info("timeline: removed media objects no index lists", "channel", id, "objects", removed, "kept_relisted", kept)
		}
	}
	return errors.Join(errs...)
}

// removeOrphans deletes the keys of one channel that it still does not
// list, and forgets every key it handled.
func (m *Manager) removeOrphans(ctx context.Context, id string, keys []string) (removed, kept int, err error) {
	m.mu.Lock()
	t, ok := m.channels[id]
	if ok {
		m.mu.Unlock()
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.deleted {
			// DeleteChannel removes the whole prefix.
			m.forgetOrphans(keys)
			return 0, 0, nil
		}
	} else {
		defer m.mu.Unlock()
	}
	listed := func(string) bool { return false }
	if ok {
		listed = t.c.refersTo()
	}
	var errs []error
	done := keys[:0:0]
	for _, key := range keys {
		if listed(key) {
			kept++
			done = append(done, key)
			continue
		}
		if err := m.store.Delete(ctx, key); err != nil {
			m.metrics.failed(id, "delete")
			errs = append(errs, fmt.Errorf("live: channel %q: delete unlisted %s: %w", id, key, err))
			continue
		}
		removed++
		done = append(done, key)
	}
	m.forgetOrphans(done)
	return removed, kept, errors.Join(errs...)
}

func (m *Manager) forgetOrphans(keys []string) {
	m.orphanMu.Lock()
	for _, k := range keys {
		delete(m.orphans, k)
	}
	m.orphanMu.Unlock()
}

// restore rebuilds the timelines from the index.
func (m *Manager) restore(ctx context.Context) error {
	recs, err := m.index.load()
	if err != nil {
		return err
	}
	now := m.clock.Now()
	for id, rec := range recs {
		t := newTimeline(m, id)
		segs, repaired := m.verify(ctx, rec.Segments)
		if len(repaired) > 0 {
			m.log.Warn("timeline: media missing or torn after restart; listed as gaps", "channel", id, "segments", len(repaired))
			if err := m.index.replaceSegments(id, repaired); err != nil {
				return err
			}
		}
		t.c.restore(rec.State, rec.Tracks, segs)
		t.publishSnapshot(now)
		m.channels[id] = t
	}
	return nil
}

// verify checks that every fragment of segs is whole in the store. It
// returns the segments with unreadable fragments removed (a segment left
// without fragments becomes a gap) and the segments it changed.
func (m *Manager) verify(ctx context.Context, segs []Segment) (out, changed []Segment) {
	sizer, _ := m.store.(store.Sizer)
	for _, s := range segs {
		if sizer == nil || len(s.Frags) == 0 {
			out = append(out, s)
			continue
		}
		kept := s.Frags[:0:0]
		for _, f := range s.Frags {
			n, err := sizer.Size(ctx, f.StoreKey)
			if err == nil && n == int64(f.Size) {
				kept = append(kept, f)
			}
		}
		if len(kept) != len(s.Frags) {
			s.Frags = kept
			s.Gap = len(kept) == 0
			changed = append(changed, s)
		}
		out = append(out, s)
	}
	return out, changed
}

// Timeline returns the channel's timeline, creating an empty one.
func (m *Manager) Timeline(channelID string) *Timeline {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.channels[channelID]
	if !ok {
		t = newTimeline(m, channelID)
		m.channels[channelID] = t
	}
	return t
}

// Lookup returns the channel's timeline if it has one.
func (m *Manager) Lookup(channelID string) (*Timeline, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.channels[channelID]
	return t, ok
}

// Channels returns the ids of every channel with a timeline.
func (m *Manager) Channels() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.channels))
	for id := range m.channels {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (m *Manager) timelines() []*Timeline {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := make([]*Timeline, 0, len(m.channels))
	for _, t := range m.channels {
		ts = append(ts, t)
	}
	return ts
}

// DeleteChannel removes a channel's timeline, index and media.
func (m *Manager) DeleteChannel(ctx context.Context, channelID string) error {
	m.mu.Lock()
	t, ok := m.channels[channelID]
	delete(m.channels, channelID)
	m.mu.Unlock()
	if ok {
		t.mu.Lock()
		t.deleted = true
		t.mu.Unlock()
	}
	m.metrics.forget(channelID)
	if err := m.index.deleteChannel(channelID); err != nil {
		return err
	}
	if err := m.store.DeletePrefix(ctx, "media/"+channelID+"/"); err != nil {
		return fmt.Errorf("live: delete media of %q: %w", channelID, err)
	}
	return nil
}

// Run publishes slots whose grace period ended, fails channels over to
// their standby input and enforces retention, until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	nextSweep := m.clock.Now().Add(m.sweepEvery)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.clock.After(m.tickEvery):
		}
		now := m.clock.Now()
		m.Tick(ctx, now)
		if !now.Before(nextSweep) {
			nextSweep = now.Add(m.sweepEvery)
			if err := m.Sweep(ctx); err != nil {
				m.log.Error("retention sweep", "err", err)
			}
		}
	}
}

// Tick runs deadline and failover checks of every channel at now. Run
// calls it; tests call it with a fake clock.
func (m *Manager) Tick(ctx context.Context, now time.Time) {
	for _, t := range m.timelines() {
		t.tick(ctx, now)
	}
}

// Sweep enforces retention on every channel once and removes the media
// left unlisted by a crash once its margin passed.
func (m *Manager) Sweep(ctx context.Context) error {
	var errs []error
	for _, t := range m.timelines() {
		if err := t.trim(ctx, m.retention(t.id)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := m.sweepOrphans(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Close closes the timeline index.
func (m *Manager) Close() error { return m.index.close() }
