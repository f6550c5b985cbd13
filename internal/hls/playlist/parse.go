package playlist

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse parses a multivariant or media playlist. The result is *Multivariant
// or *Media; errors are *SyntaxError.
func Parse(data []byte) (Playlist, error) {
	if len(data) > MaxSize {
		return nil, &SyntaxError{Msg: fmt.Sprintf("%d bytes, more than %d", len(data), MaxSize), Err: ErrTooLarge}
	}
	p := &parser{}
	if err := p.parse(data); err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, se
		}
		se = &SyntaxError{Line: p.line, Msg: err.Error()}
		if errors.Is(err, ErrTooLarge) {
			se.Err = ErrTooLarge
		}
		return nil, se
	}
	if p.kind == kindMultivariant {
		return &p.mv, nil
	}
	return &p.md, nil
}

// limitError is a message for a limit violation; it unwraps to ErrTooLarge.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return ErrTooLarge }

func errTooLarge(format string, args ...any) error {
	return &limitError{msg: fmt.Sprintf(format, args...)}
}

type playlistKind uint8

const (
	kindUnknown playlistKind = iota
	kindMultivariant
	kindMedia
)

// parser holds the state of one Parse call.
type parser struct {
	line     int
	kind     playlistKind
	kindLine int
	kindTag  string
	mv       Multivariant
	md       Media

	haveVersion bool
	haveTarget  bool
	defines     map[string]string
	preamble    []string // unknown tags seen before the playlist kind is known

	// Media playlist state.
	seg         Segment  // the segment whose URI line comes next
	segLines    []string // media segment tag lines for seg, raw
	haveInf     bool
	infLine     int
	curMap      *Map
	curKey      *Key
	curBitrate  int64
	rangeURI    string // resource of the previous byte range
	rangeEnd    int64  // and the offset just past it
	disconts    uint64 // EXT-X-DISCONTINUITY tags so far
	lastSegLine int

	// Multivariant state.
	variant     *Variant
	variantLine int
}

func (p *parser) parse(data []byte) error {
	// One copy of the input; lines, URIs and raw tags are slices of it.
	text := strings.TrimPrefix(string(data), "\xef\xbb\xbf")
	if n := strings.Count(text, "#EXTINF:"); n > 0 {
		p.md.Segments = make([]Segment, 0, min(n, 1<<14)) // bounded: "#EXTINF:" may be inside one long line
	}
	first := true
	for len(text) > 0 {
		p.line++
		if p.line > MaxLines {
			return errTooLarge("more than %d lines", MaxLines)
		}
		var line string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, ""
		}
		if len(line) > MaxLineLength {
			return errTooLarge("line of %d bytes, more than %d", len(line), MaxLineLength)
		}
		s := strings.TrimRight(line, "\r \t")
		if first {
			first = false
			if s != "#EXTM3U" {
				return fmt.Errorf("first line is %q, want #EXTM3U", clip(s))
			}
			continue
		}
		if s == "" {
			continue
		}
		if s[0] != '#' {
			if err := p.uri(p.subst(strings.TrimLeft(s, " \t"))); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(s, "#EXT") {
			continue // a comment
		}
		if err := p.tag(s); err != nil {
			return err
		}
	}
	if first {
		return fmt.Errorf("empty input, want #EXTM3U")
	}
	return p.finish()
}

// setKind records the playlist kind a tag implies.
func (p *parser) setKind(k playlistKind, tag string) error {
	switch p.kind {
	case k:
		return nil
	case kindUnknown:
		p.kind, p.kindLine, p.kindTag = k, p.line, tag
		if k == kindMultivariant {
			p.mv.Unknown = append(p.mv.Unknown, p.preamble...)
		} else if err := p.addSegTags(p.preamble...); err != nil {
			return err
		}
		p.preamble = nil
		return nil
	}
	what := map[playlistKind]string{kindMultivariant: "multivariant", kindMedia: "media"}
	return fmt.Errorf("%s is a %s playlist tag, but %s on line %d made this a %s playlist",
		tag, what[k], p.kindTag, p.kindLine, what[p.kind])
}

