package ts

import "fmt"

// Transport packets (ISO/IEC 13818-1 §2.4.3.2-§2.4.3.5): the 4-byte
// header, the adaptation field and the program_clock_reference, as Demux
// reads them and Mux writes them.

const (
	packetSize = 188
	syncByte   = 0x47
	// maxPayload is the payload of a packet without adaptation field.
	maxPayload = packetSize - 4

	pidPAT  = 0x0000
	pidNull = 0x1fff
)

// Header bits: byte 1 holds the indicators and the top of the PID, byte 3
// adaptation_field_control and continuity_counter.
const (
	hdrTEI  = 0x80 // transport_error_indicator
	hdrPUSI = 0x40 // payload_unit_start_indicator

	afcPayload    = 0x10 // adaptation_field_control '01': payload only
	afcAdaptation = 0x20 // '10': adaptation field only
	afcBoth       = afcAdaptation | afcPayload
)

// Adaptation field flags (the byte after adaptation_field_length).
const (
	afDiscontinuity = 0x80 // discontinuity_indicator
	afRandomAccess  = 0x40 // random_access_indicator
	afPCR           = 0x10 // PCR_flag
)

// The PCR clock runs at 27 MHz, pcrPerTick ticks per 90 kHz tick; its
// base is the 33-bit 90 kHz part, its extension the 9-bit remainder.
const (
	pcrPerTick = 300
	pcrSize    = 6
)

// packet is the parsed header of one transport packet.
type packet struct {
	pid           uint16
	pusi          bool
	tei           bool
	cc            uint8
	hasPayload    bool
	discontinuity bool // discontinuity_indicator in the adaptation field
	payload       []byte
}

// packetPID returns the PID of the packet p.
func packetPID(p []byte) uint16 {
	return uint16(p[1]&0x1f)<<8 | uint16(p[2])
}

// parsePacket parses the header and adaptation field of p (188 bytes).
func parsePacket(p []byte) (packet, error) {
	if p[0] != syncByte {
		return packet{}, fmt.Errorf("first byte 0x%02x: %w", p[0], ErrNoSync)
	}
	pkt := packet{
		tei:  p[1]&hdrTEI != 0,
		pusi: p[1]&hdrPUSI != 0,
		pid:  packetPID(p),
		cc:   p[3] & 0x0f,
	}
	afc := p[3] & afcBoth
	pos := 4
	if afc&afcAdaptation != 0 {
		afLen := int(p[4])
		if afc&afcPayload != 0 && afLen > maxPayload-2 || afLen > maxPayload-1 {
			// An adaptation field longer than the packet: corrupt header.
			pkt.tei = true
			return pkt, nil
		}
		if afLen > 0 {
			pkt.discontinuity = p[5]&afDiscontinuity != 0
		}
		pos = 5 + afLen
	}
	if afc&afcPayload != 0 {
		pkt.hasPayload = true
		pkt.payload = p[pos:]
	}
	return pkt, nil
}

// putHeader writes the 4-byte header of a packet: control is
// adaptation_field_control (afcPayload, afcAdaptation or afcBoth); only
// the low four bits of cc are used.
func putHeader(b []byte, pid uint16, pusi bool, control, cc uint8) {
	b[0] = syncByte
	b[1] = byte(pid>>8) & 0x1f
	if pusi {
		b[1] |= hdrPUSI
	}
	b[2] = byte(pid)
	b[3] = control | cc&0x0f
}

// putPCR writes a 27 MHz time as program_clock_reference base (33 bits
// of 90 kHz, modulo 2^33) and extension (9 bits) into b[:pcrSize].
func putPCR(b []byte, t int64) {
	base := t / pcrPerTick
	ext := t % pcrPerTick
	if ext < 0 {
		base, ext = base-1, ext+pcrPerTick
	}
	base &= timestampWrap - 1
	b[0] = byte(base >> 25)
	b[1] = byte(base >> 17)
	b[2] = byte(base >> 9)
	b[3] = byte(base >> 1)
	b[4] = byte(base<<7) | 0x7e | byte(ext>>8)
	b[5] = byte(ext)
}
