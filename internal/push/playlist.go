package push

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The playlists an encoder pushes (RFC 8216bis): one multivariant playlist
// naming the media playlists, and per rendition a sliding-window live media
// playlist, rewritten after every segment.

// Multivariant is a multivariant playlist (RFC 8216bis §4.4.6): the video
// variants and the audio renditions they refer to.
type Multivariant struct {
	// Version is EXT-X-VERSION: 3 for TS, 7 for fMP4.
	Version  int
	Variants []Variant
	Audio    []AudioRendition
}

// Variant is one EXT-X-STREAM-INF (§4.4.6.2).
type Variant struct {
	URI string
	// Bandwidth is the peak segment bit rate in bit/s, audio rendition
	// included; AverageBandwidth the average.
	Bandwidth, AverageBandwidth int64
	// Codecs are RFC 6381 codec strings, video first.
	Codecs        []string
	Width, Height int
	FrameRate     float64
	// AudioGroup is the GROUP-ID of the audio renditions to play with it,
	// "" for none (muxed audio or no audio).
	AudioGroup string
}

// AudioRendition is one EXT-X-MEDIA of TYPE=AUDIO (§4.4.6.1).
type AudioRendition struct {
	GroupID, Name string
	// Language is an RFC 5646 tag, "" when unknown.
	Language string
	Channels int
	URI      string
}

// Encode writes the playlist.
func (m *Multivariant) Encode() []byte {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	fmt.Fprintf(&b, "#EXT-X-VERSION:%d\n", m.Version)
	b.WriteString("#EXT-X-INDEPENDENT-SEGMENTS\n")
	for i, a := range m.Audio {
		fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=%q,NAME=%q", a.GroupID, a.Name)
		if a.Language != "" {
			fmt.Fprintf(&b, ",LANGUAGE=%q", a.Language)
		}
		def := "NO"
		if i == 0 {
			def = "YES"
		}
		fmt.Fprintf(&b, ",DEFAULT=%s,AUTOSELECT=YES", def)
		if a.Channels > 0 {
			fmt.Fprintf(&b, ",CHANNELS=\"%d\"", a.Channels)
		}
		fmt.Fprintf(&b, ",URI=%q\n", a.URI)
	}
	for _, v := range m.Variants {
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", v.Bandwidth)
		if v.AverageBandwidth > 0 {
			fmt.Fprintf(&b, ",AVERAGE-BANDWIDTH=%d", v.AverageBandwidth)
		}
		if len(v.Codecs) > 0 {
			fmt.Fprintf(&b, ",CODECS=%q", strings.Join(v.Codecs, ","))
		}
		if v.Width > 0 && v.Height > 0 {
			fmt.Fprintf(&b, ",RESOLUTION=%dx%d", v.Width, v.Height)
		}
		if v.FrameRate > 0 {
			fmt.Fprintf(&b, ",FRAME-RATE=%.3f", v.FrameRate)
		}
		if v.AudioGroup != "" {
			fmt.Fprintf(&b, ",AUDIO=%q", v.AudioGroup)
		}
		b.WriteString("\n" + v.URI + "\n")
	}
	return []byte(b.String())
}

// MediaPlaylist is a live media playlist (RFC 8216bis §4.4.3): a sliding
// window of segments.
type MediaPlaylist struct {
	// Version is EXT-X-VERSION: 3 for TS, 7 for fMP4.
	Version int
	// TargetDuration is EXT-X-TARGETDURATION; it must not change during a
	// stream. TargetDurationFor derives it from the longest segment.
	TargetDuration int
	// MediaSequence is the sequence number of the first segment listed.
	MediaSequence uint64
	// Map is the URI of the init segment (EXT-X-MAP), "" for TS.
	Map      string
	Segments []PlaylistSegment
	// Ended adds EXT-X-ENDLIST: the stream is over.
	Ended bool
}

// PlaylistSegment is one listed media segment.
type PlaylistSegment struct {
	URI      string
	Duration time.Duration
	// ProgramDateTime is the wall-clock time of the segment's first
	// frame (EXT-X-PROGRAM-DATE-TIME); zero for none.
	ProgramDateTime time.Time
}

// TargetDurationFor returns the target duration for segments of at most
// longest: EXTINF durations rounded to the nearest second must not exceed
// it (§4.4.3.1).
func TargetDurationFor(longest time.Duration) int {
	return max(1, int(math.Round(longest.Seconds())))
}

// Encode writes the playlist.
func (p *MediaPlaylist) Encode() []byte {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	fmt.Fprintf(&b, "#EXT-X-VERSION:%d\n", p.Version)
	fmt.Fprintf(&b, "#EXT-X-TARGETDURATION:%d\n", p.TargetDuration)
	fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n", p.MediaSequence)
	if p.Map != "" {
		fmt.Fprintf(&b, "#EXT-X-MAP:URI=%q\n", p.Map)
	}
	for _, s := range p.Segments {
		if !s.ProgramDateTime.IsZero() {
			b.WriteString("#EXT-X-PROGRAM-DATE-TIME:" + s.ProgramDateTime.UTC().Format("2006-01-02T15:04:05.000Z") + "\n")
		}
		b.WriteString("#EXTINF:" + strconv.FormatFloat(s.Duration.Seconds(), 'f', 3, 64) + ",\n")
		b.WriteString(s.URI + "\n")
	}
	if p.Ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return []byte(b.String())
}
