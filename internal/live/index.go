package live

import (
	"encoding/json"
	"fmt"
	"time"

	"boxcar/internal/live/index"
	"boxcar/internal/media"
)

// inputState is what the timeline remembers about one ingest input.
type inputState struct {
	// Offset maps input time to channel time (channel = input + Offset);
	// valid when Mapped.
	Offset media.Ticks `json:"offset"`
	Mapped bool        `json:"mapped"`
	// LastEnd is the input time just after its newest mapped segment.
	LastEnd media.Ticks `json:"lastEnd"`
	// LastDelivery is the wall time of its newest delivery.
	LastDelivery time.Time `json:"lastDelivery"`
	// RemapStart is the input time of the segment that last remapped the
	// input after a discontinuity; other renditions of the same input
	// flag the same discontinuity and must not remap again.
	RemapStart media.Ticks `json:"remapStart"`
	Remapped   bool        `json:"remapped"`
	// Ended is set when the input's encoder ended its playlist
	// (#EXT-X-ENDLIST) and cleared when it resumes; EndedAt is the input
	// time just after its last segment.
	Ended   bool        `json:"ended,omitempty"`
	EndedAt media.Ticks `json:"endedAt,omitempty"`
}

// channelState is a channel's persisted scalar state.
type channelState struct {
	NextTrackID    int                  `json:"nextTrackId"`
	NextSeq        uint64               `json:"nextSeq"`
	DiscSeq        uint64               `json:"discSeq"`
	Active         Input                `json:"active"`
	Inputs         map[Input]inputState `json:"inputs"`
	Runs           []Run                `json:"runs"`
	TargetDuration time.Duration        `json:"targetDuration"`
	Renditions     []Rendition          `json:"renditions,omitempty"`
	// Ended is set while the output is ended: every input ended.
	Ended bool `json:"ended,omitempty"`
	// PDTAnchor maps channel time PDTAnchorTime to wall-clock PDTAnchor.
	PDTAnchor     time.Time   `json:"pdtAnchor"`
	PDTAnchorTime media.Ticks `json:"pdtAnchorTime"`
	// Switches counts input switches over the channel's life.
	Switches uint64 `json:"switches"`
}

// channelRecord is a channel as loaded from the index.
type channelRecord struct {
	State    channelState
	Tracks   []*Track
	Segments []Segment
}

// indexCodec encodes the timeline for an index.Index.
type indexCodec struct {
	kv index.Index
}

// load reads every channel.
func (ix *indexCodec) load() (map[string]*channelRecord, error) {
	recs, err := ix.kv.Load()
	if err != nil {
		return nil, fmt.Errorf("live: load timeline index: %w", err)
	}
	out := make(map[string]*channelRecord, len(recs))
	for name, r := range recs {
		rec := &channelRecord{}
		if r.State != nil {
			if err := json.Unmarshal(r.State, &rec.State); err != nil {
				return nil, fmt.Errorf("live: load timeline index: channel %q state: %w", name, err)
			}
		}
		for _, v := range r.Tracks {
			t := new(Track)
			if err := json.Unmarshal(v.Value, t); err != nil {
				return nil, fmt.Errorf("live: load timeline index: channel %q track: %w", name, err)
			}
			rec.Tracks = append(rec.Tracks, t)
		}
		for _, v := range r.Segments {
			var s Segment
			if err := json.Unmarshal(v.Value, &s); err != nil {
				return nil, fmt.Errorf("live: load timeline index: channel %q segment: %w", name, err)
			}
			rec.Segments = append(rec.Segments, s)
		}
		out[name] = rec
	}
	return out, nil
}

// commit stores the channel state, changed tracks and new segments in one
// transaction.
func (ix *indexCodec) commit(channel string, st *channelState, tracks []*Track, segs []Segment) error {
	err := func() error {
		state, err := json.Marshal(st)
		if err != nil {
			return err
		}
		var trs []index.Record
		for _, t := range tracks {
			v, err := json.Marshal(t)
			if err != nil {
				return err
			}
			trs = append(trs, index.Record{Key: uint64(t.ID), Value: v})
		}
		ss, err := segmentRecords(segs)
		if err != nil {
			return err
		}
		return ix.kv.Commit(channel, state, trs, ss)
	}()
	if err != nil {
		return fmt.Errorf("live: commit timeline of %q: %w", channel, err)
	}
	return nil
}

func segmentRecords(segs []Segment) ([]index.Record, error) {
	out := make([]index.Record, 0, len(segs))
	for i := range segs {
		v, err := json.Marshal(&segs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, index.Record{Key: segs[i].Seq, Value: v})
	}
	return out, nil
}

// trim deletes the channel's segments before seq and the tracks
// dropTracks.
func (ix *indexCodec) trim(channel string, before uint64, dropTracks []int) error {
	ids := make([]uint64, len(dropTracks))
	for i, id := range dropTracks {
		ids[i] = uint64(id)
	}
	if err := ix.kv.Trim(channel, before, ids); err != nil {
		return fmt.Errorf("live: trim timeline of %q: %w", channel, err)
	}
	return nil
}

// replaceSegments overwrites segments (used when startup checks turn a
// torn segment into a gap).
func (ix *indexCodec) replaceSegments(channel string, segs []Segment) error {
	ss, err := segmentRecords(segs)
	if err == nil {
		err = ix.kv.PutSegments(channel, ss)
	}
	if err != nil {
		return fmt.Errorf("live: repair timeline of %q: %w", channel, err)
	}
	return nil
}

func (ix *indexCodec) deleteChannel(channel string) error {
	if err := ix.kv.DeleteChannel(channel); err != nil {
		return fmt.Errorf("live: delete timeline of %q: %w", channel, err)
	}
	return nil
}

func (ix *indexCodec) close() error { return ix.kv.Close() }
