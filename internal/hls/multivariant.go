package hls

import (
	"strconv"
	"strings"

	"boxcar/internal/packager"
)

// multivariant writes a manifest's Multivariant Playlist (HLS §4.4.6):
// EXT-X-MEDIA audio renditions, one EXT-X-STREAM-INF per variant and, when
// asked for, one EXT-X-I-FRAME-STREAM-INF per video stream. Bit rates are
// measured over the manifest's current window.
func (r *request) multivariant(m *manifest) (*packager.Object, error) {
	groups := r.listed(m)
	if len(groups) == 0 {
		// Nothing to play yet: a player would find empty media playlists.
		return nil, packager.ErrNotFound
	}
	vs, ags := r.variants(groups)
	if len(vs) == 0 {
		return nil, packager.ErrNotFound
	}
	var iframes []iframeStream
	if m.iframes {
		iframes = r.iframeStreams(groups, vs)
	}
	b := make([]byte, 0, 256+256*(len(vs)+len(iframes)))
	b = append(b, "#EXTM3U\n#EXT-X-VERSION:"...)
	b = strconv.AppendInt(b, int64(r.multivariantVersion(iframes)), 10)
	b = append(b, "\n#EXT-X-INDEPENDENT-SEGMENTS\n"...)
	// Child playlists of a time-shifted multivariant are time-shifted
	// alike.
	query := ""
	if r.shift != nil {
		query = r.shift.query
	}
	for _, g := range ags {
		for i := range g.members {
			b = appendMedia(b, g, &g.members[i], m.name, query)
		}
	}
	for i := range vs {
		b = r.appendStreamInf(b, &vs[i], m.name, query)
	}
	for i := range iframes {
		b = appendIFrameStreamInf(b, &iframes[i], m.name, query)
	}
	var last uint64
	if len(groups) > 0 {
		last = groups[len(groups)-1].Number
	}
	return r.playlistObject(b, last), nil
}

// multivariantVersion is the EXT-X-VERSION of a multivariant playlist: no
// tag in it needs more than version 1, so it declares the highest version
// of the media playlists it refers to (the version applies to "its
// associated media", HLS §4.4.1.2).
func (r *request) multivariantVersion(iframes []iframeStream) int {
	v := r.mediaVersion()
	if len(iframes) > 0 {
		v = max(v, r.iframeVersion())
	}
	return v
}

// appendMedia writes one EXT-X-MEDIA TYPE=AUDIO rendition.
func appendMedia(b []byte, g *audioGroup, m *audioMember, name, query string) []byte {
	b = append(b, `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="`...)
	b = append(b, g.id...)
	b = append(b, `",NAME="`...)
	b = append(b, m.name...)
	b = append(b, '"')
	if m.lang != "" {
		b = append(b, `,LANGUAGE="`...)
		b = append(b, m.lang...)
		b = append(b, '"')
	}
	if m.def {
		b = append(b, ",DEFAULT=YES"...)
	} else {
		b = append(b, ",DEFAULT=NO"...)
	}
	b = append(b, ",AUTOSELECT=YES"...)
	if ch := m.stream.Channels; ch > 0 {
		b = append(b, `,CHANNELS="`...)
		b = strconv.AppendInt(b, int64(ch), 10)
		b = append(b, '"')
	}
	b = append(b, `,URI="`...)
	b = appendPlaylistName(b, name, m.stream.Track.ID, false)
	b = appendQuery(b, query)
	return append(b, "\"\n"...)
}

// appendStreamInf writes one EXT-X-STREAM-INF and its URI line.
func (r *request) appendStreamInf(b []byte, v *variant, name, query string) []byte {
	b = append(b, "#EXT-X-STREAM-INF:BANDWIDTH="...)
	b = strconv.AppendInt(b, max(v.rate.peak, 1), 10)
	b = append(b, ",AVERAGE-BANDWIDTH="...)
	b = strconv.AppendInt(b, max(v.rate.avg, 1), 10)
	if c := v.codecs(); c != "" {
		b = append(b, `,CODECS="`...)
		b = append(b, c...)
		b = append(b, '"')
	}
	main := v.audio
	if v.video != nil {
		main = v.video
		if v.video.Width > 0 && v.video.Height > 0 {
			b = append(b, ",RESOLUTION="...)
			b = strconv.AppendInt(b, int64(v.video.Width), 10)
			b = append(b, 'x')
			b = strconv.AppendInt(b, int64(v.video.Height), 10)
		}
		if fr := v.video.FrameRate; fr > 0 {
			b = append(b, ",FRAME-RATE="...)
			b = strconv.AppendFloat(b, fr, 'f', 3, 64)
		}
	}
	if v.group != nil {
		b = append(b, `,AUDIO="`...)
		b = append(b, v.group.id...)
		b = append(b, '"')
	}
	b = append(b, '\n')
	b = appendPlaylistName(b, name, main.Track.ID, false)
	b = appendQuery(b, query)
	return append(b, '\n')
}

// codecs is the variant's CODECS: every format of its video and audio (HLS
// §4.4.6.2), "" when one of them is unknown (a partial list would make a
// player reject what it could play).
func (v *variant) codecs() string {
	var list []string
	addCodec := func(c string) bool {
		if c == "" {
			return false
		}
		for _, x := range list {
			if x == c {
				return true
			}
		}
		list = append(list, c)
		return true
	}
	if v.video != nil && !addCodec(v.video.Codecs) {
		return ""
	}
	if v.audio != nil && !addCodec(v.audio.Codecs) {
		return ""
	}
	if v.group != nil {
		for i := range v.group.members {
			if !addCodec(v.group.members[i].stream.Codecs) {
				return ""
			}
		}
	}
	return strings.Join(list, ",")
}

// appendQuery appends "?query" when query is not empty.
func appendQuery(b []byte, query string) []byte {
	if query == "" {
		return b
	}
	b = append(b, '?')
	return append(b, query...)
}
