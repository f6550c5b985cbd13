package ts

import "boxcar/internal/media"

// Transport packets, PSI and PES headers written by the muxer
// (ISO/IEC 13818-1 §2.4.3, §2.4.4, §2.4.3.6).

// muxNext appends one packet to m.buf and returns it for filling.
func (m *muxer) muxNext() []byte {
	n := len(m.buf)
	if cap(m.buf)-n < muxPacketSize {
		m.buf = growBytes(m.buf, 64*muxPacketSize)
	}
	m.buf = m.buf[:n+muxPacketSize]
	return m.buf[n : n+muxPacketSize]
}

// packet writes one packet of stream s carrying payload (1 to 184 bytes,
// less the adaptation field), with PCR pcr if withPCR. Whatever room the
// payload leaves is adaptation field stuffing.
func (m *muxer) packet(s *muxStream, pusi bool, withPCR bool, pcr int64, rai bool, payload []byte) {
	b := m.muxNext()
	b[0] = 0x47
	b[1] = byte(s.pid >> 8)
	if pusi {
		b[1] |= 0x40
	}
	b[2] = byte(s.pid)
	space := muxPayload - len(payload)
	if space == 0 {
		b[3] = 0x10 | s.cc
	} else {
		b[3] = 0x30 | s.cc
		b[4] = byte(space - 1)
		if space > 1 {
			flags := byte(0)
			pos := 6
			if rai {
				flags |= 0x40
			}
			if withPCR {
				flags |= 0x10
				muxPutPCR(b[6:12], pcr)
				pos = 12
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
	b := m.muxNext()
	b[0] = 0x47
	b[1] = byte(s.pid >> 8)
	b[2] = byte(s.pid)
	b[3] = 0x20 | (s.cc+15)&0xf
	b[4] = 183
	b[5] = 0x10
	muxPutPCR(b[6:12], pcr)
	for k := 12; k < muxPacketSize; k++ {
		b[k] = 0xff
	}
	m.lastPCR, m.havePCR = pcr, true
}

// muxPutPCR writes a 27 MHz time as program_clock_reference base (33 bits
// of 90 kHz, modulo 2^33) and extension (9 bits).
func muxPutPCR(b []byte, t int64) {
	base := t / muxClock
	ext := t % muxClock
	if ext < 0 {
		base, ext = base-1, ext+muxClock
	}
	base &= muxWrap - 1
	b[0] = byte(base >> 25)
	b[1] = byte(base >> 17)
	b[2] = byte(base >> 9)
	b[3] = byte(base >> 1)
	b[4] = byte(base<<7) | 0x7e | byte(ext>>8)
	b[5] = byte(ext)
}

// writePSI writes the PAT and the PMT, each alone in a packet with
// continuity_counter cc.
func (m *muxer) writePSI(cc uint8) {
	// PAT: one program.
	b := m.muxNext()
	n := muxPSIHeader(b, 0x0000, cc)
	sec := b[n:n]
	sec = append(sec, 0x00, 0xb0, 0, 0x00, 0x01, 0xc1, 0x00, 0x00) // table_id, length below, tsid 1, v0 current
	sec = append(sec, byte(muxProgram>>8), byte(muxProgram&0xff), 0xe0|byte(MuxPMTPID>>8), byte(MuxPMTPID&0xff))
	m.finishSection(b, n, sec)

	// PMT.
	b = m.muxNext()
	n = muxPSIHeader(b, MuxPMTPID, cc)
	pcrPID := m.streams[m.pcr].pid
	sec = b[n:n]
	sec = append(sec, 0x02, 0xb0, 0, byte(muxProgram>>8), byte(muxProgram&0xff), 0xc1, 0x00, 0x00,
		0xe0|byte(pcrPID>>8), byte(pcrPID), 0xf0, 0x00)
	for i := range m.streams {
		s := &m.streams[i]
		var desc [6]byte
		d := desc[:0]
		if lang := s.info.Language; !s.video && len(lang) == 3 {
			d = append(d, 0x0a, 4, lang[0], lang[1], lang[2], 0) // ISO_639_language_descriptor
		}
		sec = append(sec, s.streamType, 0xe0|byte(s.pid>>8), byte(s.pid), 0xf0|byte(len(d)>>8), byte(len(d)))
		sec = append(sec, d...)
	}
	m.finishSection(b, n, sec)
}

// muxPSIHeader writes the header of a PSI packet (payload only, PUSI,
// pointer_field 0) and returns where the section starts.
func muxPSIHeader(b []byte, pid uint16, cc uint8) int {
	b[0] = 0x47
	b[1] = 0x40 | byte(pid>>8)
	b[2] = byte(pid)
	b[3] = 0x10 | cc&0xf
	b[4] = 0 // pointer_field
	return 5
}

// finishSection fills in section_length and CRC_32 of the section sec
// written at b[at:] and stuffs the rest of the packet with 0xff.
func (m *muxer) finishSection(b []byte, at int, sec []byte) {
	length := len(sec) - 3 + 4
	sec[1] = 0xb0 | byte(length>>8)
	sec[2] = byte(length)
	crc := muxCRC32(sec)
	sec = append(sec, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
	for k := at + len(sec); k < muxPacketSize; k++ {
		b[k] = 0xff
	}
}

// muxCRC32 is the CRC-32/MPEG-2 of PSI sections (polynomial 0x04C11DB7,
// initial value 0xFFFFFFFF, no reflection, no final XOR).
func muxCRC32(b []byte) uint32 {
	crc := uint32(0xffffffff)
	for _, v := range b {
		crc ^= uint32(v) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// buildPES appends the PES packet p of stream s to dst.
func (m *muxer) buildPES(dst []byte, s *muxStream, p *muxPES) []byte {
	length := p.size - 6
	if length > muxMaxPESLength {
		length = 0 // unbounded: video only, audio PES are split below this
	}
	flags, hdrLen := byte(0x80), byte(5)
	if p.header == 19 {
		flags, hdrLen = 0xc0, 10
	}
	dst = append(dst, 0, 0, 1, s.streamID, byte(length>>8), byte(length),
		0x84, // '10', data_alignment_indicator: every PES starts an access unit
		flags, hdrLen)
	if p.header == 19 {
		dst = muxAppendTimestamp(dst, 0x3, p.pts)
		dst = muxAppendTimestamp(dst, 0x1, p.dts)
	} else {
		dst = muxAppendTimestamp(dst, 0x2, p.pts)
	}
	if s.video {
		return muxAppendAU(dst, s.info, &s.samples[p.first])
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

// muxAppendTimestamp appends a 33-bit PTS or DTS (modulo 2^33) with its
// 4-bit prefix and marker bits.
func muxAppendTimestamp(dst []byte, prefix byte, t int64) []byte {
	v := uint64(t) & (muxWrap - 1)
	return append(dst,
		prefix<<4|byte(v>>29)&0x0e|1,
		byte(v>>22),
		byte(v>>14)|1,
		byte(v>>7),
		byte(v<<1)|1)
}
