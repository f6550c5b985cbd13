// Package playlist parses HLS playlists (draft-pantos-hls-rfc8216bis,
// RFC 8216): multivariant playlists and media playlists as encoders push
// them to Boxcar's ingest. Input is untrusted: sizes are bounded by named
// limits and every rejection is a *SyntaxError naming the line and what is
// wrong with it.
//
// The parser accepts what real encoders send: CRLF line ends, a UTF-8 BOM,
// #EXT-X-PROGRAM-DATE-TIME between #EXTINF and the URI (ffmpeg), and the
// ad-marker tags of AWS Elemental MediaLive (#EXT-X-CUE-OUT, -CUE-OUT-CONT,
// -CUE-IN, #EXT-OATCLS-SCTE35, #EXT-X-DATERANGE with SCTE35-OUT/IN/CMD).
// Unknown tags are kept raw: on the segment they precede, or on the
// playlist.
//
// The package is pure: it never logs and keeps no globals.
package playlist

import (
	"errors"
	"fmt"
)

// Limits on untrusted input.
const (
	// MaxSize bounds a playlist in bytes: a 24-hour EVENT playlist of
	// 2-second segments with program date-times is about 6 MB.
	MaxSize = 16 << 20
	// MaxLines bounds the lines of a playlist (same reasoning as MaxSize:
	// 43200 segments of 3 lines each, with room for ad markers).
	MaxLines = 1 << 20
	// MaxLineLength bounds one line: URIs with signed tokens are a few KB,
	// a DATERANGE carrying a 4 KB SCTE-35 section in hex is about 8 KB.
	MaxLineLength = 64 << 10
	// MaxSegments bounds the segments of a media playlist: 27 hours of
	// 1-second segments.
	MaxSegments = 100000
	// MaxVariants bounds the variants (and, separately, the I-frame
	// variants and renditions) of a multivariant playlist.
	MaxVariants = 1024
	// MaxAttributes bounds the attributes of one attribute list.
	MaxAttributes = 128
	// MaxSegmentTags bounds the unknown tags and date ranges kept for one
	// segment.
	MaxSegmentTags = 256
)

// ErrTooLarge is wrapped by the *SyntaxError returned when input exceeds one
// of the limits above.
var ErrTooLarge = errors.New("playlist: input exceeds a limit")

// SyntaxError reports why a playlist was rejected.
type SyntaxError struct {
	// Line is the 1-based line number, 0 when the error concerns the
	// whole playlist.
	Line int
	// Msg says what is wrong, naming the tag: `#EXTINF: duration "abc" is
	// not a number`.
	Msg string
	// Err is ErrTooLarge for limit violations, else nil.
	Err error
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return "playlist: " + e.Msg
	}
	return fmt.Sprintf("playlist: line %d: %s", e.Line, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Playlist is a parsed playlist: *Multivariant or *Media.
type Playlist interface {
	playlist()
}

func (*Multivariant) playlist() {}
func (*Media) playlist()        {}
