package live

import (
	"sort"
	"time"
)

// Publishing: when a slot is complete or its grace period ended, committing
// it to the index once its media is durable, and the immutable snapshots
// readers see.

func (c *core) isPending(s *slot) bool {
	for _, p := range c.pending {
		if p == s {
			return true
		}
	}
	return false
}

// grace is how long a slot waits for expected tracks that have not
// delivered before it is published without them.
func (c *core) grace() time.Duration {
	g := c.st.TargetDuration / 2
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
func (c *core) complete(s *slot) bool {
	if len(s.inflight) > 0 || len(s.frags) == 0 {
		return false
	}
	for id, last := range c.lastSeen {
		if last+expectedRecent >= s.seq && s.Frag(id) == nil {
			return false
		}
	}
	for r, last := range c.renditionSeen {
		if last+expectedRecent >= s.seq && !s.renditions[r] {
			return false
		}
	}
	if c.publishedHere < expectedRecent {
		if len(c.st.Renditions) == 0 {
			return false
		}
		for _, r := range c.st.Renditions {
			if !s.renditions[r.Name] {
				return false
			}
		}
	}
	return true
}

// commit is slots ready to be listed: the shell commits them to the
// index, then tells the core with published.
type commit struct {
	slots []*slot
	segs  []Segment
	state channelState
}

// ready returns the pending slots that are ready to publish, in order, as
// segments with the state to commit; nil when none is.
func (c *core) ready(now time.Time) *commit {
	var ready []*slot
	for _, s := range c.pending {
		if len(s.inflight) > 0 {
			break
		}
		ok := c.complete(s) || now.Sub(s.created) >= c.grace()
		if s.gap {
			ok = now.Sub(s.created) >= c.grace()
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
	if n := len(c.segs); n > 0 {
		discSeq = c.segs[n-1].DiscSeq
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
	st := c.st
	st.NextSeq = segs[len(segs)-1].Seq + 1
	st.DiscSeq = discSeq
	return &commit{slots: ready, segs: segs, state: st}
}

// published lists the committed slots.
func (c *core) published(p *commit) {
	c.pending = c.pending[len(p.slots):]
	for i := range p.segs {
		for _, f := range p.segs[i].Frags {
			c.bytes += int64(f.Size)
		}
	}
	c.segs = append(c.segs, p.segs...)
	c.publishedHere += len(p.segs)
	c.decide(Decision{Kind: Publish, Seq: p.segs[0].Seq, Count: len(p.segs)})
}

// amendment is fragments added to the published newest segment: the
// shell commits seg to the index, then tells the core with amended.
type amendment struct {
	seg       Segment
	add       []Fragment
	rendition string
}

// amend adds fragments to the published newest segment: a rendition that
// rejoins delivers a moment after the others published the slot, and
// would otherwise never be expected again. Only the newest segment is
// amended, so players rarely saw it without the rendition. It returns
// nil and the outcome when there is nothing to commit.
func (c *core) amend(r *reservation, frags []Fragment) (*amendment, Outcome) {
	n := len(c.segs)
	if n == 0 || c.segs[n-1].Seq != r.slot.seq {
		c.decide(Decision{Kind: Discard, Reason: "late", Frags: frags})
		c.decide(Decision{Kind: Drop, Reason: Late.String()})
		return nil, Late
	}
	seg := c.segs[n-1]
	var add, lost []Fragment
	for _, f := range frags {
		if seg.Frag(f.Track) != nil {
			lost = append(lost, f) // another upload won the race
			continue
		}
		add = append(add, f)
	}
	if len(lost) > 0 {
		c.decide(Decision{Kind: Discard, Reason: "duplicate", Frags: lost})
	}
	if len(add) == 0 {
		c.decide(Decision{Kind: Drop, Reason: Duplicate.String()})
		return nil, Duplicate
	}
	seg.Frags = append(append([]Fragment(nil), seg.Frags...), add...)
	sort.Slice(seg.Frags, func(a, b int) bool { return seg.Frags[a].Track < seg.Frags[b].Track })
	return &amendment{seg: seg, add: add, rendition: r.rendition}, Accepted
}

// amended lists a committed amendment.
func (c *core) amended(a *amendment, now time.Time) {
	n := len(c.segs)
	// Copy on write: snapshots share the old backing array.
	segs := make([]Segment, n, n+16)
	copy(segs, c.segs)
	segs[n-1] = a.seg
	c.segs = segs
	for _, f := range a.add {
		c.bytes += int64(f.Size)
		c.lastSeen[f.Track] = a.seg.Seq
		c.lastFrag[f.Track] = now
	}
	c.renditionSeen[a.rendition] = a.seg.Seq
	c.decide(Decision{Kind: Show})
}
