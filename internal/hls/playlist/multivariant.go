package playlist

// Multivariant is a multivariant (master) playlist (RFC 8216bis §4.4.6).
type Multivariant struct {
	Version             int
	IndependentSegments bool
	Start               *Start
	// Variants are the EXT-X-STREAM-INF entries with the URI line that
	// follows each.
	Variants []Variant
	// IFrameVariants are the EXT-X-I-FRAME-STREAM-INF entries.
	IFrameVariants []Variant
	// Renditions are the EXT-X-MEDIA entries.
	Renditions []Rendition
	// SessionKeys are the EXT-X-SESSION-KEY entries: the content is
	// encrypted when there are any.
	SessionKeys []Key
	// SessionData are the EXT-X-SESSION-DATA lines, raw.
	SessionData []string
	// Unknown are the other tag lines, raw (EXT-X-CONTENT-STEERING, …).
	Unknown []string
}

// Variant is one EXT-X-STREAM-INF or EXT-X-I-FRAME-STREAM-INF
// (RFC 8216bis §4.4.6.2-3).
type Variant struct {
	URI string
	// Bandwidth is the peak segment bit rate in bits/s; AverageBandwidth
	// is 0 when absent.
	Bandwidth, AverageBandwidth int64
	// Codecs is the CODECS list split at commas ("avc1.64001f", "mp4a.40.2").
	Codecs             []string
	SupplementalCodecs []string
	Width, Height      int
	FrameRate          float64
	Score              float64
	HDCPLevel          string
	VideoRange         string
	// Audio, Video and Subtitles name EXT-X-MEDIA groups; ClosedCaptions
	// too, or is "NONE" when the enumerated value NONE is given.
	Audio, Video, Subtitles, ClosedCaptions string
	StableVariantID                         string
	PathwayID                               string
	// Attrs are all attributes as written, for the ones not modelled.
	Attrs []Attr
}

// Rendition is one EXT-X-MEDIA (RFC 8216bis §4.4.6.1).
type Rendition struct {
	// Type is AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS.
	Type, GroupID, Name, Language, AssocLanguage, URI string
	// Channels is the CHANNELS string ("2", "6", "16/JOC").
	Channels   string
	InstreamID string
	// Characteristics is the CHARACTERISTICS string, comma separated UTIs.
	Characteristics             string
	StableRenditionID           string
	BitDepth, SampleRate        int
	Default, Autoselect, Forced bool
}

// Start is EXT-X-START (RFC 8216bis §4.4.2.2).
type Start struct {
	TimeOffset float64
	Precise    bool
}
