package hls

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"boxcar/internal/packager"
)

// Time-shifted manifests (MediaPackage v1 startover, mediapackage.md
// §3.5): ?start=<t>&end=<t> on a manifest of an endpoint with
// startoverWindowSeconds, t an ISO 8601 date-time with zone or epoch
// seconds. start and end select the output segments whose program
// date-time span overlaps [start, end):
//
//   - end already reached: a closed VOD playlist (EXT-X-PLAYLIST-TYPE:VOD
//     and EXT-X-ENDLIST), immutable, cached for as long as its start stays
//     in the startover window;
//   - end still ahead, or no end: an EVENT playlist from start that grows
//     with the live point (and closes once end is reached);
//   - end alone is ignored, as MediaPackage does.
//
// A start older than the startover window answers 404; a start older than
// the oldest retained segment is clamped to it. The multivariant playlist
// passes start and end on to the media playlists it names.

// maxShiftSpan bounds a time-shifted window (MediaPackage's 24 hours).
const maxShiftSpan = 24 * time.Hour

// shift is a time-shift request.
type shift struct {
	start, end time.Time // end is zero when open
	// query is start and end encoded for the URIs of child playlists.
	query string
}

// parseShift reads start and end from a manifest request's query; nil
// when the request is not time-shifted.
func parseShift(q url.Values, startover time.Duration) (*shift, error) {
	starts, ends := q["start"], q["end"]
	if len(starts) == 0 {
		return nil, nil // end alone is ignored
	}
	if len(starts) > 1 || len(ends) > 1 {
		return nil, packager.BadRequest("give start and end at most once each")
	}
	if startover <= 0 {
		return nil, packager.BadRequest("start and end need the endpoint's startoverWindowSeconds; this endpoint has none")
	}
	s := &shift{}
	var err error
	if s.start, err = parseShiftTime("start", starts[0]); err != nil {
		return nil, err
	}
	v := url.Values{"start": {starts[0]}}
	if len(ends) == 1 {
		if s.end, err = parseShiftTime("end", ends[0]); err != nil {
			return nil, err
		}
		if !s.end.After(s.start) {
			return nil, packager.BadRequest("end %s is not after start %s", ends[0], starts[0])
		}
		if s.end.Sub(s.start) > maxShiftSpan {
			return nil, packager.BadRequest("start to end spans %s; a time-shifted manifest spans at most 24 hours", s.end.Sub(s.start))
		}
		v.Set("end", ends[0])
	}
	s.query = v.Encode()
	return s, nil
}

// parseShiftTime parses epoch seconds ("1513717228", fractions allowed)
// or an ISO 8601 date-time with zone ("2017-12-19T13:00:28-08:00"). A '+'
// of a zone offset that arrived unescaped in the query decoded to a space;
// it is put back.
func parseShiftTime(name, v string) (time.Time, error) {
	if v != "" && strings.Trim(v, "0123456789.") == "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err == nil && secs < 1e11 {
			return time.Unix(0, int64(secs*1e9)).UTC(), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1))
	if err != nil {
		return time.Time{}, packager.BadRequest("%s %q is neither epoch seconds nor an ISO 8601 date-time with zone (2006-01-02T15:04:05Z)", name, v)
	}
	return t.UTC(), nil
}

// shifted computes the groups of a time-shifted request, whether the
// window is closed, and how long its closed manifest may be cached.
func (r *request) shifted() ([]packager.Group, error) {
	s := r.shift
	now := r.req.Now
	if now.IsZero() {
		now = r.snap.Updated
	}
	startover := time.Duration(r.req.Endpoint.StartoverWindowSeconds) * time.Second
	if s.start.Before(now.Add(-startover)) {
		return nil, packager.ErrNotFound
	}
	segs := r.snap.Segments
	// The first segment still running at start (PDT rises along the
	// timeline; a backward jump at a discontinuity only shifts the cut).
	i := sort.Search(len(segs), func(i int) bool {
		return segs[i].PDT.Add(segs[i].Duration.Duration()).After(s.start)
	})
	if i == len(segs) {
		return nil, packager.ErrNotFound
	}
	all := groupsSince(r.snap, r.ep.segment, segs[i].Start)
	delay := r.ep.delay
	if r.snap.Ended {
		delay = 0
	}
	all = packager.Window(all, 0, delay)
	var out []packager.Group
	for _, g := range all {
		end := g.PDT.Add(g.Duration.Duration())
		if !end.After(s.start) {
			continue
		}
		if !s.end.IsZero() && !g.PDT.Before(s.end) {
			r.closed = true // the live point passed end
			break
		}
		out = append(out, g)
	}
	if !s.end.IsZero() && len(all) > 0 {
		last := all[len(all)-1]
		if !last.PDT.Add(last.Duration.Duration()).Before(s.end) {
			r.closed = true
		}
	}
	if r.snap.Ended {
		r.closed = true
	}
	if len(out) == 0 {
		return nil, packager.ErrNotFound
	}
	// A closed manifest lasts until its start leaves the startover window.
	r.closedMaxAge = min(segmentMaxAge, s.start.Sub(now.Add(-startover)).Truncate(time.Second))
	return out, nil
}
