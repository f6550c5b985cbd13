package store

import (
	"container/list"
	"context"
	"strings"
	"sync"
)

// Cached puts a bounded in-memory tier in front of a durable store: the
// live edge is served from memory while the durable store keeps the DVR
// window. Writes go to the durable store first, so Put keeps its contract.
type Cached struct {
	backing Store
	max     int64

	mu    sync.Mutex
	bytes int64
	lru   *list.List // front = most recent; values *cacheEntry
	index map[string]*list.Element
	// gen counts deletions. A Put or Get that read the backing store
	// while a deletion ran does not cache what it read, so the memory
	// tier never resurrects an object deleted underneath it.
	gen uint64
}

type cacheEntry struct {
	key  string
	data []byte
}

// NewCached returns a store that keeps up to maxBytes of recently written
// or read objects of backing in memory.
func NewCached(backing Store, maxBytes int64) *Cached {
	return &Cached{backing: backing, max: maxBytes, lru: list.New(), index: make(map[string]*list.Element)}
}

// Put writes to the backing store, then a copy to memory (the caller may
// reuse data).
func (c *Cached) Put(ctx context.Context, key string, data []byte) error {
	gen := c.generation()
	if err := c.backing.Put(ctx, key, data); err != nil {
		c.drop(func(k string) bool { return k == key }) // whatever the backing store holds now
		return err
	}
	if int64(len(data)) <= c.max/4 {
		data = append([]byte(nil), data...)
	}
	c.add(key, data, gen)
	return nil
}

func (c *Cached) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// add caches data under key unless a deletion ran since generation gen.
// An object too large to keep evicts the key's older value.
func (c *Cached) add(key string, data []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if int64(len(data)) > c.max/4 {
		c.dropLocked(func(k string) bool { return k == key })
		return
	}
	if el, ok := c.index[key]; ok {
		e := el.Value.(*cacheEntry)
		c.bytes += int64(len(data) - len(e.data))
		e.data = data
		c.lru.MoveToFront(el)
	} else {
		c.index[key] = c.lru.PushFront(&cacheEntry{key: key, data: data})
		c.bytes += int64(len(data))
	}
	for c.bytes > c.max {
		el := c.lru.Back()
		e := el.Value.(*cacheEntry)
		c.lru.Remove(el)
		delete(c.index, e.key)
		c.bytes -= int64(len(e.data))
	}
}

// Get serves from memory when it can.
func (c *Cached) Get(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.index[key]; ok {
		c.lru.MoveToFront(el)
		data := el.Value.(*cacheEntry).data
		c.mu.Unlock()
		return data, nil
	}
	gen := c.gen
	c.mu.Unlock()
	data, err := c.backing.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	c.add(key, data, gen)
	return data, nil
}

// List lists the backing store.
func (c *Cached) List(ctx context.Context, prefix string) ([]string, error) {
	return c.backing.List(ctx, prefix)
}

// Delete removes key from both tiers.
func (c *Cached) Delete(ctx context.Context, key string) error {
	c.drop(func(k string) bool { return k == key })
	return c.backing.Delete(ctx, key)
}

// DeletePrefix removes every key under prefix from both tiers.
func (c *Cached) DeletePrefix(ctx context.Context, prefix string) error {
	c.drop(func(k string) bool { return strings.HasPrefix(k, prefix) })
	return c.backing.DeletePrefix(ctx, prefix)
}

// drop forgets the cached keys that match and starts a new generation.
func (c *Cached) drop(match func(string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.dropLocked(match)
}

func (c *Cached) dropLocked(match func(string) bool) {
	for k, el := range c.index {
		if match(k) {
			c.bytes -= int64(len(el.Value.(*cacheEntry).data))
			c.lru.Remove(el)
			delete(c.index, k)
		}
	}
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
