package live

import (
	"fmt"
	"sort"
	"time"

	"boxcar/internal/media"
)

// How the core places an ingest segment, in two events: place decides
// where it goes and reserves the tracks it fills (the shell then writes
// their fragments), fill records the written fragments in the slot (the
// shell then publishes what is ready).

// addMode says where a segment handed to place comes from.
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

// plan is what place decided for a segment.
type plan struct {
	// outcome, when set, is final: nothing is written.
	outcome Outcome
	// replay are standby segments to place first, after a failover;
	// again places the segment itself next, as a replay.
	replay []*IngestSegment
	again  bool
	// write reserves the tracks whose fragments the shell writes.
	write *reservation
}

// reservation is a slot's tracks reserved for one segment's fragments.
type reservation struct {
	slot      *slot
	rendition string
	jobs      []job
	// offset maps the input's time to channel time.
	offset media.Ticks
}

// job is one fragment to write: track's samples at init version init,
// newInit when the init segment is to be written too.
type job struct {
	track   *Track
	init    int
	newInit bool
	in      *IngestTrack
}

// place decides where seg goes on the timeline at now.
func (c *core) place(seg *IngestSegment, mode addMode, now time.Time) (plan, error) {
	inStart, inDur := span(seg)
	if seg.TargetDuration > 0 {
		c.st.TargetDuration = seg.TargetDuration
	}
	if mode == addNew {
		in := c.st.Inputs[seg.Input]
		in.LastDelivery = now
		c.st.Inputs[seg.Input] = in
		c.noteEnd(seg, inStart, inDur)
	}
	if c.st.Active == 0 {
		c.st.Active = seg.Input
		c.decide(Decision{Kind: Activate, Input: seg.Input})
	}
	if mode != addFallback && seg.Input != c.st.Active {
		return c.placeInactive(seg, inStart, now), nil
	}
	if mode == addNew && seg.Ended && c.inputLive(c.otherInput(seg.Input), now) {
		// The active input ended while the other delivers: fail over at
		// once and hold this last (often short) segment until the other
		// input's segment for the same time arrives.
		c.fallback = append(c.fallback[:0], seg)
		c.fallbackUntil = now.Add(c.failoverTimeout())
		replay := c.failOver(c.otherInput(seg.Input), fmt.Sprintf("input %d ended", seg.Input))
		return plan{outcome: Fallback, replay: replay}, nil
	}
	return c.placeActive(seg, mode, inStart, inDur, now)
}

// placeInactive handles a segment from the input that is not active: a
// fallback, a standby segment, or the failover to its input.
func (c *core) placeInactive(seg *IngestSegment, inStart media.Ticks, now time.Time) plan {
	if c.st.Inputs[seg.Input].Ended {
		// The last segments of an input that ended (late renditions of
		// its last playlists too): kept only as the fallback of an input
		// the channel just failed over from, never as a failover target.
		out := c.holdFallback(seg)
		if out == Late {
			c.decide(Decision{Kind: Drop, Reason: Late.String()})
		}
		return plan{outcome: out}
	}
	if !c.failoverDue(now) {
		c.holdStandby(seg, inStart)
		c.decide(Decision{Kind: Drop, Reason: Standby.String()})
		return plan{outcome: Standby}
	}
	replay := c.failOver(seg.Input, c.switchReason())
	return plan{replay: replay, again: true}
}

