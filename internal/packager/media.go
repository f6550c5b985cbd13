package packager

import (
	"context"
	"fmt"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
)

// Init returns the stored CMAF init segment of a track's configuration.
func Init(ctx context.Context, req *Request, tr *live.Track, init int) ([]byte, error) {
	if init < 0 || init >= len(tr.Inits) {
		return nil, ErrNotFound
	}
	b, err := req.Media.Get(ctx, tr.Inits[init].StoreKey)
	if err != nil {
		return nil, fmt.Errorf("packager: read init of track %d: %w", tr.ID, err)
	}
	return b, nil
}

// Fragments returns the track's stored fragments (moof+mdat) in the group,
// in order, and the init configuration they use. It returns ErrNotFound
// when the track has no fragment in the group (a gap for that track).
func Fragments(ctx context.Context, req *Request, g *Group, tr *live.Track) ([][]byte, int, error) {
	segs := Segments(req.Snapshot, g)
	if len(segs) == 0 {
		return nil, 0, ErrNotFound
	}
	out := make([][]byte, 0, len(segs))
	init := -1
	for i := range segs {
		f := segs[i].Frag(tr.ID)
		if f == nil {
			return nil, 0, ErrNotFound
		}
		if init >= 0 && f.Init != init {
			// A configuration change inside a group cannot be served as
			// one segment; the timeline puts a discontinuity there, which
			// ends the group, so this only happens with corrupt state.
			return nil, 0, fmt.Errorf("packager: track %d changes configuration inside group %d", tr.ID, g.Number)
		}
		init = f.Init
		b, err := req.Media.Get(ctx, f.StoreKey)
		if err != nil {
			return nil, 0, fmt.Errorf("packager: read fragment %s: %w", f.StoreKey, err)
		}
		out = append(out, b)
	}
	return out, init, nil
}

// HasTrack reports whether every timeline segment of g has a fragment of
// track id.
func HasTrack(s *live.Snapshot, g *Group, id int) bool {
	segs := Segments(s, g)
	if len(segs) == 0 {
		return false
	}
	for i := range segs {
		if segs[i].Frag(id) == nil {
			return false
		}
	}
	return true
}

// CMAFSegment returns a served CMAF media segment of a track: a styp box
// followed by the stored fragments of the group, byte for byte.
func CMAFSegment(ctx context.Context, req *Request, g *Group, tr *live.Track) ([]byte, error) {
	frags, _, err := Fragments(ctx, req, g, tr)
	if err != nil {
		return nil, err
	}
	hdr := fmp4.SegmentHeader()
	n := len(hdr)
	for _, f := range frags {
		n += len(f)
	}
	out := make([]byte, 0, n)
	out = append(out, hdr...)
	for _, f := range frags {
		out = append(out, f...)
	}
	return out, nil
}

// Samples returns the track's samples in the group (for remuxing into
// another container) and the configuration they use.
func Samples(ctx context.Context, req *Request, g *Group, tr *live.Track) ([]media.Sample, *media.TrackInfo, error) {
	frags, init, err := Fragments(ctx, req, g, tr)
	if err != nil {
		return nil, nil, err
	}
	var samples []media.Sample
	for _, b := range frags {
		_, s, err := fmp4.ParseFragment(b)
		if err != nil {
			return nil, nil, fmt.Errorf("packager: parse stored fragment of track %d: %w", tr.ID, err)
		}
		samples = append(samples, s...)
	}
	return samples, &tr.Inits[init].Info, nil
}
