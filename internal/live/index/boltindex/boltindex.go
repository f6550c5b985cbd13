// Package boltindex is the embedded timeline index (index.Index): one bbolt database under
// the data directory. Per channel a bucket holds the state record and
// two buckets: tracks keyed by 4-byte big-endian id and segments keyed by
// 8-byte big-endian sequence number, so a cursor walks them in order.
package boltindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"boxcar/internal/live/index"
)

var (
	bucketChannels = []byte("channels")
	bucketTracks   = []byte("tracks")
	bucketSegments = []byte("segments")
	keyState       = []byte("state")
)

// Index is an index.Index in a bbolt file.
type Index struct {
	db *bolt.DB
}

var _ index.Index = (*Index)(nil)

// Open opens (creating) the index file at path.
func Open(path string) (*Index, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("boltindex: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketChannels)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltindex: init %s: %w", path, err)
	}
	return &Index{db: db}, nil
}

// Close closes the file.
func (ix *Index) Close() error { return ix.db.Close() }

func seqKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

func trackKey(id uint64) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(id))
	return b[:]
}

// Load implements index.Index.
func (ix *Index) Load() (map[string]*index.Records, error) {
	out := make(map[string]*index.Records)
	err := ix.db.View(func(tx *bolt.Tx) error {
		channels := tx.Bucket(bucketChannels)
		return channels.ForEachBucket(func(name []byte) error {
			cb := channels.Bucket(name)
			rec := &index.Records{}
			if v := cb.Get(keyState); v != nil {
				rec.State = append([]byte(nil), v...)
			}
			rec.Tracks = records(cb.Bucket(bucketTracks))
			rec.Segments = records(cb.Bucket(bucketSegments))
			out[string(name)] = rec
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// records copies a bucket's values out of the transaction, by key.
func records(b *bolt.Bucket) []index.Record {
	if b == nil {
		return nil
	}
	var out []index.Record
	b.ForEach(func(k, v []byte) error {
		var key uint64
		for _, c := range k {
			key = key<<8 | uint64(c)
		}
		out = append(out, index.Record{Key: key, Value: append([]byte(nil), v...)})
		return nil
	})
	return out
}

// Commit implements index.Index.
func (ix *Index) Commit(channel string, state []byte, tracks, segments []index.Record) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		cb, err := tx.Bucket(bucketChannels).CreateBucketIfNotExists([]byte(channel))
		if err != nil {
			return err
		}
		if err := cb.Put(keyState, state); err != nil {
			return err
		}
		if err := put(cb, bucketTracks, trackKey, tracks); err != nil {
			return err
		}
		return put(cb, bucketSegments, seqKey, segments)
	})
}

// put stores recs in the named child bucket of cb.
func put(cb *bolt.Bucket, name []byte, key func(uint64) []byte, recs []index.Record) error {
	if len(recs) == 0 {
		return nil
	}
	b, err := cb.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := b.Put(key(r.Key), r.Value); err != nil {
			return err
		}
	}
	return nil
}

// Trim implements index.Index.
func (ix *Index) Trim(channel string, before uint64, dropTracks []uint64) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
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
}

// PutSegments implements index.Index.
func (ix *Index) PutSegments(channel string, segments []index.Record) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketChannels).Bucket([]byte(channel))
		if cb == nil {
			return nil
		}
		return put(cb, bucketSegments, seqKey, segments)
	})
}

// DeleteChannel implements index.Index.
func (ix *Index) DeleteChannel(channel string) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketChannels).DeleteBucket([]byte(channel))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}