// placeActive maps a segment of the active input to channel time, finds
// its slot and reserves the tracks it fills.
func (c *core) placeActive(seg *IngestSegment, mode addMode, inStart, inDur media.Ticks, now time.Time) (plan, error) {
	// An input that ended (a late rendition of its last playlist
	// included) does not reopen the output; one that resumed does.
	reopen := c.st.Ended && !c.st.Inputs[seg.Input].Ended && mode != addFallback
	if reopen {
		// The output had ended and an input resumes: the live
		// presentation reopens after one discontinuity.
		seg.Discontinuity = true
		c.st.Ended = false
		c.decide(Decision{Kind: Reopen, Input: seg.Input})
	}
	ct, disc := c.mapTime(seg, inStart)
	in := c.st.Inputs[seg.Input]
	if end := inStart + inDur; end > in.LastEnd || disc {
		in.LastEnd = end
	}
	c.st.Inputs[seg.Input] = in
	if err := c.checkCodecs(seg); err != nil {
		return plan{}, err
	}
	s, outcome := c.placeSlot(seg, ct, inDur, disc, now)
	if s == nil {
		c.refreshEnded(now)
		c.decide(Decision{Kind: Drop, Reason: outcome.String()})
		return plan{outcome: outcome}, nil
	}
	if reopen && s.disc {
		s.resumed = true
	}
	r := c.reserve(s, seg)
	if len(r.jobs) == 0 {
		c.decide(Decision{Kind: Drop, Reason: Duplicate.String()})
		return plan{outcome: Duplicate}, nil
	}
	return plan{write: r}, nil
}

// checkCodecs rejects a segment whose track changed codec.
func (c *core) checkCodecs(seg *IngestSegment) error {
	for i := range seg.Tracks {
		it := &seg.Tracks[i]
		if tr := c.findTrack(seg.Rendition, it.Key); tr != nil && tr.Latest().Info.Codec != it.Info.Codec {
			return fmt.Errorf("%w: rendition %q track %s was %s, now %s", ErrCodecChanged, seg.Rendition, it.Key, tr.Latest().Info.Codec, it.Info.Codec)
		}
	}
	return nil
}

// reserve reserves the tracks of s that seg fills, resolving their init
// versions, and moves seg's events to channel time.
func (c *core) reserve(s *slot, seg *IngestSegment) *reservation {
	offset := c.st.Inputs[seg.Input].Offset
	r := &reservation{slot: s, rendition: seg.Rendition, offset: offset}
	for i := range seg.Tracks {
		it := &seg.Tracks[i]
		if len(it.Samples) == 0 {
			continue
		}
		tr, initIdx, newInit := c.resolveTrack(seg.Rendition, it)
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
		r.jobs = append(r.jobs, job{track: tr, init: initIdx, newInit: newInit, in: it})
	}
	for _, e := range seg.Events {
		if e.Time >= 0 {
			e.Time += offset
		}
		s.events = append(s.events, e)
	}
	return r
}

// release ends a reservation: its tracks are no longer being written.
func (c *core) release(r *reservation) {
	for _, j := range r.jobs {
		delete(r.slot.inflight, j.track.ID)
	}
}

// fill records the fragments written for a released reservation in its
// slot. A slot published without them meanwhile (its grace ended) drops
// them: Late. An amended live edge is the shell's to commit (amend).
func (c *core) fill(r *reservation, frags []Fragment, now time.Time) Outcome {
	s := r.slot
	if !c.isPending(s) {
		c.decide(Decision{Kind: Discard, Reason: "late", Frags: frags})
		c.decide(Decision{Kind: Drop, Reason: Late.String()})
		return Late
	}
	if s.renditions == nil {
		s.renditions = make(map[string]bool)
	}
	s.renditions[r.rendition] = true
	c.renditionSeen[r.rendition] = s.seq
	for _, f := range frags {
		s.frags = append(s.frags, f)
		c.lastSeen[f.Track] = s.seq
		c.lastFrag[f.Track] = now
		if tr := c.trackByID(f.Track); tr != nil && tr.Kind == media.KindVideo && !s.hasVideo && !s.gap {
			// The video fragment defines the slot's span.
			s.hasVideo = true
			s.start = media.TicksFrom(f.DTS, tr.Inits[f.Init].Info.Timescale)
			s.dur = media.TicksFrom(f.Duration, tr.Inits[f.Init].Info.Timescale)
		}
	}
	sort.Slice(s.frags, func(a, b int) bool { return s.frags[a].Track < s.frags[b].Track })
	return Accepted
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

// span returns the segment's input-time start and duration, from its
// video track when it has one.
func span(seg *IngestSegment) (start, dur media.Ticks) {
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
	start = media.TicksFrom(first.DTS, ts)
	end := media.TicksFrom(last.DTS+int64(last.Duration), ts)
	return start, end - start
}