// subst applies EXT-X-DEFINE variables ({$name}) to s. References to
// undefined variables are left as written.
func (p *parser) subst(s string) string {
	if len(p.defines) == 0 || !strings.Contains(s, "{$") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{$")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		name := s[i+2 : i+j]
		v, ok := p.defines[name]
		if !ok {
			v = s[i : i+j+1]
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
		if b.Len() > MaxLineLength {
			break
		}
	}
	b.WriteString(s)
	return b.String()
}

// tag handles one tag line.
func (p *parser) tag(line string) error {
	name, value, _ := strings.Cut(line, ":")
	if name != "#EXT-X-DEFINE" {
		value = p.subst(value)
	}
	switch name {
	case "#EXTM3U":
		return nil
	case "#EXT-X-VERSION":
		if p.haveVersion {
			return fmt.Errorf("%s: the playlist has more than one", name)
		}
		v, err := parseDecimalInteger(value)
		if err != nil || v > 1000 {
			return fmt.Errorf("%s: %q is not a version number", name, clip(value))
		}
		p.haveVersion = true
		p.mv.Version, p.md.Version = int(v), int(v)
		return nil
	case "#EXT-X-INDEPENDENT-SEGMENTS":
		p.mv.IndependentSegments, p.md.IndependentSegments = true, true
		return nil
	case "#EXT-X-START":
		a, err := parseAttrs(name, value)
		if err != nil {
			return err
		}
		if _, err := a.required("TIME-OFFSET"); err != nil {
			return err
		}
		off, _, err := a.float("TIME-OFFSET")
		if err != nil {
			return err
		}
		precise, err := a.yesNo("PRECISE")
		if err != nil {
			return err
		}
		st := &Start{TimeOffset: off, Precise: precise}
		p.mv.Start, p.md.Start = st, st
		return nil
	case "#EXT-X-DEFINE":
		a, err := parseAttrs(name, value)
		if err != nil {
			return err
		}
		if n := a.str("NAME"); n != "" {
			if p.defines == nil {
				p.defines = map[string]string{}
			}
			if len(p.defines) >= MaxAttributes {
				return errTooLarge("%s: more than %d variables", name, MaxAttributes)
			}
			p.defines[n] = a.str("VALUE")
		}
		p.mv.Unknown = append(p.mv.Unknown, line)
		p.md.Unknown = append(p.md.Unknown, line)
		return nil
	case "#EXT-X-ALLOW-CACHE":
		return nil // removed in protocol version 7; meaningless
	case "#EXT-X-STREAM-INF", "#EXT-X-I-FRAME-STREAM-INF", "#EXT-X-MEDIA", "#EXT-X-SESSION-DATA",
		"#EXT-X-SESSION-KEY", "#EXT-X-CONTENT-STEERING":
		if err := p.setKind(kindMultivariant, name); err != nil {
			return err
		}
		return p.multivariantTag(name, value, line)
	case "#EXTINF", "#EXT-X-TARGETDURATION", "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-DISCONTINUITY-SEQUENCE",
		"#EXT-X-ENDLIST", "#EXT-X-PLAYLIST-TYPE", "#EXT-X-I-FRAMES-ONLY", "#EXT-X-BYTERANGE",
		"#EXT-X-DISCONTINUITY", "#EXT-X-KEY", "#EXT-X-MAP", "#EXT-X-PROGRAM-DATE-TIME", "#EXT-X-GAP",
		"#EXT-X-BITRATE", "#EXT-X-DATERANGE", "#EXT-X-CUE-OUT", "#EXT-X-CUE-OUT-CONT", "#EXT-X-CUE-IN",
		"#EXT-X-PART", "#EXT-X-PART-INF", "#EXT-X-SERVER-CONTROL", "#EXT-X-PRELOAD-HINT",
		"#EXT-X-RENDITION-REPORT", "#EXT-X-SKIP":
		if err := p.setKind(kindMedia, name); err != nil {
			return err
		}
		return p.mediaTag(name, value, line)
	}
	// Unknown tags and vendor ad markers (#EXT-OATCLS-SCTE35, #EXT-X-ASSET,
	// #EXT-X-SCTE35, …): raw.
	switch p.kind {
	case kindMultivariant:
		p.mv.Unknown = append(p.mv.Unknown, line)
	case kindMedia:
		return p.addSegTags(line)
	default:
		if len(p.preamble) >= MaxSegmentTags {
			return errTooLarge("more than %d unknown tags before the first known one", MaxSegmentTags)
		}
		p.preamble = append(p.preamble, line)
	}
	return nil
}

// uri handles a URI line.
func (p *parser) uri(s string) error {
	switch {
	case p.variant != nil:
		p.variant.URI = s
		p.mv.Variants = append(p.mv.Variants, *p.variant)
		p.variant = nil
		return nil
	case p.kind == kindMultivariant:
		return fmt.Errorf("URI line %q does not follow an #EXT-X-STREAM-INF", clip(s))
	case !p.haveInf:
		return fmt.Errorf("URI line %q has no #EXTINF before it", clip(s))
	}
	return p.endSegment(s)
}

func (p *parser) finish() error {
	if p.variant != nil {
		p.line = p.variantLine
		return fmt.Errorf("#EXT-X-STREAM-INF has no URI line after it")
	}
	switch p.kind {
	case kindUnknown:
		p.line = 0
		return fmt.Errorf("no #EXT-X-TARGETDURATION, segments or variants: neither a media nor a multivariant playlist")
	case kindMedia:
		if p.haveInf {
			p.line = p.infLine
			return fmt.Errorf("#EXTINF has no URI line after it")
		}
		if !p.haveTarget {
			p.line = 0
			return fmt.Errorf("media playlist without #EXT-X-TARGETDURATION")
		}
		if len(p.segLines) > 0 {
			p.md.TrailingTags = p.segLines
		}
		for i := range p.md.Segments {
			s := &p.md.Segments[i]
			s.Sequence = p.md.MediaSequence + uint64(i)
			s.DiscontinuitySequence += p.md.DiscontinuitySequence
		}
	}
	return nil
}

// parseDate parses an ISO 8601 date-time with time zone, as RFC 3339 or
// with a "+hhmm" offset (ffmpeg writes "2026-11-24T21:00:00.000+0000").
// Fractional seconds are optional.
func parseDate(s string) (time.Time, error) {
	// Pick the layout from the zone suffix: "Z", "+hh:mm", "+hhmm" or "+hh".
	layout := "2006-01-02T15:04:05Z07:00"
	if i := strings.LastIndexAny(s, "+-"); i > len("2006-01-02T") && !strings.HasSuffix(s, "Z") {
		switch len(s) - i {
		case len("+0000"):
			layout = "2006-01-02T15:04:05Z0700"
		case len("+00"):
			layout = "2006-01-02T15:04:05Z07"
		}
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an ISO 8601 date-time with time zone")
	}
	return t, nil
}

// parseByteRange parses "<n>[@<o>]"; offset is -1 when absent.
func parseByteRange(s string) (n, o int64, err error) {
	ns, os, hasOffset := strings.Cut(s, "@")
	n, err = parseDecimalInteger(ns)
	if err != nil {
		return 0, 0, err
	}
	o = -1
	if hasOffset {
		if o, err = parseDecimalInteger(os); err != nil {
			return 0, 0, err
		}
	}
	if n > math.MaxInt64/2 || o > math.MaxInt64/2 {
		return 0, 0, strconv.ErrRange
	}
	return n, o, nil
}
