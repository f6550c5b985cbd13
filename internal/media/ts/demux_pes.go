package ts

import "fmt"

// PES packet headers (ISO/IEC 13818-1 §2.4.3.6) and 33-bit timestamps.

// dmxPESHeader is the parsed header of one PES packet.
type dmxPESHeader struct {
	streamID byte
	size     int // bytes before the payload
	hasPTS   bool
	hasDTS   bool
	pts, dts uint64 // raw 33-bit 90 kHz values
}

// dmxParsePESHeader parses the PES header at the start of b.
func dmxParsePESHeader(b []byte) (dmxPESHeader, error) {
	if len(b) < 6 || b[0] != 0 || b[1] != 0 || b[2] != 1 {
		return dmxPESHeader{}, fmt.Errorf("no PES start code")
	}
	h := dmxPESHeader{streamID: b[3], size: 6}
	switch h.streamID {
	case 0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xf2, 0xf8, 0xff:
		// program_stream_map, padding, private_stream_2, ECM, EMM, DSMCC,
		// H.222.1 type E, directory: no optional PES header.
		return h, nil
	}
	if len(b) < 9 {
		return dmxPESHeader{}, fmt.Errorf("PES header truncated")
	}
	if b[6]&0xc0 != 0x80 {
		return dmxPESHeader{}, fmt.Errorf("PES header marker bits 0x%02x, want '10'", b[6]>>6)
	}
	h.size = 9 + int(b[8])
	if h.size > len(b) {
		return dmxPESHeader{}, fmt.Errorf("PES header length %d beyond %d bytes", h.size, len(b))
	}
	switch b[7] >> 6 {
	case 0:
	case 2:
		if h.size < 14 {
			return dmxPESHeader{}, fmt.Errorf("PES header too short for PTS")
		}
		h.hasPTS, h.pts = true, dmxTimestamp(b[9:14])
	case 3:
		if h.size < 19 {
			return dmxPESHeader{}, fmt.Errorf("PES header too short for PTS and DTS")
		}
		h.hasPTS, h.pts = true, dmxTimestamp(b[9:14])
		h.hasDTS, h.dts = true, dmxTimestamp(b[14:19])
	default:
		return dmxPESHeader{}, fmt.Errorf("forbidden PTS_DTS_flags '01'")
	}
	return h, nil
}

// dmxTimestamp decodes a 5-byte PTS or DTS field: '00xx' ts[32..30] marker
// ts[29..15] marker ts[14..0] marker. Marker bits are not checked: muxers
// get them wrong and they carry no information.
func dmxTimestamp(b []byte) uint64 {
	return uint64(b[0]>>1&0x07)<<30 | uint64(b[1])<<22 | uint64(b[2]>>1)<<15 | uint64(b[3])<<7 | uint64(b[4]>>1)
}

// tsWrap is the period of 33-bit MPEG-TS timestamps: 2^33 ticks of 90 kHz,
// about 26.5 hours.
const tsWrap = 1 << 33

// Unwrap returns the 33-bit 90 kHz timestamp raw plus the multiple of 2^33
// that puts it nearest to ref, a 64-bit time on the same clock. It maps
// TS timestamps (and SCTE-35 pts_time + pts_adjustment) onto a timeline
// that never wraps, given any nearby time on it.
func Unwrap(raw uint64, ref int64) int64 {
	r := int64(raw & (tsWrap - 1))
	// k = round((ref - r) / 2^33), with floor division for negative values.
	d := ref - r + tsWrap/2
	k := d >> 33 // arithmetic shift: floor division by 2^33
	return r + k*tsWrap
}

// dmxClock unwraps the timestamps of one segment: the first relative to
// the anchor (or raw without one), every later one relative to the
// previous, so a segment that crosses 2^33 stays monotonic.
type dmxClock struct {
	anchor int64
	ref    int64
	have   bool
}

// unwrap unwraps raw and makes it the reference for the next timestamp.
func (c *dmxClock) unwrap(raw uint64) int64 {
	v := c.peek(raw)
	c.ref, c.have = v, true
	return v
}

// peek unwraps raw without moving the reference.
func (c *dmxClock) peek(raw uint64) int64 {
	switch {
	case c.have:
		return Unwrap(raw, c.ref)
	case c.anchor >= 0:
		return Unwrap(raw, c.anchor)
	}
	return int64(raw & (tsWrap - 1))
}

// pesTimes unwraps the PTS and DTS of a PES header that has a PTS; DTS is
// PTS when absent. The DTS is unwrapped first and becomes the reference.
func (c *dmxClock) pesTimes(h dmxPESHeader) (pts, dts int64) {
	if !h.hasDTS {
		pts = c.unwrap(h.pts)
		return pts, pts
	}
	dts = c.unwrap(h.dts)
	return Unwrap(h.pts, dts), dts
}
