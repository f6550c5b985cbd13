package hls

import (
	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// segment serves output segment number of a track: for TS a remux of the
// group's samples (with the muxed audio of the variant), for CMAF the
// stored fragments behind a styp. Any group still retained is served, also
// after it left the playlist window (HLS §6.2.2 wants segments available
// for a while after removal).
func (r *request) segment(id int, number uint64) (*packager.Object, error) {
	tr, ok := r.track(id)
	if !ok {
		return nil, packager.ErrNotFound
	}
	g, ok := findGroup(r.snap, r.ep.segment, number)
	if !ok || g.Gap {
		return nil, packager.ErrNotFound
	}
	if r.ep.container == containerCMAF {
		b, err := packager.CMAFSegment(r.ctx, r.req, &g, tr)
		if err != nil {
			return nil, err
		}
		return mediaObject(b, mp4Type(tr), packager.KindSegment), nil
	}
	var muxed *live.Track
	if tr.Kind == media.KindVideo && !r.ep.audioGroups {
		muxed = muxedAudio(r.snap, tr)
	}
	b, err := r.tsSegment(&g, tr, muxed)
	if err != nil {
		return nil, err
	}
	return mediaObject(b, typeTS, packager.KindSegment), nil
}

// init serves a CMAF init segment: the stored init of one configuration
// of a track.
func (r *request) init(id, n int) (*packager.Object, error) {
	tr, ok := r.track(id)
	if !ok {
		return nil, packager.ErrNotFound
	}
	b, err := packager.Init(r.ctx, r.req, tr, n)
	if err != nil {
		return nil, err
	}
	return mediaObject(b, mp4Type(tr), packager.KindInit), nil
}

func mp4Type(tr *live.Track) string {
	if tr.Kind == media.KindAudio {
		return typeAudioMP4
	}
	return typeVideoMP4
}
