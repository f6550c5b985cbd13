// Package index is the interface of the live timeline's persistent index,
// apart from its implementations (boltindex, embedded) so that the
// timeline imports no database.
package index

// Index persists every channel's live timeline: per channel a state record,
// its tracks by id and its segments by sequence number, as opaque values
// the timeline encodes. A segment is committed only after the bytes of
// its fragments are durable in the media store, so the index never lists
// media that is not there. Commit, Trim and PutSegments are atomic: a
// crash leaves either the old or the new index. The embedded
// implementation is boltindex (bbolt under the data directory); a
// database shared by several nodes would be another.
type Index interface {
	// Load returns every channel's records, tracks and segments by
	// ascending key.
	Load() (map[string]*Records, error)
	// Commit stores a channel's state and puts tracks and segments.
	Commit(channel string, state []byte, tracks, segments []Record) error
	// Trim deletes the channel's segments before seq and the tracks
	// dropTracks.
	Trim(channel string, before uint64, dropTracks []uint64) error
	// PutSegments overwrites segments of a channel that exists.
	PutSegments(channel string, segments []Record) error
	// DeleteChannel deletes everything of a channel; none is no error.
	DeleteChannel(channel string) error
	Close() error
}

// Records are one channel's records in an Index.
type Records struct {
	State    []byte
	Tracks   []Record
	Segments []Record
}

// Record is one track (by id) or segment (by sequence number).
type Record struct {
	Key   uint64
	Value []byte
}
