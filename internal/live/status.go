package live

import "time"

// Status: a channel's ingest health, as the status view and the console show
// it.

// Status is the ingest health of a channel.
type Status struct {
	Channel        string        `json:"channel"`
	ActiveInput    Input         `json:"activeInput"`
	InputSwitches  uint64        `json:"inputSwitches"`
	Inputs         []InputStatus `json:"inputs"`
	Tracks         []TrackStatus `json:"tracks"`
	Renditions     []Rendition   `json:"renditions,omitempty"`
	Segments       int           `json:"segments"`
	FirstSeq       uint64        `json:"firstSequence,omitempty"`
	LastSeq        uint64        `json:"lastSequence,omitempty"`
	Gaps           int           `json:"gaps"`
	Discontinuity  uint64        `json:"discontinuitySequence"`
	TargetDuration float64       `json:"targetDurationSeconds"`
	WindowSeconds  float64       `json:"windowSeconds"`
	MediaBytes     int64         `json:"mediaBytes"`
	Ended          bool          `json:"ended"`
	LastUpdated    *time.Time    `json:"lastUpdated,omitempty"`
	Pending        int           `json:"pendingSegments"`
	// Fallback counts the ended input's last segments held for a
	// possible replacement (end.go).
	Fallback int            `json:"fallbackSegments,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"`
}

// InputStatus is the state of one ingest input.
type InputStatus struct {
	Input  Input `json:"input"`
	Active bool  `json:"active"`
	// Ended is set once the input's encoder ended its playlists
	// (#EXT-X-ENDLIST) and until it resumes.
	Ended              bool     `json:"ended,omitempty"`
	LastDeliveryAgeSec *float64 `json:"lastDeliveryAgeSeconds,omitempty"`
}

// TrackStatus is the state of one track.
type TrackStatus struct {
	ID                 int      `json:"id"`
	Rendition          string   `json:"rendition"`
	Kind               string   `json:"kind"`
	Codec              string   `json:"codec"`
	Width              int      `json:"width,omitempty"`
	Height             int      `json:"height,omitempty"`
	SampleRate         int      `json:"sampleRate,omitempty"`
	LastFragmentAgeSec *float64 `json:"lastFragmentAgeSeconds,omitempty"`
}

// status reports the channel's ingest health at now; updated is when the
// current snapshot was published.
func (c *core) status(now, updated time.Time) Status {
	s := Status{
		Channel:        c.id,
		ActiveInput:    c.st.Active,
		InputSwitches:  c.st.Switches,
		Renditions:     c.st.Renditions,
		Segments:       len(c.segs),
		Discontinuity:  c.st.DiscSeq,
		TargetDuration: c.st.TargetDuration.Seconds(),
		MediaBytes:     c.bytes,
		Ended:          c.st.Ended,
		Pending:        len(c.pending),
		Fallback:       len(c.fallback),
	}
	for _, i := range []Input{1, 2} {
		is := InputStatus{Input: i, Active: i == c.st.Active, Ended: c.st.Inputs[i].Ended}
		if in, ok := c.st.Inputs[i]; ok && !in.LastDelivery.IsZero() {
			age := now.Sub(in.LastDelivery).Seconds()
			is.LastDeliveryAgeSec = &age
		}
		s.Inputs = append(s.Inputs, is)
	}
	for _, tr := range c.tracks {
		info := tr.Latest().Info
		ts := TrackStatus{ID: tr.ID, Rendition: tr.Rendition, Kind: tr.Kind.String(), Codec: info.Codec.String(), Width: info.Width, Height: info.Height, SampleRate: info.SampleRate}
		if at, ok := c.lastFrag[tr.ID]; ok {
			age := now.Sub(at).Seconds()
			ts.LastFragmentAgeSec = &age
		}
		s.Tracks = append(s.Tracks, ts)
	}
	if n := len(c.segs); n > 0 {
		s.FirstSeq, s.LastSeq = c.segs[0].Seq, c.segs[n-1].Seq
		s.WindowSeconds = (c.segs[n-1].End() - c.segs[0].Start).Seconds()
		s.LastUpdated = &updated
	}
	for i := range c.segs {
		if c.segs[i].Gap {
			s.Gaps++
		}
	}
	return s
}
