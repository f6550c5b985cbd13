package live

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// What the core keeps across a restart: the state, tracks and window the
// index held, and which media objects it refers to.

// restore sets the core to what the index held: st, tracks and the
// window segs (whose media was checked).
func (c *core) restore(st channelState, tracks []*Track, segs []Segment) {
	c.st = st
	if c.st.Inputs == nil {
		c.st.Inputs = make(map[Input]inputState)
	}
	if c.st.NextTrackID < 1 {
		c.st.NextTrackID = 1
	}
	sort.Slice(tracks, func(a, b int) bool { return tracks[a].ID < tracks[b].ID })
	c.tracks = tracks
	c.segs = segs
	if n := len(segs); n > 0 {
		c.st.NextSeq = segs[n-1].Seq + 1
		c.st.DiscSeq = segs[n-1].DiscSeq
	}
	// Runs created for slots that never got published are dropped.
	k := len(c.st.Runs)
	for k > 0 && c.st.Runs[k-1].FirstSeq >= c.st.NextSeq {
		k--
	}
	c.st.Runs = c.st.Runs[:k]
	for i := range segs {
		for _, f := range segs[i].Frags {
			c.bytes += int64(f.Size)
			c.lastSeen[f.Track] = segs[i].Seq
		}
	}
	// A restarted origin gives inputs a fresh failover clock.
	for i, in := range c.st.Inputs {
		in.LastDelivery = time.Time{}
		c.st.Inputs[i] = in
	}
}

// refersTo returns a func reporting whether the timeline refers to a
// media key, or may be writing it: its tracks' inits, the fragments of
// its window and of its pending slots, the fragments pending slots are
// being written, and every fragment of the newest published segment
// (a rendition that rejoins amends it, see amend). The func is valid
// until the core changes.
func (c *core) refersTo() func(string) bool {
	keys := make(map[string]bool)
	for _, tr := range c.tracks {
		for _, in := range tr.Inits {
			keys[in.StoreKey] = true
		}
	}
	for i := range c.segs {
		for _, f := range c.segs[i].Frags {
			keys[f.StoreKey] = true
		}
	}
	for _, s := range c.pending {
		for _, f := range s.frags {
			keys[f.StoreKey] = true
		}
		for track := range s.inflight {
			keys[fragmentKey(c.id, track, s.seq)] = true
		}
	}
	edge := ""
	if n := len(c.segs); n > 0 {
		edge = fmt.Sprintf("/%d.m4s", c.segs[n-1].Seq)
	}
	prefix := "media/" + c.id + "/"
	return func(key string) bool {
		if keys[key] {
			return true
		}
		return edge != "" && strings.HasPrefix(key, prefix) && strings.HasSuffix(key, edge)
	}
}
