package configstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. Values are the resources' JSON; keys are their ids.
var (
	bucketChannels    = []byte("channels")
	bucketEndpoints   = []byte("origin_endpoints")
	bucketByChannel   = []byte("origin_endpoints_by_channel") // channelID 0x00 endpointID → empty
	bucketHarvestJobs = []byte("harvest_jobs")
	bucketMeta        = []byte("meta")
	keySchema         = []byte("schema")
)

// schemaVersion is stored in the meta bucket so a later release can migrate
// an older file instead of misreading it.
const schemaVersion = "1"

// openTimeout bounds the wait for bbolt's file lock: another process that
// holds the file should produce an error, not a hang.
const openTimeout = 5 * time.Second

// Bolt is the embedded Store: one bbolt file under the data directory.
// It is safe for concurrent use; writes are serialized by bbolt, each in one
// fsync'ed transaction, and readers never block writers.
type Bolt struct {
	db      *bolt.DB
	version atomic.Uint64
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating if needed) the config database at path.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("configstore: open %s: the file is locked, is another Boxcar process using this data directory? %w", path, err)
		}
		return nil, fmt.Errorf("configstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketChannels, bucketEndpoints, bucketByChannel, bucketHarvestJobs, bucketSecrets, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keySchema); {
		case v == nil:
			return meta.Put(keySchema, []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("schema version %q, this release reads %q", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("configstore: open %s: %w", path, err)
	}
	b := &Bolt{db: db}
	b.version.Store(1)
	return b, nil
}

// Close closes the database file.
func (b *Bolt) Close() error {
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("configstore: close: %w", err)
	}
	return nil
}

// Version increases after every committed write. It starts at 1 when the
// store is opened.
func (b *Bolt) Version() uint64 { return b.version.Load() }

// update runs fn in a write transaction and bumps the version if it
// committed.
func (b *Bolt) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.db.Update(fn); err != nil {
		return err
	}
	b.version.Add(1)
	return nil
}

func (b *Bolt) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.View(fn)
}

// checkID rejects ids the key layout cannot hold. The control plane applies
// the stricter API rules before it gets here.
func checkID(kind, id string) error {
	if id == "" || strings.IndexByte(id, 0) >= 0 {
		return fmt.Errorf("configstore: %s id %q: must be non-empty and contain no NUL byte", kind, id)
	}
	return nil
}

func byChannelKey(channelID, endpointID string) []byte {
	k := make([]byte, 0, len(channelID)+1+len(endpointID))
	k = append(k, channelID...)
	k = append(k, 0)
	return append(k, endpointID...)
}

// get decodes the value under key into v; ErrNotFound if absent.
func get(bk *bolt.Bucket, kind, id string, v any) error {
	data := bk.Get([]byte(id))
	if data == nil {
		return fmt.Errorf("%w: %s %q", ErrNotFound, kind, id)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("configstore: decode %s %q: %w", kind, id, err)
	}
	return nil
}

func put(bk *bolt.Bucket, kind, id string, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("configstore: encode %s %q: %w", kind, id, err)
	}
	if err := bk.Put([]byte(id), data); err != nil {
		return nil, fmt.Errorf("configstore: write %s %q: %w", kind, id, err)
	}
	return data, nil
}

// list walks bk in key order from just after p.After, decoding values into
// new items and keeping those keep accepts, up to p.Limit (all when
// p.Limit <= 0). It returns the items and the id to resume after, or "".
func list[T any](bk *bolt.Bucket, kind string, p Page, keep func(*T) bool) ([]*T, string, error) {
	var out []*T
	c := bk.Cursor()
	k, v := c.Seek([]byte(p.After))
	if k != nil && p.After != "" && string(k) == p.After {
		k, v = c.Next()
	}
	for ; k != nil; k, v = c.Next() {
		item := new(T)
		if err := json.Unmarshal(v, item); err != nil {
			return nil, "", fmt.Errorf("configstore: decode %s %q: %w", kind, k, err)
		}
		if keep != nil && !keep(item) {
			continue
		}
		if p.Limit > 0 && len(out) == p.Limit {
			// One more matching item exists: the page is full.
			return out, idOf(out[len(out)-1]), nil
		}
		out = append(out, item)
	}
	return out, "", nil
}

