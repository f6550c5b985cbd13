package store

import (
	"context"
	"strings"

	"boxcar/internal/lru"
)

// Cached puts a bounded in-memory tier in front of a durable store: the
// live edge is served from memory while the durable store keeps the DVR
// window. Writes go to the durable store first, so Put keeps its contract.
type Cached struct {
	backing Store
	// mem is the memory tier. Deletions invalidate: a Put or Get that
	// read the backing store while a deletion ran does not cache what it
	// read, so the memory tier never resurrects an object deleted
	// underneath it.
	mem *lru.Cache[string, []byte]
}

// NewCached returns a store that keeps up to maxBytes of recently written
// or read objects of backing in memory.
func NewCached(backing Store, maxBytes int64) *Cached {
	return &Cached{backing: backing, mem: lru.New(maxBytes, func(_ string, data []byte) int64 { return int64(len(data)) })}
}

// maxObject is the largest object the memory tier keeps: a quarter of
// its bound, so one object never evicts the whole live edge.
func (c *Cached) maxObject() int64 { return c.mem.Max() / 4 }

// Put writes to the backing store, then a copy to memory (the caller may
// reuse data).
func (c *Cached) Put(ctx context.Context, key string, data []byte) error {
	gen := c.mem.Generation()
	if err := c.backing.Put(ctx, key, data); err != nil {
		c.mem.Invalidate(key) // whatever the backing store holds now
		return err
	}
	if int64(len(data)) <= c.maxObject() {
		data = append([]byte(nil), data...)
	}
	// An object too large to keep evicts the key's older value.
	c.mem.PutSince(gen, key, data, c.maxObject())
	return nil
}

// Get serves from memory when it can.
func (c *Cached) Get(ctx context.Context, key string) ([]byte, error) {
	if data, ok := c.mem.Get(key, nil); ok {
		return data, nil
	}
	gen := c.mem.Generation()
	data, err := c.backing.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	c.mem.PutSince(gen, key, data, c.maxObject())
	return data, nil
}

// List lists the backing store.
func (c *Cached) List(ctx context.Context, prefix string) ([]string, error) {
	return c.backing.List(ctx, prefix)
}

// Delete removes key from both tiers.
func (c *Cached) Delete(ctx context.Context, key string) error {
	c.mem.Invalidate(key)
	return c.backing.Delete(ctx, key)
}

// DeletePrefix removes every key under prefix from both tiers.
func (c *Cached) DeletePrefix(ctx context.Context, prefix string) error {
	c.mem.InvalidateFunc(func(k string) bool { return strings.HasPrefix(k, prefix) })
	return c.backing.DeletePrefix(ctx, prefix)
}

// Size asks the backing store when it can tell sizes, else reads the
// object.
func (c *Cached) Size(ctx context.Context, key string) (int64, error) {
	if s, ok := c.backing.(Sizer); ok {
		return s.Size(ctx, key)
	}
	b, err := c.Get(ctx, key)
	return int64(len(b)), err
}
