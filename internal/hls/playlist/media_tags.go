package playlist

import (
	"fmt"
	"math"
	"strings"
)

// mediaTag handles a media playlist or media segment tag
// (RFC 8216bis §4.4.3-4.4.5) and the ad-marker tags of standards.md §1.7.
func (p *parser) mediaTag(name, value, line string) error {
	switch name {
	case "#EXT-X-TARGETDURATION", "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-DISCONTINUITY-SEQUENCE", "#EXT-X-ENDLIST",
		"#EXT-X-PLAYLIST-TYPE", "#EXT-X-I-FRAMES-ONLY", "#EXT-X-PART-INF", "#EXT-X-SERVER-CONTROL", "#EXT-X-SKIP":
		// Playlist tags.
	case "#EXT-X-PART", "#EXT-X-PRELOAD-HINT", "#EXT-X-RENDITION-REPORT":
		// Counted by addSegTags below.
	default:
		if err := p.noteSegTag(line); err != nil {
			return err
		}
	}
	switch name {
	case "#EXTINF":
		if p.haveInf {
			return fmt.Errorf("#EXTINF: a second #EXTINF before the URI line of the one on line %d", p.infLine)
		}
		ds, title, _ := strings.Cut(value, ",")
		ds = strings.TrimSpace(ds)
		d, err := parseFloat(ds)
		if err != nil || d < 0 {
			return fmt.Errorf("#EXTINF: duration %q is not a number", clip(ds))
		}
		p.seg.Duration, p.seg.Title = d, title
		p.haveInf, p.infLine = true, p.line
	case "#EXT-X-TARGETDURATION":
		if p.haveTarget {
			return fmt.Errorf("%s: the playlist has more than one", name)
		}
		// A decimal-integer; some encoders write "6.0": round up as
		// protocol versions below 6 defined it.
		d, err := parseFloat(value)
		if err != nil || d < 0 || d > math.MaxInt32 {
			return fmt.Errorf("%s: %q is not a whole number of seconds", name, clip(value))
		}
		p.md.TargetDuration, p.haveTarget = int(math.Ceil(d)), true
	case "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-DISCONTINUITY-SEQUENCE":
		if len(p.md.Segments) > 0 || p.haveInf {
			return fmt.Errorf("%s: must come before the first segment", name)
		}
		v, err := parseUint(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not a decimal integer", name, clip(value))
		}
		if name == "#EXT-X-MEDIA-SEQUENCE" {
			p.md.MediaSequence = v
		} else {
			p.md.DiscontinuitySequence = v
		}
	case "#EXT-X-ENDLIST":
		p.md.EndList = true
	case "#EXT-X-PLAYLIST-TYPE":
		if value != "EVENT" && value != "VOD" {
			return fmt.Errorf("%s: %q, want EVENT or VOD", name, clip(value))
		}
		p.md.PlaylistType = value
	case "#EXT-X-I-FRAMES-ONLY":
		p.md.IFramesOnly = true
	case "#EXT-X-BYTERANGE":
		n, o, err := parseByteRange(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not <length>[@<offset>]", name, clip(value))
		}
		p.seg.ByteRange = &ByteRange{Length: n, Offset: o}
	case "#EXT-X-DISCONTINUITY":
		p.seg.Discontinuity = true
	case "#EXT-X-GAP":
		p.seg.Gap = true
	case "#EXT-X-PROGRAM-DATE-TIME":
		t, err := parseDate(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not an ISO 8601 date-time with time zone", name, clip(value))
		}
		p.seg.ProgramDateTime = t
	case "#EXT-X-KEY":
		k, err := parseKey(name, value)
		if err != nil {
			return err
		}
		if k.Method == "NONE" {
			p.curKey = nil
		} else {
			p.curKey = k
			p.md.Encrypted = true
		}
	case "#EXT-X-MAP":
		a, err := parseAttrs(name, value)
		if err != nil {
			return err
		}
		uri, err := a.required("URI")
		if err != nil {
			return err
		}
		m := &Map{URI: uri}
		if br, ok := a.lookup("BYTERANGE"); ok {
			n, o, err := parseByteRange(br.Value)
			if err != nil {
				return fmt.Errorf("%s: BYTERANGE %q is not <length>@<offset>", name, clip(br.Value))
			}
			m.ByteRange = &ByteRange{Length: n, Offset: max(o, 0)}
		}
		p.curMap = m
	case "#EXT-X-BITRATE":
		v, err := parseDecimalInteger(value)
		if err != nil {
			return fmt.Errorf("%s: %q is not a decimal integer (kbit/s)", name, clip(value))
		}
		p.curBitrate = v
	case "#EXT-X-DATERANGE":
		dr, err := parseDateRange(name, value)
		if err != nil {
			return err
		}
		p.seg.DateRanges = append(p.seg.DateRanges, dr)
	case "#EXT-X-CUE-OUT":
		p.seg.CueOut = parseCueOut(value)
	case "#EXT-X-CUE-OUT-CONT":
		p.seg.CueOutCont = strings.TrimSpace(value)
	case "#EXT-X-CUE-IN":
		p.seg.CueIn = true
	case "#EXT-X-PART-INF", "#EXT-X-SERVER-CONTROL", "#EXT-X-SKIP":
		p.md.Unknown = append(p.md.Unknown, line)
	default:
		// LL-HLS parts, preload hints and rendition reports: raw, on the
		// segment they precede or trailing.
		return p.addSegTags(line)
	}
	return nil
}

