package hls

import (
	"math"
	"sort"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// perGroup is how many ingest segments of a run make one output segment:
// the configured duration rounded to the nearest multiple of the run's
// ingest segment length (as packager.Groups cuts them).
func perGroup(run live.Run, want time.Duration) int {
	if want <= 0 || run.Target <= 0 {
		return 1
	}
	return max(1, int(math.Round(float64(want)/float64(run.Target))))
}

// maxPerGroup is the largest perGroup over the snapshot's runs.
func maxPerGroup(s *live.Snapshot, want time.Duration) int {
	n := 1
	for _, r := range s.Runs {
		n = max(n, perGroup(r, want))
	}
	return n
}

// groupsSince returns the output segments of the snapshot that start at or
// after channel time from, oldest first, and possibly one or two
// before it. It computes only the tail of a long retained timeline (a
// startover window of days holds hundreds of thousands of segments) and
// gives exactly the groups packager.Groups gives for that range.
func groupsSince(s *live.Snapshot, want time.Duration, from media.Ticks) []packager.Group {
	segs := s.Segments
	i := sort.Search(len(segs), func(i int) bool { return segs[i].Start >= from })
	// Back up one whole group so the group holding from is kept.
	i = max(0, i-maxPerGroup(s, want))
	if i == 0 {
		return packager.Groups(s, want)
	}
	sub := *s
	sub.Segments = segs[i:]
	return packager.Groups(&sub, want)
}

// findGroup returns the group numbered n among the snapshot's retained
// groups. It binary-searches the timeline, computing groups only over a
// few segments at each probe.
func findGroup(s *live.Snapshot, want time.Duration, n uint64) (packager.Group, bool) {
	segs := s.Segments
	span := 2*maxPerGroup(s, want) + 1
	sub := *s
	// first returns the first whole group starting at segment i or later.
	first := func(i int) (packager.Group, bool) {
		sub.Segments = segs[i:min(len(segs), i+span)]
		gs := packager.Groups(&sub, want)
		if len(gs) == 0 {
			return packager.Group{}, false
		}
		return gs[0], true
	}
	i := sort.Search(len(segs), func(i int) bool {
		g, ok := first(i)
		return !ok || g.Number >= n
	})
	if i == len(segs) {
		return packager.Group{}, false
	}
	g, ok := first(i)
	if !ok || g.Number != n {
		return packager.Group{}, false
	}
	return g, true
}

// targetDuration is EXT-X-TARGETDURATION for the media playlists of a
// manifest: the longest output segment any run of the timeline makes
// (segmentDurationSeconds rounded to a multiple of the run's ingest target
// duration, RFC 8216 §4.3.3.1 rounding), raised if a segment of the
// manifest's window still rounds above it. The runs include those that
// left the window, so the value is the same for every playlist and stays
// so for the life of the channel, unless the encoder switches to longer
// segments or delivers segments longer than its own target duration
// suggests.
func targetDuration(s *live.Snapshot, want time.Duration, groups []packager.Group) int {
	td := 1
	for _, r := range s.Runs {
		d := time.Duration(perGroup(r, want)) * r.Target
		td = max(td, int(math.Round(d.Seconds())))
	}
	for i := range groups {
		td = max(td, int(math.Round(groups[i].Seconds())))
	}
	return td
}
