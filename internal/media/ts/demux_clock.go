package ts

// ptsClock unwraps the timestamps of one segment: the first relative to
// the anchor (or raw without one), every later one relative to the
// previous, so a segment that crosses 2^33 stays monotonic.
type ptsClock struct {
	anchor int64
	ref    int64
	have   bool
}

// unwrap unwraps raw and makes it the reference for the next timestamp.
func (c *ptsClock) unwrap(raw uint64) int64 {
	v := c.peek(raw)
	c.ref, c.have = v, true
	return v
}

// peek unwraps raw without moving the reference.
func (c *ptsClock) peek(raw uint64) int64 {
	switch {
	case c.have:
		return Unwrap(raw, c.ref)
	case c.anchor >= 0:
		return Unwrap(raw, c.anchor)
	}
	return int64(raw & (timestampWrap - 1))
}

// pesTimes unwraps the PTS and DTS of a PES header that has a PTS; DTS is
// PTS when absent. The DTS is unwrapped first and becomes the reference.
func (c *ptsClock) pesTimes(h pesHeader) (pts, dts int64) {
	if !h.hasDTS {
		pts = c.unwrap(h.pts)
		return pts, pts
	}
	dts = c.unwrap(h.dts)
	return Unwrap(h.pts, dts), dts
}
