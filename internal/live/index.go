package live

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// index persists every channel's timeline in a bbolt database: per channel
// a state record, its tracks and its segments. A segment is committed only
// after the bytes of its fragments are durable in the media store, so the
// index never lists media that is not there; bbolt's commits are atomic, so
// a crash leaves either the old or the new index.
type index struct {
	db *bolt.DB
}

var (
	bucketChannels = []byte("channels")
	bucketTracks   = []byte("tracks")
	bucketSegments = []byte("segments")
	keyState       = []byte("state")
)

// inputState is what the timeline remembers about one ingest input.
type inputState struct {
	// Offset maps input time to channel time (channel = input + Offset),
	// 90 kHz; valid when Mapped.
	Offset int64 `json:"offset"`
	Mapped bool  `json:"mapped"`
	// LastEnd is the input time just after its newest mapped segment.
	LastEnd int64 `json:"lastEnd"`
	// LastDelivery is the wall time of its newest delivery.
	LastDelivery time.Time `json:"lastDelivery"`
	// RemapStart is the input time of the segment that last remapped the
	// input after a discontinuity; other renditions of the same input
	// flag the same discontinuity and must not remap again.
	RemapStart int64 `json:"remapStart"`
	Remapped   bool  `json:"remapped"`
	// Ended is set when the input's encoder ended its playlist
	// (#EXT-X-ENDLIST) and cleared when it resumes; EndedAt is the input
	// time just after its last segment.
	Ended   bool  `json:"ended,omitempty"`
	EndedAt int64 `json:"endedAt,omitempty"`
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
	PDTAnchor     time.Time `json:"pdtAnchor"`
	PDTAnchorTime int64     `json:"pdtAnchorTime"`
	// Switches counts input switches over the channel's life.
	Switches uint64 `json:"switches"`
}

// channelRecord is a channel as loaded from the index.
type channelRecord struct {
	State    channelState
	Tracks   []*Track
	Segments []Segment
}

func openIndex(path string) (*index, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("live: open timeline index %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketChannels)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("live: init timeline index: %w", err)
	}
	return &index{db: db}, nil
}

func (ix *index) close() error { return ix.db.Close() }

func seqKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

func trackKey(id int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(id))
	return b[:]
}

// load reads every channel.
func (ix *index) load() (map[string]*channelRecord, error) {
	out := make(map[string]*channelRecord)
	err := ix.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChannels).ForEachBucket(func(name []byte) error {
			cb := tx.Bucket(bucketChannels).Bucket(name)
			rec := &channelRecord{}
			if v := cb.Get(keyState); v != nil {
				if err := json.Unmarshal(v, &rec.State); err != nil {
					return fmt.Errorf("channel %q state: %w", name, err)
				}
			}
			if tb := cb.Bucket(bucketTracks); tb != nil {
				err := tb.ForEach(func(k, v []byte) error {
					t := new(Track)
					if err := json.Unmarshal(v, t); err != nil {
						return fmt.Errorf("channel %q track: %w", name, err)
					}
					rec.Tracks = append(rec.Tracks, t)
					return nil
				})
				if err != nil {
					return err
				}
			}
			if sb := cb.Bucket(bucketSegments); sb != nil {
				err := sb.ForEach(func(k, v []byte) error {
					var s Segment
					if err := json.Unmarshal(v, &s); err != nil {
						return fmt.Errorf("channel %q segment: %w", name, err)
					}
					rec.Segments = append(rec.Segments, s)
					return nil
				})
				if err != nil {
					return err
				}
			}
			out[string(name)] = rec
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("live: load timeline index: %w", err)
	}
	return out, nil
}

// commit stores the channel state, changed tracks and new segments in one
// transaction.
func (ix *index) commit(channel string, st *channelState, tracks []*Track, segs []Segment) error {
	err := ix.db.Update(func(tx *bolt.Tx) error {
		cb, err := tx.Bucket(bucketChannels).CreateBucketIfNotExists([]byte(channel))
		if err != nil {
			return err
		}
		v, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if err := cb.Put(keyState, v); err != nil {
			return err
		}
		if len(tracks) > 0 {
			tb, err := cb.CreateBucketIfNotExists(bucketTracks)
			if err != nil {
				return err
			}
			for _, t := range tracks {
				v, err := json.Marshal(t)
				if err != nil {
					return err
				}
				if err := tb.Put(trackKey(t.ID), v); err != nil {
					return err
				}
			}
		}
		if len(segs) > 0 {
			sb, err := cb.CreateBucketIfNotExists(bucketSegments)
			if err != nil {
				return err
			}
			for i := range segs {
				v, err := json.Marshal(&segs[i])
				if err != nil {
					return err
				}
				if err := sb.Put(seqKey(segs[i].Seq), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("live: commit timeline of %q: %w", channel, err)
	}
	return nil
}

// trim deletes the channel's segments before seq and the tracks not in
// keep.
func (ix *index) trim(channel string, before uint64, dropTracks []int) error {
	err := ix.db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketChannels).Bucket([]byte(channel))
		if cb == nil {
			return nil
		}
		if sb := cb.Bucket(bucketSegments); sb != nil {
			c := sb.Cursor()
			for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) < before; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		if tb := cb.Bucket(bucketTracks); tb != nil {
			for _, id := range dropTracks {
				if err := tb.Delete(trackKey(id)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("live: trim timeline of %q: %w", channel, err)
	}
	return nil
}

// replaceSegments overwrites segments (used when startup checks turn a
// torn segment into a gap).
func (ix *index) replaceSegments(channel string, segs []Segment) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketChannels).Bucket([]byte(channel))
		if cb == nil {
			return nil
		}
		sb, err := cb.CreateBucketIfNotExists(bucketSegments)
		if err != nil {
			return err
		}
		for i := range segs {
			v, err := json.Marshal(&segs[i])
			if err != nil {
				return err
			}
			if err := sb.Put(seqKey(segs[i].Seq), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (ix *index) deleteChannel(channel string) error {
	err := ix.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketChannels).DeleteBucket([]byte(channel))
		if err == bolt.ErrBucketNotFound {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("live: delete timeline of %q: %w", channel, err)
	}
	return nil
}
