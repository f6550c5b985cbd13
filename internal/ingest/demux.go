package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/media/ts"
)

// segmentOf demuxes a listed segment into the timeline's ingest form. The
// container is told from the bytes, never from the name. A nil segment
// and nil error mean the segment is ignored on purpose (subtitles).
func (h *Handler) segmentOf(s *session, r *rendition, p *listed, o *object, in *initObject, anchor media.Ticks) (*live.IngestSegment, error) {
	seg := &live.IngestSegment{
		Input:          s.input,
		Rendition:      r.name,
		Name:           p.name,
		Duration:       p.duration,
		TargetDuration: p.target,
		PDT:            p.pdt,
		Discontinuity:  p.disc,
		Ended:          p.ended,
	}
	switch o.kind {
	case contentTS:
		if err := h.demuxTS(s, r, p, o.data, anchor, seg); err != nil {
			return nil, err
		}
	case contentFragment:
		if in == nil {
			return nil, fail(http.StatusUnprocessableEntity, reasonNoInit, nil,
				"fMP4 segment %s of rendition %s has no init segment: list it after an EXT-X-MAP whose init was uploaded", p.uri, r.name)
		}
		if err := demuxFMP4(p, r, o.data, in, seg); err != nil {
			return nil, err
		}
	case contentWebVTT:
		h.metrics.skipped.WithLabelValues(s.ch.id, reasonUnsupported).Inc()
		if !r.warned {
			r.warned = true
			h.log.Warn("ingest: WebVTT renditions are not ingested yet; ignoring", "channel", s.ch.id, "input", int(s.input), "rendition", r.name)
		}
		return nil, nil
	default:
		return nil, fail(http.StatusUnprocessableEntity, reasonUnsupported, nil,
			"%s listed by rendition %s is a %s, not a media segment", p.uri, r.name, o.kind)
	}
	if len(seg.Tracks) == 0 {
		return nil, fail(http.StatusUnprocessableEntity, reasonNoMedia, nil,
			"segment %s of rendition %s carries no audio or video samples", p.uri, r.name)
	}
	if len(p.cues) > 0 {
		at := segmentStart(seg)
		for _, cue := range p.cues {
			seg.Events = append(seg.Events, live.Event{Kind: live.EventHLSCue, Time: at, Data: cue})
		}
	}
	return seg, nil
}

// demuxTS fills seg from an MPEG-TS segment: audio and video tracks keyed
// by kind in PMT order, SCTE-35 sections and ID3 tags as events.
func (h *Handler) demuxTS(s *session, r *rendition, p *listed, data []byte, anchor media.Ticks, seg *live.IngestSegment) error {
	res, err := ts.Demux(data, ts.DemuxOptions{Anchor: int64(anchor)})
	if err != nil {
		return fail(http.StatusUnprocessableEntity, reasonDemux, err,
			"segment %s of rendition %s is not a usable MPEG-TS segment: %v", p.uri, r.name, err)
	}
	if res.ContinuityErrors > 0 {
		h.logLimited(slog.LevelWarn, s.ch.id, "continuity", "ingest: continuity errors in segment; damaged frames dropped", "channel", s.ch.id, "input", int(s.input),
			"rendition", r.name, "seq", p.seq, "segment", p.uri, "errors", res.ContinuityErrors)
	}
	var nv, na int
	for i := range res.Tracks {
		t := &res.Tracks[i]
		key := ""
		switch t.Info.Kind {
		case media.KindVideo:
			key = fmt.Sprintf("v%d", nv)
			nv++
		case media.KindAudio:
			key = fmt.Sprintf("a%d", na)
			na++
		default:
			continue
		}
		info, samples := t.Info, t.Samples
		if n := len(t.Changes); n > 0 {
			// One configuration per ingest track: keep the samples of
			// the last one (encoders change configuration at a segment
			// boundary, so what precedes it is a few frames at most).
			ch := t.Changes[n-1]
			h.logLimited(slog.LevelWarn, s.ch.id, "config_change", "ingest: codec configuration changed inside a segment; frames before the change dropped",
				"channel", s.ch.id, "input", int(s.input), "rendition", r.name, "seq", p.seq, "track", key, "dropped", ch.Index)
			info, samples = ch.Info, samples[ch.Index:]
		}
		if len(samples) == 0 {
			continue
		}
		seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: key, Info: info, Samples: samples})
	}
	for _, d := range res.Data {
		var kind live.EventKind
		switch d.Kind {
		case ts.DataSCTE35:
			kind = live.EventSCTE35
		case ts.DataID3:
			kind = live.EventID3
		default:
			continue
		}
		for _, u := range d.Units {
			seg.Events = append(seg.Events, live.Event{Kind: kind, Time: media.Ticks(u.PTS), Data: u.Data})
		}
	}
	return nil
}

// demuxFMP4 fills seg from an fMP4 media segment and its init: tracks
// keyed by kind in trak order.
func demuxFMP4(p *listed, r *rendition, data []byte, in *initObject, seg *live.IngestSegment) error {
	tss, err := fmp4.ParseSegment(data, in.tracks)
	if err != nil {
		reason := reasonDemux
		if errors.Is(err, fmp4.ErrEncrypted) {
			reason = reasonEncrypted
		}
		return fail(http.StatusUnprocessableEntity, reason, err,
			"segment %s of rendition %s does not parse against init %s: %v", p.uri, r.name, p.initName, err)
	}
	keys := make(map[uint32]string, len(in.tracks))
	infos := make(map[uint32]*media.TrackInfo, len(in.tracks))
	var nv, na int
	for i := range in.tracks {
		t := &in.tracks[i]
		switch t.Info.Kind {
		case media.KindVideo:
			keys[t.TrackID] = fmt.Sprintf("v%d", nv)
			nv++
		case media.KindAudio:
			keys[t.TrackID] = fmt.Sprintf("a%d", na)
			na++
		}
		infos[t.TrackID] = &t.Info
	}
	for _, t := range tss {
		key, ok := keys[t.TrackID]
		if !ok || len(t.Samples) == 0 {
			continue
		}
		info := *infos[t.TrackID]
		if t.Info != nil {
			info = *t.Info
		}
		seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: key, Info: info, Samples: t.Samples})
	}
	return nil
}

// segmentStart is the input time (90 kHz) a segment starts at: its first
// video keyframe, else its first sample.
func segmentStart(seg *live.IngestSegment) media.Ticks {
	best := media.Ticks(-1)
	for i := range seg.Tracks {
		t := &seg.Tracks[i]
		for _, sm := range t.Samples {
			if t.Info.Kind == media.KindVideo && !sm.Sync {
				continue
			}
			at := media.TicksFrom(sm.DTS, t.Info.Timescale)
			if t.Info.Kind == media.KindVideo {
				return at
			}
			if best < 0 || at < best {
				best = at
			}
			break
		}
	}
	return best
}
