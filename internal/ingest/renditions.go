package ingest

import (
	"time"

	"boxcar/internal/live"
)

// parsedPlaylist is what ingest needs of an uploaded playlist: exactly one
// of multi and media is set.
type parsedPlaylist struct {
	multi *multivariantPlaylist
	media *mediaPlaylist
}

// multivariantPlaylist is the rendition ladder an encoder declares.
type multivariantPlaylist struct {
	variants []variant
	media    []alternative
}

// variant is one EXT-X-STREAM-INF.
type variant struct {
	uri              string
	bandwidth        int64
	averageBandwidth int64
	codecs           []string
	width, height    int
	frameRate        float64
	audio            string
}

// alternative is one EXT-X-MEDIA of TYPE=AUDIO with a URI.
type alternative struct {
	uri        string
	groupID    string
	name       string
	language   string
	isDefault  bool
	autoselect bool
}

// mediaPlaylist is a media playlist as ingest uses it.
type mediaPlaylist struct {
	target   time.Duration
	mediaSeq uint64
	ended    bool
	// keyMethod is the first EXT-X-KEY METHOD other than NONE.
	keyMethod string
	segments  []mediaSegment
}

// mediaSegment is one listed segment.
type mediaSegment struct {
	uri      string
	duration time.Duration
	disc     bool
	pdt      time.Time
	mapURI   string
	// cues are the ad-marker tags before the segment, as raw lines.
	cues [][]byte
}

// renditions turns a multivariant playlist into the timeline's rendition
// declarations; a rendition's name is its media playlist's name below the
// ingest endpoint without extension. Entries whose URI leaves the ingest
// endpoint are ignored.
func (h *Handler) renditions(t target, name string, m *multivariantPlaylist) []live.Rendition {
	audio := make(map[string]*alternative)
	for i := range m.media {
		if nm, ok := resolve(t, name, m.media[i].uri); ok {
			audio[nm] = &m.media[i]
		}
	}
	var rs []live.Rendition
	seen := make(map[string]bool)
	addAudio := func(nm string, a *alternative) {
		seen[nm] = true
		rs = append(rs, live.Rendition{
			Name:       renditionName(nm),
			Audio:      true,
			GroupID:    a.groupID,
			Language:   a.language,
			Label:      a.name,
			Default:    a.isDefault,
			Autoselect: a.autoselect,
		})
	}
	for _, v := range m.variants {
		nm, ok := resolve(t, name, v.uri)
		if !ok || seen[nm] {
			continue
		}
		if a := audio[nm]; a != nil {
			// An audio-only variant that is also its group's rendition
			// (ffmpeg's -var_stream_map "a:0,agroup:…" writes both).
			addAudio(nm, a)
			continue
		}
		seen[nm] = true
		rs = append(rs, live.Rendition{
			Name:             renditionName(nm),
			Bandwidth:        v.bandwidth,
			AverageBandwidth: v.averageBandwidth,
			Codecs:           v.codecs,
			Width:            v.width,
			Height:           v.height,
			FrameRate:        v.frameRate,
			AudioGroup:       v.audio,
		})
	}
	for i := range m.media {
		if nm, ok := resolve(t, name, m.media[i].uri); ok && !seen[nm] {
			addAudio(nm, &m.media[i])
		}
	}
	return rs
}
