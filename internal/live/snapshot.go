package live

import (
	"sort"
	"time"

	"boxcar/internal/media"
)

// Input names one of a channel's two ingest endpoints: 1 or 2, in the order
// the channel lists them.
type Input int

// Snapshot is an immutable view of one channel's timeline. Readers keep it
// as long as they like; writers publish a new one for every change. Nothing
// reachable from a Snapshot is ever modified.
type Snapshot struct {
	Channel string
	// Version increases with every published change.
	Version uint64
	// Updated is the wall-clock time of the last published change.
	Updated time.Time
	// Tracks lists every track the window refers to, by ascending ID.
	Tracks []*Track
	// Renditions are the renditions the active input's multivariant
	// playlist declared, in its order (empty when it sent none).
	Renditions []Rendition
	// Segments is the published window: dense, ascending Seq.
	Segments []Segment
	// Runs lists every run of segments with one ingest segment length
	// and no discontinuity inside, oldest first, including runs that have
	// left the window (packagers derive stable output numbering from it).
	Runs []Run
	// TargetDuration is the current ingest target duration.
	TargetDuration time.Duration
	// ActiveInput is the input currently feeding the channel (0 before
	// any input delivered).
	ActiveInput Input
	// Ended is set when the channel's output ended: the active input
	// ended its playlists (#EXT-X-ENDLIST), the other input is not live,
	// and the last segment is published. One input's end alone is a
	// failover (end.go).
	Ended bool
}

// Track is one elementary stream of a channel.
type Track struct {
	// ID is stable for the life of the channel, starting at 1.
	ID int
	// Rendition is the ingest rendition (media playlist) that carries it.
	Rendition string
	// Key identifies the track within its rendition, e.g. "v0", "a0".
	Key  string
	Kind media.Kind
	// Inits are the codec configurations seen, oldest first; fragments
	// name theirs by index.
	Inits []Init
}

// Init is one codec configuration of a track and its stored init segment.
type Init struct {
	Info media.TrackInfo
	// StoreKey is the key of the CMAF init segment in the media store.
	StoreKey string
}

// Latest returns the track's newest configuration.
func (t *Track) Latest() *Init { return &t.Inits[len(t.Inits)-1] }

// Rendition is what a multivariant playlist says about one rendition.
type Rendition struct {
	// Name is the media playlist name without extension ("channel_1").
	Name             string   `json:"name"`
	Bandwidth        int64    `json:"bandwidth,omitempty"`
	AverageBandwidth int64    `json:"averageBandwidth,omitempty"`
	Codecs           []string `json:"codecs,omitempty"`
	Width            int      `json:"width,omitempty"`
	Height           int      `json:"height,omitempty"`
	FrameRate        float64  `json:"frameRate,omitempty"`
	AudioGroup       string   `json:"audioGroup,omitempty"`
	// Audio renditions (EXT-X-MEDIA TYPE=AUDIO).
	Audio      bool   `json:"audio,omitempty"`
	GroupID    string `json:"groupId,omitempty"`
	Language   string `json:"language,omitempty"`
	Label      string `json:"label,omitempty"`
	Default    bool   `json:"default,omitempty"`
	Autoselect bool   `json:"autoselect,omitempty"`
}

// Segment is one slot of the channel timeline: a span of media time with
// one fragment per track that delivered it.
type Segment struct {
	Seq uint64
	// Start and Duration on the channel timeline.
	Start    media.Ticks
	Duration media.Ticks
	// PDT is the wall-clock time of Start.
	PDT time.Time
	// Disc is set when a discontinuity precedes the segment; DiscSeq
	// counts the discontinuities up to and including it.
	Disc    bool
	DiscSeq uint64
	// Gap is set when nothing arrived for this span.
	Gap bool
	// Input is the ingest endpoint that supplied the segment.
	Input Input
	// Resumed is set on the first segment after the output had ended: an
	// input resumed and the live presentation reopened (Disc is set too).
	Resumed bool `json:",omitempty"`
	// Frags holds one fragment per delivering track, by ascending track.
	Frags []Fragment
	// Events are timed metadata carried by the ingest segment.
	Events []Event
}

// End is the channel time just after the segment.
func (s *Segment) End() media.Ticks { return s.Start + s.Duration }

// Frag returns the segment's fragment of track id, or nil.
func (s *Segment) Frag(id int) *Fragment {
	for i := range s.Frags {
		if s.Frags[i].Track == id {
			return &s.Frags[i]
		}
	}
	return nil
}

// Fragment is one stored unencrypted CMAF fragment (moof+mdat).
type Fragment struct {
	Track int
	// Init indexes Track.Inits.
	Init     int
	StoreKey string
	Size     int
	// DTS and Duration in the track's timescale.
	DTS      int64
	Duration int64
	Samples  int
	CRC32    uint32
}

// EventKind is the kind of a timed-metadata event.
type EventKind uint8

// Event kinds.
const (
	EventSCTE35 EventKind = iota + 1 // a splice_info_section from a TS PID
	EventID3                         // an ID3 tag from a TS PID
	EventHLSCue                      // an ad-marker tag from the ingest playlist, raw
)

// Event is timed metadata on the channel timeline, kept raw.
type Event struct {
	Kind EventKind
	// Time on the channel timeline, -1 when the source gave none.
	Time media.Ticks
	Data []byte
}

// Run is a stretch of segments without discontinuity and with one ingest
// segment length.
type Run struct {
	FirstSeq uint64
	// Target is the ingest target duration of the run.
	Target time.Duration
}

// Track returns the track with the given id, or nil.
func (s *Snapshot) Track(id int) *Track {
	i := sort.Search(len(s.Tracks), func(i int) bool { return s.Tracks[i].ID >= id })
	if i < len(s.Tracks) && s.Tracks[i].ID == id {
		return s.Tracks[i]
	}
	return nil
}

// Segment returns the segment with sequence number seq, or nil when it is
// not in the window.
func (s *Snapshot) Segment(seq uint64) *Segment {
	if len(s.Segments) == 0 {
		return nil
	}
	first := s.Segments[0].Seq
	if seq < first || seq-first >= uint64(len(s.Segments)) {
		return nil
	}
	return &s.Segments[seq-first]
}

// Edge is the channel time just after the newest segment, 0 when empty.
func (s *Snapshot) Edge() media.Ticks {
	if len(s.Segments) == 0 {
		return 0
	}
	return s.Segments[len(s.Segments)-1].End()
}

// RunOf returns the index in Runs of the run containing seq.
func (s *Snapshot) RunOf(seq uint64) int {
	i := sort.Search(len(s.Runs), func(i int) bool { return s.Runs[i].FirstSeq > seq })
	return i - 1
}
