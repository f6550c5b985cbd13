package ingest

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"boxcar/internal/hls/playlist"
)

// errByteRange rejects byte-range segments: every ingest object is a whole
// upload.
var errByteRange = errors.New("ingest: EXT-X-BYTERANGE is not supported: upload each segment and init as its own object")

// rawCueTags are the ad-marker tags, kept in playlist.Segment.Tags, that
// are handed to the timeline raw (standards.md §1.7).
var rawCueTags = []string{
	"#EXT-X-CUE:", "#EXT-X-CUE-CONT", "#EXT-OATCLS-SCTE35", "#EXT-X-OATCLS-SCTE35", "#EXT-X-ASSET",
	"#EXT-X-SCTE35", "#EXT-X-SPLICEPOINT-SCTE35",
}

// parsePlaylist parses an uploaded playlist with playlist.Parse and keeps
// what ingest uses.
func parsePlaylist(b []byte) (*parsedPlaylist, error) {
	p, err := playlist.Parse(b)
	if err != nil {
		return nil, err
	}
	switch p := p.(type) {
	case *playlist.Multivariant:
		return &parsedPlaylist{multi: multivariantOf(p)}, nil
	case *playlist.Media:
		m, err := mediaOf(p)
		if err != nil {
			return nil, err
		}
		return &parsedPlaylist{media: m}, nil
	}
	return nil, errors.New("ingest: unknown playlist kind")
}

func multivariantOf(p *playlist.Multivariant) *multivariantPlaylist {
	m := &multivariantPlaylist{}
	for _, v := range p.Variants {
		m.variants = append(m.variants, variant{
			uri: v.URI, bandwidth: v.Bandwidth, averageBandwidth: v.AverageBandwidth, codecs: v.Codecs,
			width: v.Width, height: v.Height, frameRate: v.FrameRate, audio: v.Audio,
		})
	}
	for _, r := range p.Renditions {
		if r.Type != "AUDIO" || r.URI == "" {
			continue
		}
		m.media = append(m.media, alternative{
			uri: r.URI, groupID: r.GroupID, name: r.Name, language: r.Language,
			isDefault: r.Default, autoselect: r.Autoselect,
		})
	}
	return m
}

func mediaOf(p *playlist.Media) (*mediaPlaylist, error) {
	m := &mediaPlaylist{
		target:   time.Duration(p.TargetDuration) * time.Second,
		mediaSeq: p.MediaSequence,
		ended:    p.EndList,
	}
	if p.Encrypted {
		m.keyMethod = "?"
		for _, s := range p.Segments {
			if s.Key != nil && s.Key.Method != "NONE" {
				m.keyMethod = s.Key.Method
				break
			}
		}
	}
	for i := range p.Segments {
		s := &p.Segments[i]
		if s.ByteRange != nil || s.Map != nil && s.Map.ByteRange != nil {
			return nil, errByteRange
		}
		ms := mediaSegment{
			uri:      s.URI,
			duration: time.Duration(s.Duration * float64(time.Second)),
			disc:     s.Discontinuity,
			pdt:      s.ProgramDateTime,
			cues:     cuesOf(s),
		}
		if s.Map != nil {
			ms.mapURI = s.Map.URI
		}
		m.segments = append(m.segments, ms)
	}
	return m, nil
}

// cuesOf returns the ad-marker tags of a segment as lines.
func cuesOf(s *playlist.Segment) [][]byte {
	var out [][]byte
	if s.CueOut != nil {
		out = append(out, []byte("#EXT-X-CUE-OUT:"+s.CueOut.Raw))
	}
	if s.CueOutCont != "" {
		out = append(out, []byte("#EXT-X-CUE-OUT-CONT:"+s.CueOutCont))
	}
	if s.CueIn {
		out = append(out, []byte("#EXT-X-CUE-IN"))
	}
	for _, d := range s.DateRanges {
		var b strings.Builder
		b.WriteString("#EXT-X-DATERANGE:")
		for i, a := range d.Attrs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(a.Name + "=")
			if a.Quoted {
				b.WriteString(strconv.Quote(a.Value))
			} else {
				b.WriteString(a.Value)
			}
		}
		out = append(out, []byte(b.String()))
	}
	for _, t := range s.Tags {
		for _, c := range rawCueTags {
			if strings.HasPrefix(t, c) {
				out = append(out, []byte(t))
				break
			}
		}
	}
	return out
}
