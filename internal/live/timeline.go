package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	// Events are timed metadata with input times (90 kHz).
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

// Timeline is one channel's live timeline. Ingest calls SetRenditions and
// Add; packagers read immutable snapshots with Snapshot and Wait. Every
// method is safe for concurrent use.
type Timeline struct {
	id string
	m  *Manager

	snap    atomic.Pointer[Snapshot]
	changed atomic.Pointer[chan struct{}]

	mu       sync.Mutex // guards everything below
	st       channelState
	tracks   []*Track  // copy on write: shared with snapshots
	segs     []Segment // published window; shared with snapshots
	pending  []*slot   // unpublished slots, ascending start
	lastSeen map[int]uint64
	// renditionSeen is the newest slot each rendition delivered to.
	renditionSeen map[string]uint64
	// publishedHere counts slots published since this process started.
	publishedHere int
	standby       []*IngestSegment // recent segments of the standby input
	// fallback holds the last segments of the input that ended while the
	// other delivered, until fallbackUntil (end.go).
	fallback      []*IngestSegment
	fallbackUntil time.Time
	bytes         int64 // media bytes in the window
	version       uint64
	deleted       bool
	// lastFrag is the wall time of each track's newest fragment.
	lastFrag map[int]time.Time
}

// slot is a segment being assembled.
type slot struct {
	seq      uint64
	start    int64
	dur      int64
	pdt      time.Time
	disc     bool
	gap      bool
	input    Input
	created  time.Time
	hasVideo bool
	frags    []Fragment
	inflight map[int]bool
	events   []Event
	// renditions that delivered to the slot.
	renditions map[string]bool
	// amend marks a stand-in for the published live-edge segment, which
	// takes fragments of tracks it lacks (copy on write).
	amend bool
	// resumed marks the first slot after the output had ended.
	resumed bool
}

func (s *slot) has(track int) bool {
	if s.inflight[track] {
		return true
	}
	for i := range s.frags {
		if s.frags[i].Track == track {
			return true
		}
	}
	return false
}

func newTimeline(m *Manager, id string) *Timeline {
	t := &Timeline{
		id:            id,
		m:             m,
		lastSeen:      make(map[int]uint64),
		renditionSeen: make(map[string]uint64),
		lastFrag:      make(map[int]time.Time),
		st:            channelState{NextTrackID: 1, NextSeq: 1, Inputs: make(map[Input]inputState)},
	}
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

// Anchor returns the input time (90 kHz) the next segment from input is
// expected to start at, for unwrapping 33-bit MPEG-TS timestamps; -1 when
// nothing is known.
func (t *Timeline) Anchor(input Input) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if in, ok := t.st.Inputs[input]; ok && in.Mapped {
		return in.LastEnd
	}
	for _, in := range t.st.Inputs {
		if in.Mapped {
			return in.LastEnd
		}
	}
	return -1
}

// SetRenditions records what the multivariant playlist of input declares.
// Only the active input's declaration is shown to packagers.
func (t *Timeline) SetRenditions(input Input, rs []Rendition) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.st.Active != 0 && input != t.st.Active && !t.st.Inputs[t.st.Active].Ended {
		return
	}
	t.st.Renditions = append([]Rendition(nil), rs...)
	t.publishSnapshot(t.m.clock.Now())
}

// Add places a parsed ingest segment on the timeline: it maps the input's
// timestamps to the channel timeline, stores one CMAF fragment per track
// (durably, before anything refers to it) and publishes the slot once
// every expected track delivered or its grace period ended.
func (t *Timeline) Add(ctx context.Context, seg *IngestSegment) (Outcome, error) {
	if err := trimLeading(seg); err != nil {
		return 0, err
	}
	out, err := t.add(ctx, seg, addNew)
	if err == nil && out == Standby {
		t.m.metrics.dropped(t.id, "standby")
	}
	return out, err
}

// trimLeading drops video samples before the first sync sample (a
// fragment must start at a keyframe) and checks there is media left.
func trimLeading(seg *IngestSegment) error {
	any := false
	for i := range seg.Tracks {
		tr := &seg.Tracks[i]
		if tr.Info.Kind == media.KindVideo {
			k := 0
			for k < len(tr.Samples) && !tr.Samples[k].Sync {
				k++
			}
			tr.Samples = tr.Samples[k:]
		}
		if len(tr.Samples) > 0 {
			any = true
		}
	}
	if !any {
		return ErrNoMedia
	}
	return nil
}

