package playlist

import "time"

// Media is a media playlist (RFC 8216bis §4.4.3-4.4.5).
type Media struct {
	Version        int
	TargetDuration int
	// MediaSequence is the sequence number of the first segment;
	// DiscontinuitySequence its discontinuity sequence number.
	MediaSequence, DiscontinuitySequence uint64
	// PlaylistType is "EVENT", "VOD" or "" (live sliding window).
	PlaylistType                              string
	EndList, IFramesOnly, IndependentSegments bool
	Start                                     *Start
	Segments                                  []Segment
	// Encrypted is set when any EXT-X-KEY has a METHOD other than NONE,
	// so callers can reject content they can not read.
	Encrypted bool
	// TrailingTags are the media segment tags after the last URI line,
	// raw: they apply to a segment not listed yet (a live-edge
	// #EXT-X-DATERANGE or #EXT-X-CUE-IN, LL-HLS #EXT-X-PART and
	// #EXT-X-PRELOAD-HINT).
	TrailingTags []string
	// Unknown are other playlist-level tags, raw (EXT-X-SERVER-CONTROL,
	// EXT-X-PART-INF, EXT-X-DEFINE, …).
	Unknown []string
}

// Segment is one media segment: its URI line and the tags that apply to it.
type Segment struct {
	URI string
	// Duration is the EXTINF duration in seconds; Title what follows the
	// comma.
	Duration float64
	Title    string
	// Sequence is the media sequence number of the segment and
	// DiscontinuitySequence its discontinuity sequence number.
	Sequence, DiscontinuitySequence uint64
	Discontinuity, Gap              bool
	// ProgramDateTime is the zero time when the segment has none.
	ProgramDateTime time.Time
	// Map is the media initialization section in force (EXT-X-MAP), nil
	// for none.
	Map *Map
	// ByteRange is the segment's sub-range of URI, nil for all of it. An
	// omitted offset is resolved to the end of the previous sub-range.
	ByteRange *ByteRange
	// Key is the EXT-X-KEY in force, nil when none or METHOD=NONE.
	Key *Key
	// Bitrate is the EXT-X-BITRATE in force, kbit/s, 0 for none.
	Bitrate int64

	// Ad markers (standards.md §1.7). CueOut is #EXT-X-CUE-OUT;
	// CueOutCont the raw value of #EXT-X-CUE-OUT-CONT
	// ("ElapsedTime=5.939,Duration=201.467,SCTE35=/DA0…" or "8.308/30");
	// CueIn is #EXT-X-CUE-IN.
	CueOut     *CueOut
	CueOutCont string
	CueIn      bool
	// DateRanges are the EXT-X-DATERANGE tags before the URI line.
	DateRanges []DateRange
	// Tags are the other tags before the URI line, raw, in order
	// (#EXT-OATCLS-SCTE35:…, #EXT-X-ASSET:…, #EXT-X-PART:…).
	Tags []string
}

// Map is EXT-X-MAP (RFC 8216bis §4.4.4.5).
type Map struct {
	URI       string
	ByteRange *ByteRange
}

// ByteRange is a sub-range of a resource: Length bytes from Offset.
type ByteRange struct {
	Length, Offset int64
}

// Key is EXT-X-KEY or EXT-X-SESSION-KEY (RFC 8216bis §4.4.4.4).
type Key struct {
	// Method is NONE, AES-128, SAMPLE-AES, SAMPLE-AES-CTR, …
	Method string
	URI    string
	// IV is the hexadecimal-sequence as written ("0x…"), "" if absent.
	IV                           string
	KeyFormat, KeyFormatVersions string
}

// CueOut is #EXT-X-CUE-OUT: the start of an ad break.
type CueOut struct {
	// Duration of the break in seconds, 0 when not given.
	Duration float64
	// Raw is the tag value as written ("30.000", "DURATION=30").
	Raw string
}

// DateRange is EXT-X-DATERANGE (RFC 8216bis §4.4.5.1).
type DateRange struct {
	ID, Class string
	StartDate time.Time
	// EndDate is zero when absent; Duration and PlannedDuration are -1
	// when absent.
	EndDate                   time.Time
	Duration, PlannedDuration float64
	EndOnNext                 bool
	// SCTE35Cmd, SCTE35Out and SCTE35In are the hexadecimal-sequences as
	// written ("0xFC30…"), "" when absent.
	SCTE35Cmd, SCTE35Out, SCTE35In string
	// Attrs are all attributes as written, including X-<name> client
	// attributes.
	Attrs []Attr
}
