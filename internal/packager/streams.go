package packager

import (
	"math"
	"sort"

	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// Stream is one track as an output rendition, with what manifests say
// about it.
type Stream struct {
	Track *live.Track
	// Declared is what the ingest multivariant playlist said about the
	// track's rendition, nil when it said nothing.
	Declared *live.Rendition
	// Bandwidth is the peak and AverageBandwidth the mean bit rate of the
	// track's media over the groups measured, in bits/s.
	Bandwidth        int64
	AverageBandwidth int64
	Codecs           string
	Width, Height    int
	// FrameRate is measured from the fragments (frames per second).
	FrameRate  float64
	SampleRate int
	Channels   int
	Language   string
	// Label is a display name (EXT-X-MEDIA NAME).
	Label string
}

// Info returns the stream's newest codec configuration.
func (s *Stream) Info() *media.TrackInfo { return &s.Track.Latest().Info }

// SelectionBitrate is the bit rate stream selection compares: the declared
// BANDWIDTH when the encoder declared one, else the measured peak.
func (s *Stream) SelectionBitrate() int64 {
	if s.Declared != nil && s.Declared.Bandwidth > 0 {
		return s.Declared.Bandwidth
	}
	return s.Bandwidth
}

// Streams returns the snapshot's video and audio streams with bit rates
// measured over groups, video filtered and ordered by sel (which may be
// nil). Tracks with no fragment in the groups are left out.
func Streams(s *live.Snapshot, groups []Group, sel *configstore.StreamSelection) (video, audio []Stream) {
	declared := map[string]*live.Rendition{}
	order := map[string]int{}
	for i := range s.Renditions {
		declared[s.Renditions[i].Name] = &s.Renditions[i]
		order[s.Renditions[i].Name] = i
	}
	for _, tr := range s.Tracks {
		st := measure(s, tr, groups)
		if st == nil {
			continue
		}
		st.Declared = declared[tr.Rendition]
		info := st.Info()
		st.Codecs = codec.RFC6381(*info)
		st.Language = info.Language
		switch tr.Kind {
		case media.KindVideo:
			st.Width, st.Height = info.Width, info.Height
			if d := st.Declared; d != nil && d.FrameRate > 0 {
				st.FrameRate = d.FrameRate
			}
			video = append(video, *st)
		case media.KindAudio:
			st.SampleRate, st.Channels = info.SampleRate, info.Channels
			if d := st.Declared; d != nil {
				if d.Language != "" && st.Language == "" {
					st.Language = d.Language
				}
				st.Label = d.Label
			}
			audio = append(audio, *st)
		}
	}
	byDeclaredOrder := func(list []Stream) {
		sort.SliceStable(list, func(a, b int) bool {
			oa, okA := order[list[a].Track.Rendition]
			ob, okB := order[list[b].Track.Rendition]
			if okA != okB {
				return okA
			}
			if oa != ob {
				return oa < ob
			}
			return list[a].Track.ID < list[b].Track.ID
		})
	}
	byDeclaredOrder(video)
	byDeclaredOrder(audio)
	if sel != nil {
		kept := video[:0]
		for _, v := range video {
			br := v.SelectionBitrate()
			if sel.MinVideoBitsPerSecond > 0 && br < int64(sel.MinVideoBitsPerSecond) {
				continue
			}
			if sel.MaxVideoBitsPerSecond > 0 && br > int64(sel.MaxVideoBitsPerSecond) {
				continue
			}
			kept = append(kept, v)
		}
		video = kept
		switch sel.StreamOrder {
		case "VIDEO_BITRATE_ASCENDING":
			sort.SliceStable(video, func(a, b int) bool { return video[a].SelectionBitrate() < video[b].SelectionBitrate() })
		case "VIDEO_BITRATE_DESCENDING":
			sort.SliceStable(video, func(a, b int) bool { return video[a].SelectionBitrate() > video[b].SelectionBitrate() })
		}
	}
	return video, audio
}

// measure computes a track's bit rates and frame rate over groups; nil
// when the track has no fragment in them.
func measure(s *live.Snapshot, tr *live.Track, groups []Group) *Stream {
	var peak, sumBits, sumDur float64
	var frames, frameDur float64
	found := false
	for i := range groups {
		g := &groups[i]
		if g.Duration <= 0 {
			continue
		}
		var bits float64
		has := false
		for _, seg := range Segments(s, g) {
			if f := seg.Frag(tr.ID); f != nil {
				has = true
				bits += float64(f.Size) * 8
				if tr.Kind == media.KindVideo && f.Duration > 0 {
					frames += float64(f.Samples)
					frameDur += float64(f.Duration) / float64(tr.Inits[f.Init].Info.Timescale)
				}
			}
		}
		if !has {
			continue
		}
		found = true
		secs := g.Seconds()
		if r := bits / secs; r > peak {
			peak = r
		}
		sumBits += bits
		sumDur += secs
	}
	if !found {
		// Not in the measured groups: fall back to the newest segment that
		// has it, so a stream is not dropped from a short window.
		for i := len(s.Segments) - 1; i >= 0 && !found; i-- {
			if f := s.Segments[i].Frag(tr.ID); f != nil && s.Segments[i].Duration > 0 {
				found = true
				secs := s.Segments[i].Duration.Seconds()
				peak = float64(f.Size) * 8 / secs
				sumBits, sumDur = float64(f.Size)*8, secs
			}
		}
		if !found {
			return nil
		}
	}
	st := &Stream{Track: tr, Bandwidth: int64(math.Ceil(peak)), AverageBandwidth: int64(math.Ceil(sumBits / sumDur))}
	if frameDur > 0 {
		st.FrameRate = math.Round(frames/frameDur*1000) / 1000
	}
	return st
}

// TSBits estimates the bits an MPEG-TS packaging of CMAF media of the given
// payload bits and sample count takes: 188-byte packets carry 184 bytes,
// plus PES headers, AUDs and parameter sets per sample and PAT/PMT/PCR per
// segment.
func TSBits(cmafBits float64, samples int, seconds float64) float64 {
	const perSample = 8 * 24       // PES header + AUD + adaptation field share
	const perSecond = 8 * 188 * 12 // PAT/PMT per segment and PCR packets
	return cmafBits*188/184 + float64(samples)*perSample + seconds*perSecond
}