func idOf(v any) string {
	switch x := v.(type) {
	case *Channel:
		return x.ID
	case *OriginEndpoint:
		return x.ID
	case *HarvestJob:
		return x.ID
	case *Secret:
		return x.Name
	}
	return ""
}

// CreateChannel stores a new channel; ErrExists if the id is taken.
func (b *Bolt) CreateChannel(ctx context.Context, ch *Channel) error {
	if err := checkID("channel", ch.ID); err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketChannels)
		if bk.Get([]byte(ch.ID)) != nil {
			return fmt.Errorf("%w: channel %q", ErrExists, ch.ID)
		}
		_, err := put(bk, "channel", ch.ID, ch)
		return err
	})
}

// Channel returns the channel with the given id.
func (b *Bolt) Channel(ctx context.Context, id string) (*Channel, error) {
	ch := new(Channel)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketChannels), "channel", id, ch)
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// UpdateChannel applies fn to the stored channel in one transaction.
func (b *Bolt) UpdateChannel(ctx context.Context, id string, fn func(*Channel) error) (*Channel, error) {
	var out *Channel
	err := b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketChannels)
		ch := new(Channel)
		if err := get(bk, "channel", id, ch); err != nil {
			return err
		}
		if err := fn(ch); err != nil {
			return err
		}
		if ch.ID != id {
			return fmt.Errorf("configstore: update channel %q: the id is immutable", id)
		}
		data, err := put(bk, "channel", id, ch)
		if err != nil {
			return err
		}
		out = new(Channel)
		return json.Unmarshal(data, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteChannel deletes a channel; ErrConflict while it has endpoints.
func (b *Bolt) DeleteChannel(ctx context.Context, id string) error {
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketChannels)
		if bk.Get([]byte(id)) == nil {
			return fmt.Errorf("%w: channel %q", ErrNotFound, id)
		}
		prefix := byChannelKey(id, "")
		if k, _ := tx.Bucket(bucketByChannel).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return fmt.Errorf("%w: channel %q has origin endpoints", ErrConflict, id)
		}
		return bk.Delete([]byte(id))
	})
}

// ListChannels lists channels in id order.
func (b *Bolt) ListChannels(ctx context.Context, p Page) ([]*Channel, string, error) {
	var (
		out  []*Channel
		next string
	)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = list[Channel](tx.Bucket(bucketChannels), "channel", p, nil)
		return err
	})
	return out, next, err
}

// CreateEndpoint stores a new origin endpoint and indexes it by channel.
func (b *Bolt) CreateEndpoint(ctx context.Context, ep *OriginEndpoint) error {
	if err := checkID("origin endpoint", ep.ID); err != nil {
		return err
	}
	if err := checkID("channel", ep.ChannelID); err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketChannels).Get([]byte(ep.ChannelID)) == nil {
			return fmt.Errorf("%w: channel %q", ErrNotFound, ep.ChannelID)
		}
		bk := tx.Bucket(bucketEndpoints)
		if bk.Get([]byte(ep.ID)) != nil {
			return fmt.Errorf("%w: origin endpoint %q", ErrExists, ep.ID)
		}
		if _, err := put(bk, "origin endpoint", ep.ID, ep); err != nil {
			return err
		}
		return tx.Bucket(bucketByChannel).Put(byChannelKey(ep.ChannelID, ep.ID), nil)
	})
}

// Endpoint returns the origin endpoint with the given id.
func (b *Bolt) Endpoint(ctx context.Context, id string) (*OriginEndpoint, error) {
	ep := new(OriginEndpoint)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketEndpoints), "origin endpoint", id, ep)
	})
	if err != nil {
		return nil, err
	}
	return ep, nil
}

