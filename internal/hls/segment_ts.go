package hls

import (
	"errors"
	"fmt"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/media/ts"
	"boxcar/internal/packager"
)

// tsSegment remuxes a group into an MPEG-TS segment: the track's samples
// and, for a video track of an endpoint without audio groups, those of its
// muxed audio. The group's Number is the mux sequence, so consecutive
// segments of a rendition continue each other's continuity counters.
// Audio the group lacks is left out rather than failing the segment.
func (r *request) tsSegment(g *packager.Group, tr, muxed *live.Track) ([]byte, error) {
	samples, info, err := packager.Samples(r.ctx, r.req, g, tr)
	if err != nil {
		return nil, err
	}
	tracks := make([]ts.MuxTrack, 1, 2)
	tracks[0] = ts.MuxTrack{Info: *info, Samples: samples}
	if muxed != nil {
		as, ainfo, err := packager.Samples(r.ctx, r.req, g, muxed)
		switch {
		case err == nil:
			tracks = append(tracks, ts.MuxTrack{Info: *ainfo, Samples: as})
		case !errors.Is(err, packager.ErrNotFound):
			return nil, err
		}
	}
	// Mux plans the packets before writing: one allocation of the exact
	// size.
	res, err := ts.Mux(tracks, ts.MuxOptions{Sequence: g.Number})
	if err != nil {
		return nil, fmt.Errorf("hls: segment %d of track %d: %w", g.Number, tr.ID, err)
	}
	return res.Data, nil
}

// iframeTS serves one I-frame of an HLS endpoint's I-frame playlist: the
// first sample (a keyframe) of the stored fragment of a video track in
// timeline segment seq, as a TS of its own with PAT and PMT.
func (r *request) iframeTS(id int, seq uint64) (*packager.Object, error) {
	tr, ok := r.track(id)
	if !ok || tr.Kind != media.KindVideo {
		return nil, packager.ErrNotFound
	}
	seg := r.snap.Segment(seq)
	if seg == nil || seg.Gap {
		return nil, packager.ErrNotFound
	}
	f := seg.Frag(id)
	if f == nil {
		return nil, packager.ErrNotFound
	}
	b, err := r.req.Media.Get(r.ctx, f.StoreKey)
	if err != nil {
		return nil, fmt.Errorf("hls: read fragment %s: %w", f.StoreKey, err)
	}
	_, samples, err := fmp4.ParseFragment(b)
	if err != nil {
		return nil, fmt.Errorf("hls: parse stored fragment %s: %w", f.StoreKey, err)
	}
	if len(samples) == 0 || !samples[0].Sync {
		return nil, fmt.Errorf("hls: stored fragment %s does not start with a keyframe", f.StoreKey)
	}
	tracks := []ts.MuxTrack{{Info: tr.Inits[f.Init].Info, Samples: samples[:1]}}
	res, err := ts.Mux(tracks, ts.MuxOptions{Sequence: seq})
	if err != nil {
		return nil, fmt.Errorf("hls: I-frame %d of track %d: %w", seq, id, err)
	}
	return mediaObject(res.Data, typeTS, packager.KindSegment), nil
}
