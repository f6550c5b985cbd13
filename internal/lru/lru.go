// Package lru is a least-recently-used cache bounded in bytes, shared by
// the egress output cache and the memory tier of the media store.
package lru

import (
	"iter"
	"sync"
)

// Cache maps keys to values, holding at most a byte bound of them by a
// size function; past the bound the least recently used entries are
// evicted. A generation counts invalidations, so a caller that reads
// from a slower tier can refuse to cache what an invalidation made
// stale (PutSince). Safe for concurrent use.
type Cache[K comparable, V any] struct {
	max     int64
	size    func(K, V) int64
	onEvict func()

	mu    sync.Mutex
	bytes int64
	gen   uint64
	items map[K]*entry[K, V]
	root  entry[K, V] // sentinel: root.next is the most recent
}

// entry is one node of the recency list.
type entry[K comparable, V any] struct {
	key        K
	val        V
	size       int64
	prev, next *entry[K, V]
}

// New returns a cache holding up to maxBytes, as counted by size.
func New[K comparable, V any](maxBytes int64, size func(K, V) int64) *Cache[K, V] {
	c := &Cache[K, V]{max: maxBytes, size: size, onEvict: func() {}, items: make(map[K]*entry[K, V])}
	c.root.next, c.root.prev = &c.root, &c.root
	return c
}

// OnEvict sets f to be called for every entry evicted to stay within the
// bound (not for removals or replacements). Set it before first use.
func (c *Cache[K, V]) OnEvict(f func()) { c.onEvict = f }

// Max is the byte bound.
func (c *Cache[K, V]) Max() int64 { return c.max }

func (c *Cache[K, V]) unlink(e *entry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache[K, V]) pushFront(e *entry[K, V]) {
	e.prev, e.next = &c.root, c.root.next
	c.root.next.prev = e
	c.root.next = e
}

// Get returns the value under k and makes it the most recent, if it is
// there and valid (nil) accepts it; an entry valid rejects stays where
// it is.
func (c *Cache[K, V]) Get(k K, valid func(V) bool) (V, bool) {
	c.mu.Lock()
	e, ok := c.items[k]
	if !ok || valid != nil && !valid(e.val) {
		c.mu.Unlock()
		var zero V
		return zero, false
	}
	if c.root.next != e {
		c.unlink(e)
		c.pushFront(e)
	}
	v := e.val
	c.mu.Unlock()
	return v, true
}

// Put stores v under k as the most recent entry, replacing what was
// there, and evicts least recently used entries beyond the bound. A
// value larger than the bound is not kept, and what k held stays.
func (c *Cache[K, V]) Put(k K, v V) {
	size := c.size(k, v)
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v, size)
}

// Generation is the number of invalidations so far, for PutSince.
func (c *Cache[K, V]) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// PutSince stores v under k like Put unless an invalidation ran since
// generation gen (what the caller read may be stale), and reports
// whether it did. Unlike Put, a value larger than maxSize (or the bound)
// removes what k held: the caller replaced it.
func (c *Cache[K, V]) PutSince(gen uint64, k K, v V, maxSize int64) bool {
	size := c.size(k, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return false
	}
	if size > min(maxSize, c.max) {
		c.removeLocked(k)
		return false
	}
	c.putLocked(k, v, size)
	return true
}

func (c *Cache[K, V]) putLocked(k K, v V, size int64) {
	if old, ok := c.items[k]; ok {
		c.unlink(old)
		c.bytes -= old.size
	}
	e := &entry[K, V]{key: k, val: v, size: size}
	c.items[k] = e
	c.pushFront(e)
	c.bytes += size
	for c.bytes > c.max {
		last := c.root.prev
		c.unlink(last)
		delete(c.items, last.key)
		c.bytes -= last.size
		c.onEvict()
	}
}

func (c *Cache[K, V]) removeLocked(k K) {
	if e, ok := c.items[k]; ok {
		c.unlink(e)
		delete(c.items, k)
		c.bytes -= e.size
	}
}

// Invalidate removes k and starts a new generation.
func (c *Cache[K, V]) Invalidate(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.removeLocked(k)
}

// InvalidateFunc removes every key match accepts and starts a new
// generation.
func (c *Cache[K, V]) InvalidateFunc(match func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.removeFuncLocked(match)
}

// RemoveFunc removes every key match accepts, so their memory is returned
// at once rather than by aging out.
func (c *Cache[K, V]) RemoveFunc(match func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeFuncLocked(match)
}

func (c *Cache[K, V]) removeFuncLocked(match func(K) bool) {
	for k, e := range c.items {
		if match(k) {
			c.unlink(e)
			delete(c.items, k)
			c.bytes -= e.size
		}
	}
}

// Stats returns the bytes and entries held.
func (c *Cache[K, V]) Stats() (bytes int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, len(c.items)
}

// All yields the entries most recent first with their sizes, under the
// cache's lock: the loop body must not call the cache.
func (c *Cache[K, V]) All() iter.Seq2[K, int64] {
	return func(yield func(K, int64) bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for e := c.root.next; e != &c.root; e = e.next {
			if !yield(e.key, e.size) {
				return
			}
		}
	}
}