// UpdateEndpoint applies fn to the stored endpoint in one transaction. The
// id and channel id are immutable.
func (b *Bolt) UpdateEndpoint(ctx context.Context, id string, fn func(*OriginEndpoint) error) (*OriginEndpoint, error) {
	var out *OriginEndpoint
	err := b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEndpoints)
		ep := new(OriginEndpoint)
		if err := get(bk, "origin endpoint", id, ep); err != nil {
			return err
		}
		channelID := ep.ChannelID
		if err := fn(ep); err != nil {
			return err
		}
		if ep.ID != id || ep.ChannelID != channelID {
			return fmt.Errorf("configstore: update origin endpoint %q: id and channelId are immutable", id)
		}
		data, err := put(bk, "origin endpoint", id, ep)
		if err != nil {
			return err
		}
		out = new(OriginEndpoint)
		return json.Unmarshal(data, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteEndpoint deletes an origin endpoint and its index entry.
func (b *Bolt) DeleteEndpoint(ctx context.Context, id string) error {
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEndpoints)
		ep := new(OriginEndpoint)
		if err := get(bk, "origin endpoint", id, ep); err != nil {
			return err
		}
		if err := bk.Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketByChannel).Delete(byChannelKey(ep.ChannelID, id))
	})
}

// ListEndpoints lists endpoints in id order, only channelID's when it is
// not "".
func (b *Bolt) ListEndpoints(ctx context.Context, channelID string, p Page) ([]*OriginEndpoint, string, error) {
	var (
		out  []*OriginEndpoint
		next string
	)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEndpoints)
		if channelID == "" {
			var err error
			out, next, err = list[OriginEndpoint](bk, "origin endpoint", p, nil)
			return err
		}
		// Walk the channel's index range; ids within it sort like the
		// endpoint ids themselves.
		prefix := byChannelKey(channelID, "")
		c := tx.Bucket(bucketByChannel).Cursor()
		k, _ := c.Seek(byChannelKey(channelID, p.After))
		if k != nil && p.After != "" && string(k[len(prefix):]) == p.After {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := string(k[len(prefix):])
			if p.Limit > 0 && len(out) == p.Limit {
				next = out[len(out)-1].ID
				return nil
			}
			ep := new(OriginEndpoint)
			if err := get(bk, "origin endpoint", id, ep); err != nil {
				return fmt.Errorf("configstore: index names missing endpoint: %w", err)
			}
			out = append(out, ep)
		}
		return nil
	})
	return out, next, err
}

// CreateHarvestJob stores a new harvest job; ErrExists if the id is taken,
// ErrNotFound if its origin endpoint does not exist.
func (b *Bolt) CreateHarvestJob(ctx context.Context, job *HarvestJob) error {
	if err := checkID("harvest job", job.ID); err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketEndpoints).Get([]byte(job.OriginEndpointID)) == nil {
			return fmt.Errorf("%w: origin endpoint %q", ErrNotFound, job.OriginEndpointID)
		}
		bk := tx.Bucket(bucketHarvestJobs)
		if bk.Get([]byte(job.ID)) != nil {
			return fmt.Errorf("%w: harvest job %q", ErrExists, job.ID)
		}
		_, err := put(bk, "harvest job", job.ID, job)
		return err
	})
}

// HarvestJob returns the harvest job with the given id.
func (b *Bolt) HarvestJob(ctx context.Context, id string) (*HarvestJob, error) {
	job := new(HarvestJob)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketHarvestJobs), "harvest job", id, job)
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// UpdateHarvestJob applies fn to the stored job in one transaction.
func (b *Bolt) UpdateHarvestJob(ctx context.Context, id string, fn func(*HarvestJob) error) (*HarvestJob, error) {
	var out *HarvestJob
	err := b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketHarvestJobs)
		job := new(HarvestJob)
		if err := get(bk, "harvest job", id, job); err != nil {
			return err
		}
		if err := fn(job); err != nil {
			return err
		}
		if job.ID != id {
			return fmt.Errorf("configstore: update harvest job %q: the id is immutable", id)
		}
		data, err := put(bk, "harvest job", id, job)
		if err != nil {
			return err
		}
		out = new(HarvestJob)
		return json.Unmarshal(data, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListHarvestJobs lists harvest jobs in id order, filtered by f.
func (b *Bolt) ListHarvestJobs(ctx context.Context, f HarvestJobFilter, p Page) ([]*HarvestJob, string, error) {
	var (
		out  []*HarvestJob
		next string
	)
	keep := func(j *HarvestJob) bool {
		return (f.ChannelID == "" || j.ChannelID == f.ChannelID) && (f.Status == "" || j.Status == f.Status)
	}
	err := b.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = list(tx.Bucket(bucketHarvestJobs), "harvest job", p, keep)
		return err
	})
	return out, next, err
}
