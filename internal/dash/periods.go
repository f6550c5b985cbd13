package dash

import (
	"sort"
	"sync"
	"time"

	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// Periods (ISO/IEC 23009-1 §5.3.2; DASH-IF timing model "Period timing").
//
// A Period is a stretch of output segments the player can address with one
// set of SegmentTemplates. A new Period starts at a group that:
//
//   - follows a discontinuity (encoder restart, input switch with unaligned
//     timestamps) across which the program date-time jumps ahead by more
//     than half a segment (an outage), all formats. Channel time runs on
//     across a discontinuity, so a restart whose wall clock runs on as
//     well stays in its Period: like MediaPackage without periodTriggers,
//     Boxcar keeps one Period where it can, since every Period boundary is
//     a chance for a player to stall;
//   - changes the codec configuration (init segment) of a listed track,
//     all formats;
//   - with NUMBER_WITH_TIMELINE, brings back a listed track that the
//     previous group lacked (a gap): $Number$ counts S entries, so a hole
//     inside one timeline would shift every later number;
//   - with NUMBER_WITH_DURATION, begins a timeline run with another ingest
//     target duration (the segment length changed, so @duration does).
//
// With TIME_WITH_TIMELINE a gap is an S@t jump inside the Period.
//
// A Period is anchored on its first group: Period@id is "p" and the
// group's Number, Period@start its program date-time less
// availabilityStartTime, and every Representation's presentationTimeOffset
// its channel time in the track's timescale. DASH requires these to stay
// the same across MPD updates while the Period is listed, but a long Period
// outlives the snapshot's oldest segment (the channel's retention), so the
// anchors are remembered per endpoint (periodMemo) from the MPD requests
// that saw them. A memo is only trusted when it examined the groups
// continuously up to the snapshot's oldest one; otherwise (a restarted
// process, or nobody asked for the MPD for longer than the retention) the
// oldest group of the snapshot anchors its Period. After a restart that
// re-anchors a Period whose start was already trimmed: its id, start and
// presentationTimeOffset change but map media time to the same wall-clock
// time, since program date-time is linear inside a Period.

// anchor is the first group of a Period.
type anchor struct {
	number uint64
	// start is the group's channel time, pdt its program date-time and
	// dur its duration.
	start media.Ticks
	pdt   time.Time
	dur   media.Ticks
}

func anchorOf(g *packager.Group) anchor {
	return anchor{number: g.Number, start: g.Start, pdt: g.PDT, dur: g.Duration}
}

// periodMemo remembers the Period starts of one endpoint.
type periodMemo struct {
	mu sync.Mutex
	// fingerprint is what the starts depend on besides the snapshot
	// (channel, output segment duration, format).
	fingerprint string
	// updated and version are the last stored snapshot's, so an older
	// snapshot served late never rewinds the memo; updated (wall clock)
	// comes first because a re-created channel starts its versions over.
	updated time.Time
	version uint64
	// hi is the newest group Number examined; starts are the Period
	// starts known, ascending, the first one covering the oldest group
	// of the last snapshot examined.
	hi     uint64
	starts []anchor
	// hiStart and hiPDT are group hi's channel time and program
	// date-time: a snapshot that has group hi with other values belongs
	// to another life of the channel (deleted and re-created).
	hiStart media.Ticks
	hiPDT   time.Time
	used    time.Time
}

// maxMemos bounds the endpoints whose Period starts are remembered; past
// it the least recently used are forgotten (they re-anchor on their next
// request, as after a restart).
const maxMemos = 10000

// periodCache holds every endpoint's memo. Safe for concurrent use.
type periodCache struct {
	mu    sync.Mutex
	memos map[string]*periodMemo
}

func (c *periodCache) memo(endpoint string, now time.Time) *periodMemo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.memos == nil {
		c.memos = make(map[string]*periodMemo)
	}
	m := c.memos[endpoint]
	if m == nil {
		if len(c.memos) >= maxMemos {
			c.evictLocked()
		}
		m = &periodMemo{}
		c.memos[endpoint] = m
	}
	return m
}

// evictLocked forgets the least recently used half of the memos.
func (c *periodCache) evictLocked() {
	type kv struct {
		key  string
		used time.Time
	}
	all := make([]kv, 0, len(c.memos))
	for k, m := range c.memos {
		m.mu.Lock()
		all = append(all, kv{k, m.used})
		m.mu.Unlock()
	}
	sort.Slice(all, func(a, b int) bool { return all[a].used.Before(all[b].used) })
	for _, e := range all[:len(all)/2] {
		delete(c.memos, e.key)
	}
}

// periodStarts returns the anchors of the Periods that cover groups,
// ascending: the first covers groups[0]. begins(k) reports whether
// groups[k] (k ≥ 1) starts a Period; it is only called for groups not
// examined before. updated and version identify the snapshot.
func (c *periodCache) periodStarts(endpoint, fingerprint string, updated time.Time, version uint64, now time.Time,
	groups []packager.Group, begins func(k int) bool) []anchor {
	if len(groups) == 0 {
		return nil
	}
	m := c.memo(endpoint, now)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used = now

	oldest := groups[0].Number
	newest := groups[len(groups)-1].Number
	var starts []anchor
	from := 1
	warm := m.fingerprint == fingerprint && len(m.starts) > 0 && m.starts[0].number <= oldest && m.hi >= oldest
	if warm {
		if i, ok := findNumber(groups, m.hi); ok && (groups[i].Start != m.hiStart || !groups[i].PDT.Equal(m.hiPDT)) {
			warm = false
		}
	}
	if warm {
		// Continue from what the memo examined.
		starts = append(make([]anchor, 0, len(m.starts)+1), m.starts...)
		from = sort.Search(len(groups), func(i int) bool { return groups[i].Number > m.hi })
		// Drop starts the memo knows beyond this snapshot (an older
		// snapshot served late).
		k := len(starts)
		for k > 1 && starts[k-1].number > newest {
			k--
		}
		starts = starts[:k]
		if from > len(groups) {
			from = len(groups)
		}
	} else {
		starts = []anchor{anchorOf(&groups[0])}
	}
	for k := max(from, 1); k < len(groups); k++ {
		if begins(k) {
			a := anchorOf(&groups[k])
			// Period@start must increase: an encoder whose clock went
			// back after a restart starts the Period where the previous
			// group ended.
			prev := &groups[k-1]
			if end := prev.PDT.Add(prev.Duration.Duration()); a.pdt.Before(end) {
				a.pdt = end
			}
			starts = append(starts, a)
		}
	}
	// Forget Periods that ended before the oldest group.
	i := 0
	for i+1 < len(starts) && starts[i+1].number <= oldest {
		i++
	}
	starts = starts[i:]
	newer := updated.After(m.updated) || updated.Equal(m.updated) && version >= m.version
	if m.fingerprint != fingerprint || newer {
		if !warm || newest >= m.hi {
			last := &groups[len(groups)-1]
			m.hi, m.hiStart, m.hiPDT = newest, last.Start, last.PDT
		}
		m.fingerprint, m.updated, m.version, m.starts = fingerprint, updated, version, starts
	}
	return starts
}

// findNumber returns the index of the group numbered n.
func findNumber(groups []packager.Group, n uint64) (int, bool) {
	i := sort.Search(len(groups), func(i int) bool { return groups[i].Number >= n })
	return i, i < len(groups) && groups[i].Number == n
}
