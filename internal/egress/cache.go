package egress

import "sync"

// cacheKey names one cached response body.
//
// Immutable objects are keyed by endpoint and path (the endpoint pointer
// stands for its id and config fingerprint: a config change makes a new
// *endpoint, so entries of the old configuration are never found again and
// age out). Objects valid for one snapshot also key on the raw query and
// carry the snapshot version they were built from; a lookup at another
// version misses. An immutable manifest (a time-shifted window that no
// longer changes) keys on its query as well, since the query selected it.
type cacheKey struct {
	ep        *endpoint
	path      string
	query     string
	immutable bool
}

// cacheEntry is one node of the LRU list.
type cacheEntry struct {
	key        cacheKey
	version    uint64
	obj        *object
	size       int64
	prev, next *cacheEntry
}

// entryOverhead approximates the bookkeeping of one entry (map slot, node,
// prebuilt header values), so many small manifests count for something.
const entryOverhead = 512

// cache is the output cache: an LRU bounded in bytes, shared by every
// request. Safe for concurrent use.
type cache struct {
	max     int64
	onEvict func()

	mu    sync.Mutex
	bytes int64
	items map[cacheKey]*cacheEntry
	root  cacheEntry // sentinel: root.next is the most recent
}

func newCache(maxBytes int64) *cache {
	c := &cache{max: maxBytes, items: make(map[cacheKey]*cacheEntry), onEvict: func() {}}
	c.root.next, c.root.prev = &c.root, &c.root
	return c
}

func (c *cache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *cache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.root, c.root.next
	c.root.next.prev = e
	c.root.next = e
}

// get returns the object under k; a snapshot-scoped entry must have been
// built at version.
func (c *cache) get(k cacheKey, version uint64) *object {
	c.mu.Lock()
	e, ok := c.items[k]
	if !ok || !k.immutable && e.version != version {
		c.mu.Unlock()
		return nil
	}
	if c.root.next != e {
		c.unlink(e)
		c.pushFront(e)
	}
	o := e.obj
	c.mu.Unlock()
	return o
}

// put stores o under k, replacing what was there (for a snapshot-scoped
// key, the object of an older version), and evicts least recently used
// entries beyond the bound. Objects larger than the bound are not kept.
func (c *cache) put(k cacheKey, version uint64, o *object) {
	size := o.size + entryOverhead + int64(len(k.path)+len(k.query))
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.items[k]; ok {
		c.unlink(old)
		c.bytes -= old.size
	}
	e := &cacheEntry{key: k, version: version, obj: o, size: size}
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

// dropEndpoint removes every entry of ep (a deleted or reconfigured
// endpoint), so its memory is returned at once rather than by aging out.
func (c *cache) dropEndpoint(ep *endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.items {
		if k.ep == ep {
			c.unlink(e)
			delete(c.items, k)
			c.bytes -= e.size
		}
	}
}

// stats returns the bytes and objects held.
func (c *cache) stats() (bytes int64, objects int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, len(c.items)
}
