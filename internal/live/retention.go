package live

import (
	"time"

	"boxcar/internal/media"
)

// Retention: segments that left the window are unlisted, then deleted.

// retention is segments leaving the window: the shell removes those
// before seq before from the index, tells the core with retained, then
// deletes their media.
type retention struct {
	before uint64
	n      int
	keys   []string
}

// retain returns the segments that ended more than keep before the live
// edge (the newest one always stays), or nil.
func (c *core) retain(keep time.Duration) *retention {
	if len(c.segs) == 0 {
		return nil
	}
	cut := c.segs[len(c.segs)-1].End() - media.TicksOf(keep)
	k := 0
	for k < len(c.segs)-1 && c.segs[k].End() <= cut {
		k++
	}
	if k == 0 {
		return nil
	}
	r := &retention{before: c.segs[k].Seq, n: k}
	for i := range c.segs[:k] {
		for _, f := range c.segs[i].Frags {
			r.keys = append(r.keys, f.StoreKey)
		}
	}
	return r
}

// retained unlists the segments of r.
func (c *core) retained(r *retention) {
	for i := range c.segs[:r.n] {
		for _, f := range c.segs[i].Frags {
			c.bytes -= int64(f.Size)
		}
	}
	c.segs = c.segs[r.n:]
	c.decide(Decision{Kind: Show})
}
