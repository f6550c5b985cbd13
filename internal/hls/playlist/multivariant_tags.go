package playlist

import (
	"fmt"
	"strings"
)

// multivariantTag handles a multivariant playlist tag (RFC 8216bis §4.4.6).
func (p *parser) multivariantTag(name, value, line string) error {
	switch name {
	case "#EXT-X-STREAM-INF", "#EXT-X-I-FRAME-STREAM-INF":
		if p.variant != nil {
			return fmt.Errorf("%s: the #EXT-X-STREAM-INF on line %d has no URI line", name, p.variantLine)
		}
		v, err := parseVariant(name, value)
		if err != nil {
			return err
		}
		if name == "#EXT-X-I-FRAME-STREAM-INF" {
			if len(p.mv.IFrameVariants) == MaxVariants {
				return errTooLarge("more than %d I-frame variants", MaxVariants)
			}
			if v.URI == "" {
				return fmt.Errorf("%s: required attribute URI is missing", name)
			}
			p.mv.IFrameVariants = append(p.mv.IFrameVariants, v)
			return nil
		}
		if len(p.mv.Variants) == MaxVariants {
			return errTooLarge("more than %d variants", MaxVariants)
		}
		p.variant, p.variantLine = &v, p.line
	case "#EXT-X-MEDIA":
		if len(p.mv.Renditions) == MaxVariants {
			return errTooLarge("more than %d renditions", MaxVariants)
		}
		r, err := parseRendition(name, value)
		if err != nil {
			return err
		}
		p.mv.Renditions = append(p.mv.Renditions, r)
	case "#EXT-X-SESSION-KEY":
		k, err := parseKey(name, value)
		if err != nil {
			return err
		}
		if len(p.mv.SessionKeys) == MaxVariants {
			return errTooLarge("more than %d session keys", MaxVariants)
		}
		p.mv.SessionKeys = append(p.mv.SessionKeys, *k)
	case "#EXT-X-SESSION-DATA":
		p.mv.SessionData = append(p.mv.SessionData, line)
	default:
		p.mv.Unknown = append(p.mv.Unknown, line)
	}
	return nil
}

// parseVariant parses the attributes of EXT-X-STREAM-INF or
// EXT-X-I-FRAME-STREAM-INF.
func parseVariant(name, value string) (Variant, error) {
	a, err := parseAttrs(name, value)
	if err != nil {
		return Variant{}, err
	}
	v := Variant{
		URI:             a.str("URI"),
		HDCPLevel:       a.str("HDCP-LEVEL"),
		VideoRange:      a.str("VIDEO-RANGE"),
		Audio:           a.str("AUDIO"),
		Video:           a.str("VIDEO"),
		Subtitles:       a.str("SUBTITLES"),
		ClosedCaptions:  a.str("CLOSED-CAPTIONS"),
		StableVariantID: a.str("STABLE-VARIANT-ID"),
		PathwayID:       a.str("PATHWAY-ID"),
		Attrs:           a.attrs,
	}
	if _, err := a.required("BANDWIDTH"); err != nil {
		return Variant{}, err
	}
	if v.Bandwidth, err = a.integer("BANDWIDTH"); err != nil {
		return Variant{}, err
	}
	if v.AverageBandwidth, err = a.integer("AVERAGE-BANDWIDTH"); err != nil {
		return Variant{}, err
	}
	codecs, err := a.quoted("CODECS")
	if err != nil {
		return Variant{}, err
	}
	v.Codecs = splitList(codecs)
	v.SupplementalCodecs = splitList(a.str("SUPPLEMENTAL-CODECS"))
	if v.Width, v.Height, err = a.resolution("RESOLUTION"); err != nil {
		return Variant{}, err
	}
	if v.FrameRate, _, err = a.float("FRAME-RATE"); err != nil {
		return Variant{}, err
	}
	if v.Score, _, err = a.float("SCORE"); err != nil {
		return Variant{}, err
	}
	return v, nil
}

// parseRendition parses the attributes of EXT-X-MEDIA.
func parseRendition(name, value string) (Rendition, error) {
	a, err := parseAttrs(name, value)
	if err != nil {
		return Rendition{}, err
	}
	r := Rendition{
		Language:          a.str("LANGUAGE"),
		AssocLanguage:     a.str("ASSOC-LANGUAGE"),
		URI:               a.str("URI"),
		Channels:          a.str("CHANNELS"),
		InstreamID:        a.str("INSTREAM-ID"),
		Characteristics:   a.str("CHARACTERISTICS"),
		StableRenditionID: a.str("STABLE-RENDITION-ID"),
	}
	if r.Type, err = a.required("TYPE"); err != nil {
		return Rendition{}, err
	}
	switch r.Type {
	case "AUDIO", "VIDEO", "SUBTITLES", "CLOSED-CAPTIONS":
	default:
		return Rendition{}, fmt.Errorf("%s: TYPE=%s, want AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS", name, clip(r.Type))
	}
	if r.GroupID, err = a.required("GROUP-ID"); err != nil {
		return Rendition{}, err
	}
	if r.Name, err = a.required("NAME"); err != nil {
		return Rendition{}, err
	}
	for _, f := range []struct {
		attr string
		dst  *bool
	}{{"DEFAULT", &r.Default}, {"AUTOSELECT", &r.Autoselect}, {"FORCED", &r.Forced}} {
		if *f.dst, err = a.yesNo(f.attr); err != nil {
			return Rendition{}, err
		}
	}
	var n int64
	if n, err = a.integer("BIT-DEPTH"); err != nil {
		return Rendition{}, err
	}
	r.BitDepth = int(min(n, 1<<16))
	if n, err = a.integer("SAMPLE-RATE"); err != nil {
		return Rendition{}, err
	}
	r.SampleRate = int(min(n, 1<<30))
	return r, nil
}

// splitList splits a comma separated list, trimming spaces, nil if empty.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