// span returns the segment's input-time start and duration in 90 kHz,
// from its video track when it has one.
func span(seg *IngestSegment) (start, dur int64) {
	pick := -1
	for i := range seg.Tracks {
		if len(seg.Tracks[i].Samples) == 0 {
			continue
		}
		if pick < 0 || seg.Tracks[i].Info.Kind == media.KindVideo && seg.Tracks[pick].Info.Kind != media.KindVideo {
			pick = i
		}
	}
	tr := &seg.Tracks[pick]
	first, last := tr.Samples[0], tr.Samples[len(tr.Samples)-1]
	ts := tr.Info.Timescale
	start = media.Rescale(first.DTS, ts, media.VideoTimescale)
	end := media.Rescale(last.DTS+int64(last.Duration), ts, media.VideoTimescale)
	return start, end - start
}

// addMode says where a segment handed to add comes from.
type addMode int

const (
	// addNew: just delivered by ingest.
	addNew addMode = iota
	// addReplay: a buffered standby segment, placed after a failover.
	addReplay
	// addFallback: the last segment of an ended input, placed because the
	// other input delivered nothing for its time (end.go).
	addFallback
)

// add is Add for a segment from mode.
func (t *Timeline) add(ctx context.Context, seg *IngestSegment, mode addMode) (Outcome, error) {
	inStart, inDur := span(seg)
	now := t.m.clock.Now()

	t.mu.Lock()
	if t.deleted {
		t.mu.Unlock()
		return 0, ErrDeleted
	}
	if seg.TargetDuration > 0 {
		t.st.TargetDuration = seg.TargetDuration
	}
	in := t.st.Inputs[seg.Input]
	if mode == addNew {
		in.LastDelivery = now
		t.st.Inputs[seg.Input] = in
		t.noteEnd(seg, inStart, inDur)
	}
	if t.st.Active == 0 {
		t.st.Active = seg.Input
		t.m.log.Info("input active", "channel", t.id, "input", int(seg.Input))
	}
	if mode != addFallback && seg.Input != t.st.Active {
		if t.st.Inputs[seg.Input].Ended {
			// The last segments of an input that ended (late renditions
			// of its last playlists too): kept only as the fallback of
			// an input the channel just failed over from, never as a
			// failover target.
			out := t.holdFallback(seg)
			t.mu.Unlock()
			if out == Late {
				t.m.metrics.dropped(t.id, "late")
			}
			return out, nil
		}
		if !t.failoverDue(now) {
			t.holdStandby(seg, inStart)
			t.mu.Unlock()
			return Standby, nil
		}
		replay := t.failOver(seg.Input, now, t.switchReason())
		t.mu.Unlock()
		t.replay(ctx, replay)
		return t.add(ctx, seg, addReplay)
	}
	if mode == addNew && seg.Ended && t.inputLive(t.otherInput(seg.Input), now) {
		// The active input ended while the other delivers: fail over at
		// once and hold this last (often short) segment until the other
		// input's segment for the same time arrives.
		t.fallback = append(t.fallback[:0], seg)
		t.fallbackUntil = now.Add(t.failoverTimeout())
		replay := t.failOver(t.otherInput(seg.Input), now, fmt.Sprintf("input %d ended", seg.Input))
		t.mu.Unlock()
		t.replay(ctx, replay)
		return Fallback, nil
	}
	// An input that ended (a late rendition of its last playlist
	// included) does not reopen the output; one that resumed does.
	reopen := t.st.Ended && !t.st.Inputs[seg.Input].Ended && mode != addFallback
	if reopen {
		// The output had ended and an input resumes: the live
		// presentation reopens after one discontinuity.
		seg.Discontinuity = true
		t.st.Ended = false
		t.m.log.Info("channel output reopened", "channel", t.id, "input", int(seg.Input))
	}

	// Map input time to channel time.
	c, disc, ok := t.mapTime(seg, inStart)
	if !ok {
		t.mu.Unlock()
		return 0, fmt.Errorf("live: channel %q: cannot map segment %q", t.id, seg.Name)
	}
	in = t.st.Inputs[seg.Input]
	if end := inStart + inDur; end > in.LastEnd || disc {
		in.LastEnd = end
	}
	t.st.Inputs[seg.Input] = in

	// Validate tracks before changing anything.
	for i := range seg.Tracks {
		if tr := t.findTrack(seg.Rendition, seg.Tracks[i].Key); tr != nil && tr.Latest().Info.Codec != seg.Tracks[i].Info.Codec {
			t.mu.Unlock()
			return 0, fmt.Errorf("%w: rendition %q track %s was %s, now %s", ErrCodecChanged, seg.Rendition, seg.Tracks[i].Key, tr.Latest().Info.Codec, seg.Tracks[i].Info.Codec)
		}
	}

	s, outcome := t.placeSlot(seg, c, inDur, disc, now)
	if s == nil {
		t.refreshEnded(now)
		t.mu.Unlock()
		t.m.metrics.dropped(t.id, outcome.String())
		return outcome, nil
	}
	if reopen && s.disc {
		s.resumed = true
	}

	// Reserve the tracks this segment fills and resolve their inits.
	type job struct {
		track   *Track
		init    int
		newInit bool
		in      *IngestTrack
	}
	var jobs []job
	for i := range seg.Tracks {
		it := &seg.Tracks[i]
		if len(it.Samples) == 0 {
			continue
		}
		tr, initIdx, newInit := t.resolveTrack(seg.Rendition, it)
		if s.has(tr.ID) {
			continue
		}
		if newInit && initIdx > 0 && len(s.frags) == 0 {
			s.disc = true
		}
		if s.inflight == nil {
			s.inflight = make(map[int]bool)
		}
		s.inflight[tr.ID] = true
		jobs = append(jobs, job{track: tr, init: initIdx, newInit: newInit, in: it})
	}
	for _, e := range seg.Events {
		if e.Time >= 0 {
			e.Time += t.st.Inputs[seg.Input].Offset
		}
		s.events = append(s.events, e)
	}
	offset := t.st.Inputs[seg.Input].Offset
	seq := s.seq
	t.mu.Unlock()

	if len(jobs) == 0 {
		t.m.metrics.dropped(t.id, "duplicate")
		return Duplicate, nil
	}

	// Write inits and fragments outside the lock, tracks in parallel: each
	// write waits for its own sync, so their latencies overlap.
	frags := make([]Fragment, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frags[i], errs[i] = t.writeFragment(ctx, j.track, j.init, j.newInit, j.in, offset, seq)
		}()
	}
	wg.Wait()
	werr := errors.Join(errs...)
	if werr != nil {
		// The segment is not placed: the fragments that were written
		// are orphans.
		var written []Fragment
		for i, f := range frags {
			if errs[i] == nil {
				written = append(written, f)
			}
		}
		t.discard(ctx, "write failed", written)
		frags = nil
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	for _, j := range jobs {
		delete(s.inflight, j.track.ID)
	}
	if werr != nil {
		// The slot may have waited only for us.
		t.publish(ctx, now)
		return 0, werr
	}
	if s.amend {
		return t.amendEdge(ctx, s, seg.Rendition, frags, now)
	}
	if !t.isPending(s) {
		// Published without us while we wrote (grace ended): drop.
		t.discard(ctx, "late", frags)
		t.m.metrics.dropped(t.id, "late")
		return Late, nil
	}
	if s.renditions == nil {
		s.renditions = make(map[string]bool)
	}
	s.renditions[seg.Rendition] = true
	t.renditionSeen[seg.Rendition] = s.seq
	for _, f := range frags {
		s.frags = append(s.frags, f)
		t.lastSeen[f.Track] = s.seq
		t.lastFrag[f.Track] = now
		if tr := t.trackByID(f.Track); tr != nil && tr.Kind == media.KindVideo && !s.hasVideo && !s.gap {
			// The video fragment defines the slot's span.
			s.hasVideo = true
			s.start = media.Rescale(f.DTS, tr.Inits[f.Init].Info.Timescale, media.VideoTimescale)
			s.dur = media.Rescale(f.Duration, tr.Inits[f.Init].Info.Timescale, media.VideoTimescale)
		}
	}
	sort.Slice(s.frags, func(a, b int) bool { return s.frags[a].Track < s.frags[b].Track })
	if err := t.tryPublish(ctx, now); err != nil {
		// The slot stays pending with its fragments; the next publish
		// retries the commit, so nothing is listed before it is indexed.
		return 0, err
	}
	t.refreshEnded(now)
	return Accepted, nil
}
