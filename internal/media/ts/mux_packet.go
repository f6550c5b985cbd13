package ts

import "boxcar/internal/media"

// Transport packets, PSI and PES headers written by the muxer
// (ISO/IEC 13818-1 §2.4.3, §2.4.4, §2.4.3.6).

// nextPacket appends one packet to m.buf and returns it for filling.
func (m *muxer) nextPacket() []byte {
	n := len(m.buf)
	if cap(m.buf)-n < packetSize {
		m.buf = growBytes(m.buf, 64*packetSize)
	}
	m.buf = m.buf[:n+packetSize]
	return m.buf[n : n+packetSize]
}

// writePacket writes one packet of stream s carrying payload (1 to 184
// bytes, less the adaptation field), with PCR pcr if withPCR. Whatever
// room the payload leaves is adaptation field stuffing.
func (m *muxer) writePacket(s *outStream, pusi bool, withPCR bool, pcr int64, rai bool, payload []byte) {
	b := m.nextPacket()
	space := maxPayload - len(payload)
	if space == 0 {
		putHeader(b, s.pid, pusi, afcPayload, s.cc)
	} else {
		putHeader(b, s.pid, pusi, afcBoth, s.cc)
		b[4] = byte(space - 1)
		if space > 1 {
			flags := byte(0)
			pos := 6
			if rai {
				flags |= afRandomAccess
			}
			if withPCR {
				flags |= afPCR
				putPCR(b[6:6+pcrSize], pcr)
				pos = 6 + pcrSize
			}
			b[5] = flags
			for k := pos; k < 4+space; k++ {
				b[k] = 0xff
			}
		}
	}
	copy(b[4+space:], payload)
	s.cc = (s.cc + 1) & 0xf
}

// pcrOnly writes an adaptation-field-only packet with a PCR on the PCR
// stream. It carries no payload, so its continuity_counter repeats the
// last one sent (15 before the segment's first, whose counter is 0).
func (m *muxer) pcrOnly(pcr int64) {
	s := &m.streams[m.pcr]
	b := m.nextPacket()
	putHeader(b, s.pid, false, afcAdaptation, s.cc+15)
	b[4] = maxPayload - 1
	b[5] = afPCR
	putPCR(b[6:6+pcrSize], pcr)
	for k := 6 + pcrSize; k < packetSize; k++ {
		b[k] = 0xff
	}
	m.lastPCR, m.havePCR = pcr, true
}

// writePSI writes the PAT and the PMT, each alone in a packet with
// continuity_counter cc.
func (m *muxer) writePSI(cc uint8) {
	// PAT: one program.
	b := m.nextPacket()
	n := putPSIHeader(b, pidPAT, cc)
	sec := b[n:n]
	sec = append(sec, tableIDPAT, sectionSyntax, 0, 0x00, 0x01, 0xc1, 0x00, 0x00) // length below, tsid 1, v0 current
	sec = append(sec, byte(programNumber>>8), byte(programNumber&0xff), 0xe0|byte(MuxPMTPID>>8), byte(MuxPMTPID&0xff))
	stuffSection(b, n, sec)

	// PMT.
	b = m.nextPacket()
	n = putPSIHeader(b, MuxPMTPID, cc)
	pcrPID := m.streams[m.pcr].pid
	sec = b[n:n]
	sec = append(sec, tableIDPMT, sectionSyntax, 0, byte(programNumber>>8), byte(programNumber&0xff), 0xc1, 0x00, 0x00,
		0xe0|byte(pcrPID>>8), byte(pcrPID), 0xf0, 0x00)
	for i := range m.streams {
		s := &m.streams[i]
		var desc [6]byte
		d := desc[:0]
		if lang := s.info.Language; !s.video && len(lang) == 3 {
			d = append(d, descISO639, 4, lang[0], lang[1], lang[2], 0)
		}
		sec = append(sec, s.streamType, 0xe0|byte(s.pid>>8), byte(s.pid), 0xf0|byte(len(d)>>8), byte(len(d)))
		sec = append(sec, d...)
	}
	stuffSection(b, n, sec)
}

// putPSIHeader writes the header of a PSI packet (payload only, PUSI,
// pointer_field 0) and returns where the section starts.
func putPSIHeader(b []byte, pid uint16, cc uint8) int {
	putHeader(b, pid, true, afcPayload, cc)
	b[4] = 0 // pointer_field
	return 5
}

// stuffSection ends the section sec written at b[at:] and stuffs the rest
// of the packet with 0xff.
func stuffSection(b []byte, at int, sec []byte) {
	sec = appendSectionEnd(sec)
	for k := at + len(sec); k < packetSize; k++ {
		b[k] = 0xff
	}
}

// buildPES appends the PES packet p of stream s to dst.
func (m *muxer) buildPES(dst []byte, s *outStream, p *plannedPES) []byte {
	length := p.size - pesStartSize
	if length > maxPESLength {
		length = 0 // unbounded: video only, audio PES are split below this
	}
	flags, hdrLen := byte(ptsOnly<<6), byte(timestampSize)
	if p.header == pesHeaderPTSDTS {
		flags, hdrLen = ptsDTS<<6, 2*timestampSize
	}
	dst = append(dst, 0, 0, 1, s.streamID, byte(length>>8), byte(length),
		0x84, // '10', data_alignment_indicator: every PES starts an access unit
		flags, hdrLen)
	if p.header == pesHeaderPTSDTS {
		dst = appendTimestamp(dst, ptsDTS, p.pts)
		dst = appendTimestamp(dst, dtsMark, p.dts)
	} else {
		dst = appendTimestamp(dst, ptsOnly, p.pts)
	}
	if s.video {
		return appendAnnexB(dst, s.info, &s.samples[p.first])
	}
	for i := p.first; i < p.first+p.count; i++ {
		frame := s.samples[i].Data
		if s.info.Codec == media.CodecAAC {
			dst = s.adts.appendHeader(dst, len(frame))
		}
		dst = append(dst, frame...)
	}
	return dst
}
