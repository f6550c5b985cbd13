package live

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
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
	// reopening is set while the first slot after an ended output is
	// being placed.
	reopening bool
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
		if seg.Ended {
			// The last segments of a standby input: kept only as the
			// fallback of an input the channel just failed over from.
			out := t.holdFallback(seg)
			t.mu.Unlock()
			return out, nil
		}
		if !t.failoverDue(now) {
			t.holdStandby(seg, inStart)
			t.mu.Unlock()
			return Standby, nil
		}
		t.switchInput(seg.Input, now, t.switchReason())
		replay := t.pickReplay()
		t.standby = nil
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
		t.switchInput(t.otherInput(seg.Input), now, fmt.Sprintf("input %d ended", seg.Input))
		replay := t.pickReplay()
		t.standby = nil
		t.mu.Unlock()
		t.replay(ctx, replay)
		return Fallback, nil
	}
	if t.st.Ended && !seg.Ended && mode != addFallback {
		// The output had ended and an input resumes: the live
		// presentation reopens after one discontinuity.
		seg.Discontinuity = true
		t.st.Ended = false
		t.reopening = true
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
	if t.reopening && s.disc {
		s.resumed, t.reopening = true, false
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

// writeFragment stores a track's init (when new) and the fragment made of
// the ingest samples moved to channel time.
func (t *Timeline) writeFragment(ctx context.Context, tr *Track, initIdx int, newInit bool, it *IngestTrack, offset int64, seq uint64) (Fragment, error) {
	info := &tr.Inits[initIdx].Info
	if newInit {
		b, err := fmp4.WriteInit(uint32(tr.ID), *info)
		if err != nil {
			return Fragment{}, fmt.Errorf("live: channel %q track %d: write init: %w", t.id, tr.ID, err)
		}
		if err := t.m.store.Put(ctx, tr.Inits[initIdx].StoreKey, b); err != nil {
			return Fragment{}, fmt.Errorf("live: channel %q track %d: store init: %w", t.id, tr.ID, err)
		}
	}
	shift := media.Rescale(offset, media.VideoTimescale, info.Timescale)
	samples := make([]media.Sample, len(it.Samples))
	copy(samples, it.Samples)
	for i := range samples {
		samples[i].DTS += shift
	}
	b, err := fmp4.WriteFragment(uint32(seq), uint32(tr.ID), samples)
	if err != nil {
		return Fragment{}, fmt.Errorf("live: channel %q track %d: write fragment: %w", t.id, tr.ID, err)
	}
	key := fmt.Sprintf("media/%s/%d/%d.m4s", t.id, tr.ID, seq)
	if err := t.m.store.Put(ctx, key, b); err != nil {
		return Fragment{}, fmt.Errorf("live: channel %q track %d: store fragment: %w", t.id, tr.ID, err)
	}
	last := samples[len(samples)-1]
	return Fragment{
		Track:    tr.ID,
		Init:     initIdx,
		StoreKey: key,
		Size:     len(b),
		DTS:      samples[0].DTS,
		Duration: last.DTS + int64(last.Duration) - samples[0].DTS,
		Samples:  len(samples),
		CRC32:    crc32.ChecksumIEEE(b),
	}, nil
}

// nominal is the expected segment duration in 90 kHz.
func (t *Timeline) nominal(seg *IngestSegment, inDur int64) int64 {
	if d := t.st.TargetDuration; d > 0 {
		return int64(d.Seconds() * media.VideoTimescale)
	}
	if inDur > 0 {
		return inDur
	}
	return 2 * media.VideoTimescale
}

// edge is the channel time just after the newest slot, published or not.
func (t *Timeline) edge() int64 {
	if n := len(t.pending); n > 0 {
		return t.pending[n-1].start + t.pending[n-1].dur
	}
	if n := len(t.segs); n > 0 {
		return t.segs[n-1].End()
	}
	return 0
}

// empty reports whether the timeline holds no slot at all.
func (t *Timeline) empty() bool { return len(t.pending) == 0 && len(t.segs) == 0 }

// windowStart is the channel time of the oldest slot.
func (t *Timeline) windowStart() int64 {
	if len(t.segs) > 0 {
		return t.segs[0].Start
	}
	if len(t.pending) > 0 {
		return t.pending[0].start
	}
	return 0
}

// restartJump is how many nominal segment durations an input's timestamps
// may go back before it counts as restarted.
const restartJump = 3

// maxForwardJump is how far past the edge a segment may start and still
// count as the same timestamp sequence (the encoder skipped segments);
// beyond it the input is treated as restarted.
const maxForwardJump = 60 * media.VideoTimescale

// plausible reports whether channel time c continues the timeline.
func (t *Timeline) plausible(c, tol int64) bool {
	if t.empty() {
		return false
	}
	return c >= t.windowStart()-tol && c <= t.edge()+maxForwardJump
}

// mapTime maps the segment's input start to channel time, updating the
// input's offset; disc reports a new discontinuity.
func (t *Timeline) mapTime(seg *IngestSegment, inStart int64) (c int64, disc bool, ok bool) {
	tol := t.nominal(seg, 0) / 2
	in := t.st.Inputs[seg.Input]
	defer func() { t.st.Inputs[seg.Input] = in }()
	// Timestamps that land in the window continue the timeline (a segment
	// matching a stored one is a duplicate). An encoder that restarts is
	// told apart by ingest, which sees its media sequence numbers restart
	// and flags a discontinuity, or by its timestamps going back by more
	// than a few segments (a retransmission or a lagging rendition goes
	// back by one or two at most).
	restarted := in.Mapped && inStart < in.LastEnd-restartJump*2*tol
	// Another rendition of the input flags the discontinuity the input
	// was just remapped for: same start, and the input has not moved on.
	sameDisc := in.Remapped && abs(inStart-in.RemapStart) <= tol && in.LastEnd-in.RemapStart <= 4*tol
	if in.Mapped && !restarted && (!seg.Discontinuity || sameDisc) {
		if c := inStart + in.Offset; t.plausible(c, tol) {
			return c, false, true
		}
	}
	if !in.Mapped && !seg.Discontinuity && !restarted {
		for other, os := range t.st.Inputs {
			if other == seg.Input || !os.Mapped {
				continue
			}
			if c := inStart + os.Offset; t.plausible(c, tol) {
				in.Offset, in.Mapped = os.Offset, true
				return c, false, true
			}
		}
	}
	if t.empty() {
		// The channel's first segment: channel time is its input time.
		in.Offset, in.Mapped = 0, true
		return inStart, false, true
	}
	// A restart or jump: continue at the edge after a discontinuity.
	edge := t.edge()
	in.Offset, in.Mapped, in.RemapStart, in.Remapped = edge-inStart, true, inStart, true
	return edge, true, true
}

// placeSlot finds or creates the slot for channel time c. It returns nil
// and an outcome when the segment is not needed.
func (t *Timeline) placeSlot(seg *IngestSegment, c, dur int64, disc bool, now time.Time) (*slot, Outcome) {
	nominal := t.nominal(seg, dur)
	tol := nominal / 2
	if !disc {
		for _, s := range t.pending {
			if abs(s.start-c) <= tol {
				if s.gap {
					s.gap = false
					s.start, s.dur = c, dur
					s.input = seg.Input
					s.created = now
				}
				return s, 0
			}
		}
		i := sort.Search(len(t.segs), func(i int) bool { return t.segs[i].Start >= c-tol })
		if i < len(t.segs) && abs(t.segs[i].Start-c) <= tol {
			if i == len(t.segs)-1 && !t.segs[i].Gap {
				// The live edge may still take a rendition that came back
				// just after the others published it.
				last := &t.segs[i]
				return &slot{seq: last.Seq, start: last.Start, dur: last.Duration, input: last.Input,
					frags: last.Frags, amend: true, hasVideo: true}, 0
			}
			return nil, Duplicate
		}
		if c < t.edge()-tol {
			return nil, Late
		}
	}
	edge := t.edge()
	if !disc && !t.empty() && c-edge > tol {
		// Nothing arrived between the edge and c: gap slots keep the
		// timeline (and its numbering) continuous.
		n := int64(math.Round(float64(c-edge) / float64(nominal)))
		if n < 1 {
			n = 1
		}
		step := (c - edge) / n
		for k := int64(0); k < n; k++ {
			d := step
			if k == n-1 {
				d = c - edge - step*(n-1)
			}
			g := t.newSlot(edge+step*k, d, false, seg.Input, now, nominal)
			g.gap = true
		}
	}
	s := t.newSlot(c, dur, disc, seg.Input, now, nominal)
	t.setPDT(s, seg, now)
	return s, 0
}

func (t *Timeline) newSlot(start, dur int64, disc bool, input Input, now time.Time, nominal int64) *slot {
	s := &slot{seq: t.st.NextSeq, start: start, dur: dur, disc: disc, input: input, created: now}
	t.st.NextSeq++
	target := time.Duration(nominal) * time.Second / media.VideoTimescale
	if n := len(t.st.Runs); disc || n == 0 || t.st.Runs[n-1].Target != target {
		t.st.Runs = append(t.st.Runs, Run{FirstSeq: s.seq, Target: target})
	}
	if disc {
		t.st.DiscSeq++
	}
	s.pdt = t.pdtAt(start)
	t.pending = append(t.pending, s)
	return s
}

// setPDT anchors program date-time: the encoder's when it sends one, else
// arrival time less the segment's duration at the first slot and after
// every discontinuity.
func (t *Timeline) setPDT(s *slot, seg *IngestSegment, now time.Time) {
	switch {
	case !seg.PDT.IsZero():
		t.st.PDTAnchor, t.st.PDTAnchorTime = seg.PDT.UTC(), s.start
	case t.st.PDTAnchor.IsZero() || s.disc:
		t.st.PDTAnchor = now.Add(-time.Duration(s.dur) * time.Second / media.VideoTimescale).UTC().Truncate(time.Millisecond)
		t.st.PDTAnchorTime = s.start
	}
	s.pdt = t.pdtAt(s.start)
}

func (t *Timeline) pdtAt(c int64) time.Time {
	if t.st.PDTAnchor.IsZero() {
		return time.Time{}
	}
	return t.st.PDTAnchor.Add(time.Duration(c-t.st.PDTAnchorTime) * time.Second / media.VideoTimescale)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (t *Timeline) findTrack(rendition, key string) *Track {
	for _, tr := range t.tracks {
		if tr.Rendition == rendition && tr.Key == key {
			return tr
		}
	}
	return nil
}

func (t *Timeline) trackByID(id int) *Track {
	for _, tr := range t.tracks {
		if tr.ID == id {
			return tr
		}
	}
	return nil
}

// resolveTrack returns the track for an ingest track, creating it or a
// new init version (copy on write) when its configuration changed.
func (t *Timeline) resolveTrack(rendition string, it *IngestTrack) (tr *Track, initIdx int, newInit bool) {
	tr = t.findTrack(rendition, it.Key)
	if tr != nil && infoEqual(&tr.Latest().Info, &it.Info) {
		return tr, len(tr.Inits) - 1, false
	}
	var nt Track
	if tr == nil {
		nt = Track{ID: t.st.NextTrackID, Rendition: rendition, Key: it.Key, Kind: it.Info.Kind}
		t.st.NextTrackID++
	} else {
		nt = *tr
		nt.Inits = append([]Init(nil), tr.Inits...)
	}
	idx := len(nt.Inits)
	nt.Inits = append(nt.Inits, Init{Info: it.Info, StoreKey: fmt.Sprintf("media/%s/init/%d_%d.mp4", t.id, nt.ID, idx)})
	tracks := make([]*Track, 0, len(t.tracks)+1)
	for _, x := range t.tracks {
		if x.ID != nt.ID {
			tracks = append(tracks, x)
		}
	}
	tracks = append(tracks, &nt)
	sort.Slice(tracks, func(a, b int) bool { return tracks[a].ID < tracks[b].ID })
	t.tracks = tracks
	return &nt, idx, true
}

func infoEqual(a, b *media.TrackInfo) bool {
	if a.Kind != b.Kind || a.Codec != b.Codec || a.Timescale != b.Timescale || a.Width != b.Width || a.Height != b.Height ||
		a.SampleRate != b.SampleRate || a.Channels != b.Channels || a.Language != b.Language ||
		string(a.AudioConfig) != string(b.AudioConfig) {
		return false
	}
	eq := func(x, y [][]byte) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if string(x[i]) != string(y[i]) {
				return false
			}
		}
		return true
	}
	return eq(a.VPS, b.VPS) && eq(a.SPS, b.SPS) && eq(a.PPS, b.PPS)
}

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
		to := t.standby[len(t.standby)-1].Input
		t.switchInput(to, now, t.switchReason())
		replay = t.pickReplay()
		t.standby = nil
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

// Status is the ingest health of a channel.
type Status struct {
	Channel        string        `json:"channel"`
	ActiveInput    Input         `json:"activeInput"`
	InputSwitches  uint64        `json:"inputSwitches"`
	Inputs         []InputStatus `json:"inputs"`
	Tracks         []TrackStatus `json:"tracks"`
	Renditions     []Rendition   `json:"renditions,omitempty"`
	Segments       int           `json:"segments"`
	FirstSeq       uint64        `json:"firstSequence,omitempty"`
	LastSeq        uint64        `json:"lastSequence,omitempty"`
	Gaps           int           `json:"gaps"`
	Discontinuity  uint64        `json:"discontinuitySequence"`
	TargetDuration float64       `json:"targetDurationSeconds"`
	WindowSeconds  float64       `json:"windowSeconds"`
	MediaBytes     int64         `json:"mediaBytes"`
	Ended          bool          `json:"ended"`
	LastUpdated    *time.Time    `json:"lastUpdated,omitempty"`
	Pending        int           `json:"pendingSegments"`
	// Fallback counts the ended input's last segments held for a
	// possible replacement (end.go).
	Fallback int            `json:"fallbackSegments,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"`
}

// InputStatus is the state of one ingest input.
type InputStatus struct {
	Input  Input `json:"input"`
	Active bool  `json:"active"`
	// Ended is set once the input's encoder ended its playlists
	// (#EXT-X-ENDLIST) and until it resumes.
	Ended              bool     `json:"ended,omitempty"`
	LastDeliveryAgeSec *float64 `json:"lastDeliveryAgeSeconds,omitempty"`
}

// TrackStatus is the state of one track.
type TrackStatus struct {
	ID                 int      `json:"id"`
	Rendition          string   `json:"rendition"`
	Kind               string   `json:"kind"`
	Codec              string   `json:"codec"`
	Width              int      `json:"width,omitempty"`
	Height             int      `json:"height,omitempty"`
	SampleRate         int      `json:"sampleRate,omitempty"`
	LastFragmentAgeSec *float64 `json:"lastFragmentAgeSeconds,omitempty"`
}

// Status reports the channel's ingest health at now.
func (t *Timeline) Status(now time.Time) Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Status{
		Channel:        t.id,
		ActiveInput:    t.st.Active,
		InputSwitches:  t.st.Switches,
		Renditions:     t.st.Renditions,
		Segments:       len(t.segs),
		Discontinuity:  t.st.DiscSeq,
		TargetDuration: t.st.TargetDuration.Seconds(),
		MediaBytes:     t.bytes,
		Ended:          t.st.Ended,
		Pending:        len(t.pending),
		Fallback:       len(t.fallback),
	}
	for _, i := range []Input{1, 2} {
		is := InputStatus{Input: i, Active: i == t.st.Active, Ended: t.st.Inputs[i].Ended}
		if in, ok := t.st.Inputs[i]; ok && !in.LastDelivery.IsZero() {
			age := now.Sub(in.LastDelivery).Seconds()
			is.LastDeliveryAgeSec = &age
		}
		s.Inputs = append(s.Inputs, is)
	}
	for _, tr := range t.tracks {
		info := tr.Latest().Info
		ts := TrackStatus{ID: tr.ID, Rendition: tr.Rendition, Kind: tr.Kind.String(), Codec: info.Codec.String(), Width: info.Width, Height: info.Height, SampleRate: info.SampleRate}
		if at, ok := t.lastFrag[tr.ID]; ok {
			age := now.Sub(at).Seconds()
			ts.LastFragmentAgeSec = &age
		}
		s.Tracks = append(s.Tracks, ts)
	}
	if n := len(t.segs); n > 0 {
		s.FirstSeq, s.LastSeq = t.segs[0].Seq, t.segs[n-1].Seq
		s.WindowSeconds = float64(t.segs[n-1].End()-t.segs[0].Start) / media.VideoTimescale
		snap := t.snap.Load()
		s.LastUpdated = &snap.Updated
	}
	for i := range t.segs {
		if t.segs[i].Gap {
			s.Gaps++
		}
	}
	return s
}

// logger returns the channel's logger.
func (t *Timeline) logger() *slog.Logger { return t.m.log.With("channel", t.id) }
