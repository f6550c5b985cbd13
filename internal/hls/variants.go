package hls

import (
	"math"
	"strconv"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// stypBits is the styp box in front of every served CMAF segment.
const stypBits = 24 * 8

// variant is one EXT-X-STREAM-INF: a video stream with its audio (muxed in
// its TS segments, or a rendition group), or an audio-only stream when the
// channel has no video.
type variant struct {
	video *packager.Stream // nil for audio-only
	// audio is the audio muxed into the video's TS segments, or the
	// stream of an audio-only variant; nil otherwise.
	audio *packager.Stream
	group *audioGroup
	rate  rate
}

// audioGroup is one EXT-X-MEDIA TYPE=AUDIO group: the channel's audio
// tracks of one codec (variants are repeated per group so a player that
// cannot decode one codec still finds a playable variant).
type audioGroup struct {
	id      string
	codec   media.Codec
	members []audioMember
	// rate is the highest of the members'.
	rate rate
}

type audioMember struct {
	stream *packager.Stream
	name   string
	lang   string
	def    bool
	rate   rate
}

// rate is a measured bit rate: peak and average of the output segments,
// bits/s.
type rate struct{ peak, avg int64 }

func (a rate) add(b rate) rate { return rate{a.peak + b.peak, a.avg + b.avg} }

// muxedAudio returns the audio track a TS variant of video muxes when the
// endpoint has no audio rendition group: the audio of the same ingest
// rendition when it has one, else the channel's first audio track (nil
// when the channel has no audio).
func muxedAudio(s *live.Snapshot, video *live.Track) *live.Track {
	var first *live.Track
	for _, t := range s.Tracks {
		if t.Kind != media.KindAudio || len(t.Inits) == 0 {
			continue
		}
		if t.Rendition == video.Rendition {
			return t
		}
		if first == nil {
			first = t
		}
	}
	return first
}

// hasVideo reports whether any track of the snapshot is video.
func hasVideo(s *live.Snapshot) bool {
	for _, t := range s.Tracks {
		if t.Kind == media.KindVideo {
			return true
		}
	}
	return false
}

// variants returns the variants and audio groups of a manifest listing
// groups, measured over them.
func (r *request) variants(groups []packager.Group) ([]variant, []*audioGroup) {
	video, audio := packager.Streams(r.snap, groups, r.ep.sel)
	ts := r.ep.container == containerTS
	if len(video) == 0 {
		if hasVideo(r.snap) {
			return nil, nil // stream selection left nothing
		}
		var vs []variant
		for i := range audio {
			a := &audio[i]
			vs = append(vs, variant{audio: a, rate: r.measure(groups, a, nil, ts)})
		}
		return vs, nil
	}
	if !r.ep.audioGroups {
		byID := map[int]*packager.Stream{}
		for i := range audio {
			byID[audio[i].Track.ID] = &audio[i]
		}
		vs := make([]variant, 0, len(video))
		for i := range video {
			v := &video[i]
			var a *packager.Stream
			if t := muxedAudio(r.snap, v.Track); t != nil {
				a = byID[t.ID]
			}
			vs = append(vs, variant{video: v, audio: a, rate: r.measure(groups, v, a, ts)})
		}
		return vs, nil
	}
	ags := r.audioGroups(groups, audio, ts)
	var vs []variant
	for i := range video {
		v := &video[i]
		vr := r.measure(groups, v, nil, ts)
		if len(ags) == 0 {
			vs = append(vs, variant{video: v, rate: vr})
			continue
		}
		for _, g := range ags {
			vs = append(vs, variant{video: v, group: g, rate: vr.add(g.rate)})
		}
	}
	return vs, ags
}

// audioGroups puts the audio streams into one group per codec, in the
// order the encoder declared them.
func (r *request) audioGroups(groups []packager.Group, audio []packager.Stream, ts bool) []*audioGroup {
	var ags []*audioGroup
	byCodec := map[media.Codec]*audioGroup{}
	for i := range audio {
		a := &audio[i]
		c := a.Info().Codec
		g := byCodec[c]
		if g == nil {
			g = &audioGroup{codec: c}
			byCodec[c] = g
			ags = append(ags, g)
		}
		m := audioMember{stream: a, lang: bcp47(a.Language), rate: r.measure(groups, a, nil, ts)}
		m.def = a.Declared != nil && a.Declared.Default
		g.members = append(g.members, m)
	}
	for _, g := range ags {
		g.id = "audio"
		if len(ags) > 1 {
			g.id = "audio_" + g.codec.String()
		}
		names := map[string]bool{}
		def := -1
		for i := range g.members {
			m := &g.members[i]
			m.name = memberName(m.stream)
			if names[m.name] {
				m.name += " " + strconv.Itoa(m.stream.Track.ID)
			}
			names[m.name] = true
			if m.def && def < 0 {
				def = i
			}
			m.def = false
			g.rate.peak = max(g.rate.peak, m.rate.peak)
			g.rate.avg = max(g.rate.avg, m.rate.avg)
		}
		// At most one DEFAULT=YES per group (HLS §4.4.6.1): the first the
		// encoder declared default, else the first member.
		g.members[max(def, 0)].def = true
	}
	return ags
}

// memberName is an EXT-X-MEDIA NAME: the encoder's label, else the
// language's name, else the language code, else "Audio".
func memberName(s *packager.Stream) string {
	if n := quotable(s.Label); n != "" {
		return n
	}
	if n := languageName(s.Language); n != "" {
		return n
	}
	if l := bcp47(s.Language); l != "" {
		return l
	}
	return "Audio"
}

// measure returns the bit rate of the output segments of stream s (and
// audio muxed with it) over groups, from the real stored fragment sizes:
// for TS converted with packager.TSBits, for CMAF with the styp added.
// Groups where s has no fragment are not counted. With nothing measured it
// falls back to packager.Streams' figures.
func (r *request) measure(groups []packager.Group, s, muxed *packager.Stream, ts bool) rate {
	var peak, sumBits, sumSecs float64
	for gi := range groups {
		g := &groups[gi]
		secs := g.Seconds()
		if secs <= 0 || g.Gap {
			continue
		}
		var bytes, samples int
		has := false
		for _, seg := range packager.Segments(r.snap, g) {
			if f := seg.Frag(s.Track.ID); f != nil {
				has = true
				bytes += f.Size
				samples += f.Samples
			}
			if muxed != nil {
				if f := seg.Frag(muxed.Track.ID); f != nil {
					bytes += f.Size
					samples += f.Samples
				}
			}
		}
		if !has {
			continue
		}
		bits := float64(bytes) * 8
		if ts {
			bits = packager.TSBits(bits, samples, secs)
		} else {
			bits += stypBits
		}
		peak = max(peak, bits/secs)
		sumBits += bits
		sumSecs += secs
	}
	if sumSecs == 0 {
		out := rate{s.Bandwidth, s.AverageBandwidth}
		if muxed != nil {
			out = out.add(rate{muxed.Bandwidth, muxed.AverageBandwidth})
		}
		return out
	}
	return rate{int64(math.Ceil(peak)), int64(math.Ceil(sumBits / sumSecs))}
}

// quotable returns s without the characters a quoted-string cannot hold
// (HLS §4.2: no CR, LF or double quote) and other control characters.
func quotable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == '"' || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c != '"' && c != 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}
