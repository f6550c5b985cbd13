package ingest

import "sync"

// budget bounds the request body bytes that ingest requests in progress
// hold, process-wide and per channel. Bytes are reserved as they are
// received, never from a declared Content-Length, and given back when the
// request ends. No channel may hold more than its share, so a channel that
// fills its share (an encoder gone wrong, or stolen credentials) leaves
// the rest to the others. Safe for concurrent use.
type budget struct {
	limit int64 // process-wide
	share int64 // per channel

	mu   sync.Mutex
	used int64
	// per channel: channelState.budgeted, guarded by mu.
}

func newBudget(limit int64, share float64) *budget {
	s := int64(float64(limit) * share)
	if s < 1 {
		s = 1
	}
	return &budget{limit: limit, share: s}
}

// reserve takes n bytes for channel c; false when the budget or the
// channel's share has no room for them.
func (b *budget) reserve(c *channelState, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit || c.budgeted+n > b.share {
		return false
	}
	b.used += n
	c.budgeted += n
	return true
}

// release gives back n bytes of channel c.
func (b *budget) release(c *channelState, n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	c.budgeted -= n
	b.mu.Unlock()
}

// inUse is the bytes reserved across channels.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