// addSegTags keeps unmodelled tags for the next segment.
func (p *parser) addSegTags(lines ...string) error {
	for _, l := range lines {
		if err := p.noteSegTag(l); err != nil {
			return err
		}
	}
	p.seg.Tags = append(p.seg.Tags, lines...)
	return nil
}

// noteSegTag records a media segment tag line for the next segment: it
// counts against MaxSegmentTags and becomes a trailing tag if no URI line
// follows.
func (p *parser) noteSegTag(line string) error {
	if len(p.segLines) == MaxSegmentTags {
		return errTooLarge("more than %d tags on one segment", MaxSegmentTags)
	}
	p.segLines = append(p.segLines, line)
	return nil
}

// endSegment completes the pending segment with its URI line.
func (p *parser) endSegment(uri string) error {
	if len(p.md.Segments) == MaxSegments {
		return errTooLarge("more than %d segments", MaxSegments)
	}
	s := p.seg
	s.URI = uri
	s.Map, s.Key, s.Bitrate = p.curMap, p.curKey, p.curBitrate
	if s.Discontinuity {
		p.disconts++
	}
	s.DiscontinuitySequence = p.disconts
	if br := s.ByteRange; br != nil {
		if br.Offset < 0 {
			// No offset: the sub-range starts after the previous one of
			// the same resource.
			if p.rangeURI != uri {
				return fmt.Errorf("#EXT-X-BYTERANGE without offset, but the previous segment is not a sub-range of %q", clip(uri))
			}
			br.Offset = p.rangeEnd
		}
		p.rangeURI, p.rangeEnd = uri, br.Offset+br.Length
	} else {
		p.rangeURI = ""
	}
	p.md.Segments = append(p.md.Segments, s)
	p.seg, p.segLines, p.haveInf = Segment{}, p.segLines[:0], false
	return nil
}

// parseKey parses EXT-X-KEY or EXT-X-SESSION-KEY attributes.
func parseKey(name, value string) (*Key, error) {
	a, err := parseAttrs(name, value)
	if err != nil {
		return nil, err
	}
	method, err := a.required("METHOD")
	if err != nil {
		return nil, err
	}
	k := &Key{Method: method, IV: a.str("IV"), KeyFormat: a.str("KEYFORMAT"), KeyFormatVersions: a.str("KEYFORMATVERSIONS")}
	if method != "NONE" {
		if k.URI, err = a.required("URI"); err != nil {
			return nil, err
		}
	}
	if k.IV != "" && !isHexSequence(k.IV) {
		return nil, fmt.Errorf("%s: IV %q is not a hexadecimal sequence", name, clip(k.IV))
	}
	return k, nil
}

// parseCueOut reads #EXT-X-CUE-OUT's value: "<seconds>", "DURATION=<s>"
// or nothing. Ad-marker dialects vary; an unreadable duration is 0, never
// an error.
func parseCueOut(value string) *CueOut {
	c := &CueOut{Raw: value}
	v := strings.TrimSpace(value)
	if d, err := parseFloat(strings.TrimSuffix(v, ",")); err == nil && d >= 0 {
		c.Duration = d
		return c
	}
	if a, err := parseAttrs("#EXT-X-CUE-OUT", v); err == nil {
		if d, ok, err := a.float("DURATION"); err == nil && ok && d >= 0 {
			c.Duration = d
		}
	}
	return c
}

// parseDateRange parses EXT-X-DATERANGE (RFC 8216bis §4.4.5.1).
func parseDateRange(name, value string) (DateRange, error) {
	a, err := parseAttrs(name, value)
	if err != nil {
		return DateRange{}, err
	}
	dr := DateRange{Class: a.str("CLASS"), Duration: -1, PlannedDuration: -1, Attrs: a.attrs}
	if dr.ID, err = a.required("ID"); err != nil {
		return DateRange{}, err
	}
	if s := a.str("START-DATE"); s != "" {
		if dr.StartDate, err = parseDate(s); err != nil {
			return DateRange{}, fmt.Errorf("%s: START-DATE %q is not an ISO 8601 date-time with time zone", name, clip(s))
		}
	}
	if s := a.str("END-DATE"); s != "" {
		if dr.EndDate, err = parseDate(s); err != nil {
			return DateRange{}, fmt.Errorf("%s: END-DATE %q is not an ISO 8601 date-time with time zone", name, clip(s))
		}
	}
	for _, f := range []struct {
		attr string
		dst  *float64
	}{{"DURATION", &dr.Duration}, {"PLANNED-DURATION", &dr.PlannedDuration}} {
		v, ok, err := a.float(f.attr)
		if err != nil {
			return DateRange{}, err
		}
		if ok {
			if v < 0 {
				return DateRange{}, fmt.Errorf("%s: %s %v is negative", name, f.attr, v)
			}
			*f.dst = v
		}
	}
	if a.str("END-ON-NEXT") == "YES" {
		dr.EndOnNext = true
	}
	for _, f := range []struct {
		attr string
		dst  *string
	}{{"SCTE35-CMD", &dr.SCTE35Cmd}, {"SCTE35-OUT", &dr.SCTE35Out}, {"SCTE35-IN", &dr.SCTE35In}} {
		if v := a.str(f.attr); v != "" {
			if !isHexSequence(v) {
				return DateRange{}, fmt.Errorf("%s: %s %q is not a hexadecimal sequence (0x…)", name, f.attr, clip(v))
			}
			*f.dst = v
		}
	}
	return dr, nil
}

// isHexSequence reports whether s is a hexadecimal-sequence: 0x or 0X and
// at least one hex digit.
func isHexSequence(s string) bool {
	if len(s) < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
