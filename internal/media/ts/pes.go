package ts

import "fmt"

// PES packet headers (ISO/IEC 13818-1 §2.4.3.6-§2.4.3.7) and their 33-bit
// timestamps, as Demux reads them and Mux writes them.

// Stream ids (ISO/IEC 13818-1 Table 2-22).
const (
	streamIDPrivate1 = 0xbd // private_stream_1: AC-3, E-AC-3, ID3
	streamIDAudio    = 0xc0 // the first MPEG audio stream: AAC
	streamIDVideo    = 0xe0 // the first video stream
)

// PES header layout: start code prefix, stream_id and PES_packet_length;
// then, for most streams, three bytes of flags and header length, and the
// PTS and DTS fields.
const (
	pesStartSize  = 6
	pesFixedSize  = 9
	timestampSize = 5
	// pesHeaderPTS and pesHeaderPTSDTS are the sizes of a header with a
	// PTS, and with a PTS and a DTS.
	pesHeaderPTS    = pesFixedSize + timestampSize
	pesHeaderPTSDTS = pesHeaderPTS + timestampSize
	// maxPESLength is the largest PES_packet_length; 0 means unbounded
	// (video only).
	maxPESLength = 0xffff
)

// PTS_DTS_flags, which are also the 4-bit prefixes of the timestamps.
const (
	ptsOnly = 0x2 // '10': PTS
	ptsDTS  = 0x3 // '11': PTS and DTS
	dtsMark = 0x1 // the prefix of the DTS after a PTS
)

// pesHeader is the parsed header of one PES packet.
type pesHeader struct {
	streamID byte
	size     int // bytes before the payload
	hasPTS   bool
	hasDTS   bool
	pts, dts uint64 // raw 33-bit 90 kHz values
}

// parsePESHeader parses the PES header at the start of b.
func parsePESHeader(b []byte) (pesHeader, error) {
	if len(b) < pesStartSize || b[0] != 0 || b[1] != 0 || b[2] != 1 {
		return pesHeader{}, fmt.Errorf("no PES start code")
	}
	h := pesHeader{streamID: b[3], size: pesStartSize}
	switch h.streamID {
	case 0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xf2, 0xf8, 0xff:
		// program_stream_map, padding, private_stream_2, ECM, EMM, DSMCC,
		// H.222.1 type E, directory: no optional PES header.
		return h, nil
	}
	if len(b) < pesFixedSize {
		return pesHeader{}, fmt.Errorf("PES header truncated")
	}
	if b[6]&0xc0 != 0x80 {
		return pesHeader{}, fmt.Errorf("PES header marker bits 0x%02x, want '10'", b[6]>>6)
	}
	h.size = pesFixedSize + int(b[8])
	if h.size > len(b) {
		return pesHeader{}, fmt.Errorf("PES header length %d beyond %d bytes", h.size, len(b))
	}
	switch b[7] >> 6 {
	case 0:
	case ptsOnly:
		if h.size < pesHeaderPTS {
			return pesHeader{}, fmt.Errorf("PES header too short for PTS")
		}
		h.hasPTS, h.pts = true, readTimestamp(b[pesFixedSize:pesHeaderPTS])
	case ptsDTS:
		if h.size < pesHeaderPTSDTS {
			return pesHeader{}, fmt.Errorf("PES header too short for PTS and DTS")
		}
		h.hasPTS, h.pts = true, readTimestamp(b[pesFixedSize:pesHeaderPTS])
		h.hasDTS, h.dts = true, readTimestamp(b[pesHeaderPTS:pesHeaderPTSDTS])
	default:
		return pesHeader{}, fmt.Errorf("forbidden PTS_DTS_flags '01'")
	}
	return h, nil
}

// readTimestamp decodes a 5-byte PTS or DTS field: '00xx' ts[32..30]
// marker ts[29..15] marker ts[14..0] marker. Marker bits are not checked:
// muxers get them wrong and they carry no information.
func readTimestamp(b []byte) uint64 {
	return uint64(b[0]>>1&0x07)<<30 | uint64(b[1])<<22 | uint64(b[2]>>1)<<15 | uint64(b[3])<<7 | uint64(b[4]>>1)
}

// appendTimestamp appends a PTS or DTS field: t modulo 2^33 with its 4-bit
// prefix and marker bits.
func appendTimestamp(dst []byte, prefix byte, t int64) []byte {
	v := uint64(t) & (timestampWrap - 1)
	return append(dst,
		prefix<<4|byte(v>>29)&0x0e|1,
		byte(v>>22),
		byte(v>>14)|1,
		byte(v>>7),
		byte(v<<1)|1)
}

// timestampWrap is the period of 33-bit MPEG-TS timestamps (PTS, DTS and
// the PCR base): 2^33 ticks of 90 kHz, about 26.5 hours.
const timestampWrap = 1 << 33

// Unwrap returns the 33-bit 90 kHz timestamp raw plus the multiple of 2^33
// that puts it nearest to ref, a 64-bit time on the same clock. It maps
// TS timestamps (and SCTE-35 pts_time + pts_adjustment) onto a timeline
// that never wraps, given any nearby time on it.
func Unwrap(raw uint64, ref int64) int64 {
	r := int64(raw & (timestampWrap - 1))
	// k = round((ref - r) / 2^33), with floor division for negative values.
	d := ref - r + timestampWrap/2
	k := d >> 33 // arithmetic shift: floor division by 2^33
	return r + k*timestampWrap
}
