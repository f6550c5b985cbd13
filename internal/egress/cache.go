package egress

import "boxcar/internal/lru"

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

// cached is one cached object with the snapshot version it was built at.
type cached struct {
	version uint64
	obj     *object
}

// entryOverhead approximates the bookkeeping of one entry (map slot, node,
// prebuilt header values), so many small manifests count for something.
const entryOverhead = 512

// cache is the output cache: an LRU bounded in bytes, shared by every
// request. Safe for concurrent use.
type cache struct {
	*lru.Cache[cacheKey, cached]
}

func newCache(maxBytes int64) *cache {
	return &cache{lru.New(maxBytes, func(k cacheKey, c cached) int64 {
		return c.obj.size + entryOverhead + int64(len(k.path)+len(k.query))
	})}
}

// get returns the object under k; a snapshot-scoped entry must have been
// built at version.
func (c *cache) get(k cacheKey, version uint64) *object {
	e, ok := c.Get(k, func(e cached) bool { return k.immutable || e.version == version })
	if !ok {
		return nil
	}
	return e.obj
}

// put stores o under k, replacing what was there (for a snapshot-scoped
// key, the object of an older version), and evicts least recently used
// entries beyond the bound. Objects larger than the bound are not kept.
func (c *cache) put(k cacheKey, version uint64, o *object) {
	c.Put(k, cached{version: version, obj: o})
}

// dropEndpoint removes every entry of ep (a deleted or reconfigured
// endpoint), so its memory is returned at once rather than by aging out.
func (c *cache) dropEndpoint(ep *endpoint) {
	c.RemoveFunc(func(k cacheKey) bool { return k.ep == ep })
}

// stats returns the bytes and objects held.
func (c *cache) stats() (bytes int64, objects int) { return c.Stats() }
