package ts

import "encoding/binary"

// dmxtMux writes small synthetic transport streams for tests: PSI
// sections, PES packets and deliberate damage the encoders under test never
// produce.
type dmxtMux struct {
	out []byte
	cc  map[uint16]uint8
}

func newDmxtMux() *dmxtMux { return &dmxtMux{cc: map[uint16]uint8{}} }

// packet writes one packet; a payload shorter than 184 bytes is padded with
// adaptation field stuffing.
func (m *dmxtMux) packet(pid uint16, pusi bool, payload []byte) {
	p := make([]byte, 4, packetSize)
	p[0] = syncByte
	p[1] = byte(pid >> 8 & 0x1f)
	if pusi {
		p[1] |= 0x40
	}
	p[2] = byte(pid)
	cc := m.cc[pid]
	m.cc[pid] = (cc + 1) & 0x0f
	if n := len(payload); n < 184 {
		p[3] = 0x30 | cc
		afLen := 183 - n
		p = append(p, byte(afLen))
		if afLen > 0 {
			p = append(p, 0x00)
			for range afLen - 1 {
				p = append(p, 0xff)
			}
		}
	} else {
		p[3] = 0x10 | cc
	}
	p = append(p, payload...)
	m.out = append(m.out, p...)
}

// psi writes a section (pointer_field 0) over as many packets as needed;
// the last is filled with 0xFF.
func (m *dmxtMux) psi(pid uint16, section []byte) {
	data := append([]byte{0}, section...)
	first := true
	for len(data) > 0 {
		n := min(len(data), 184)
		chunk := make([]byte, 184)
		copy(chunk, data[:n])
		for i := n; i < 184; i++ {
			chunk[i] = 0xff
		}
		m.packet(pid, first, chunk)
		first = false
		data = data[n:]
	}
}

// pes writes a PES packet; pts/dts < 0 are omitted. bounded sets
// PES_packet_length, otherwise it is 0 (allowed for video).
func (m *dmxtMux) pes(pid uint16, streamID byte, pts, dts int64, payload []byte, bounded bool) {
	m.pesPackets(pid, dmxtPES(streamID, pts, dts, payload, bounded))
}

// pesPackets splits an already built PES packet into transport packets.
func (m *dmxtMux) pesPackets(pid uint16, pes []byte) {
	first := true
	for len(pes) > 0 {
		n := min(len(pes), 184)
		m.packet(pid, first, pes[:n])
		first = false
		pes = pes[n:]
	}
}

// dmxtPES builds a PES packet.
func dmxtPES(streamID byte, pts, dts int64, payload []byte, bounded bool) []byte {
	var hdr []byte
	flags := byte(0)
	switch {
	case pts >= 0 && dts >= 0:
		flags = 0xc0
		hdr = append(dmxtTimestamp(0x30, pts), dmxtTimestamp(0x10, dts)...)
	case pts >= 0:
		flags = 0x80
		hdr = dmxtTimestamp(0x20, pts)
	}
	b := []byte{0, 0, 1, streamID, 0, 0, 0x80, flags, byte(len(hdr))}
	b = append(b, hdr...)
	b = append(b, payload...)
	if bounded {
		binary.BigEndian.PutUint16(b[4:], uint16(len(b)-6))
	}
	return b
}

func dmxtTimestamp(prefix byte, ts int64) []byte {
	v := uint64(ts) & (timestampWrap - 1)
	return []byte{
		prefix | byte(v>>29&0x0e) | 1,
		byte(v >> 22),
		byte(v>>14) | 1,
		byte(v >> 7),
		byte(v<<1) | 1,
	}
}

// dmxtSection builds a long-form PSI section with CRC.
func dmxtSection(tableID byte, ext uint16, body []byte) []byte {
	n := 5 + len(body) + 4
	s := []byte{tableID, 0xb0 | byte(n>>8), byte(n), byte(ext >> 8), byte(ext), 0xc1, 0, 0}
	s = append(s, body...)
	return binary.BigEndian.AppendUint32(s, crc32MPEG2(s))
}

// dmxtPAT is a PAT naming one program on pmtPID.
func dmxtPAT(program, pmtPID uint16) []byte {
	return dmxtSection(0x00, 1, []byte{byte(program >> 8), byte(program), 0xe0 | byte(pmtPID>>8), byte(pmtPID)})
}

// dmxtES is one PMT entry.
type dmxtES struct {
	streamType uint8
	pid        uint16
	descs      []byte
}

// dmxtPMT is a PMT for program with the given streams.
func dmxtPMT(program, pcrPID uint16, progDescs []byte, streams ...dmxtES) []byte {
	body := []byte{0xe0 | byte(pcrPID>>8), byte(pcrPID), 0xf0 | byte(len(progDescs)>>8), byte(len(progDescs))}
	body = append(body, progDescs...)
	for _, s := range streams {
		body = append(body, s.streamType, 0xe0|byte(s.pid>>8), byte(s.pid), 0xf0|byte(len(s.descs)>>8), byte(len(s.descs)))
		body = append(body, s.descs...)
	}
	return dmxtSection(0x02, program, body)
}

// dmxtProgram writes PAT and PMT (program 1, PMT on PID 0x1000).
func (m *dmxtMux) writeProgram(streams ...dmxtES) {
	pcr := uint16(pidNull)
	if len(streams) > 0 {
		pcr = streams[0].pid
	}
	m.psi(0, dmxtPAT(1, 0x1000))
	m.psi(0x1000, dmxtPMT(1, pcr, nil, streams...))
}
