package ts

import (
	"fmt"

	"boxcar/internal/media"
)

// Program specific information (ISO/IEC 13818-1 §2.4.4): PAT, PMT and
// their descriptors, and the sections they and SCTE-35 are carried in.

const (
	dmxPacketSize = 188
	dmxSyncByte   = 0x47
	dmxPIDPAT     = 0x0000
	dmxPIDNull    = 0x1fff

	// dmxMaxSection is the largest PSI section: section_length is 12 bits
	// and private sections (SCTE-35) may use up to 4093 bytes after it.
	dmxMaxSection = 3 + 4093
)

// Stream types (ISO/IEC 13818-1 Table 2-34, ATSC A/52, SCTE 35).
const (
	dmxStreamPrivatePES = 0x06
	dmxStreamAACADTS    = 0x0f
	dmxStreamMetadata   = 0x15
	dmxStreamH264       = 0x1b
	dmxStreamH265       = 0x24
	dmxStreamAC3        = 0x81
	dmxStreamSCTE35     = 0x86
	dmxStreamEAC3       = 0x87
)

// Descriptor tags.
const (
	dmxDescRegistration = 0x05
	dmxDescISO639       = 0x0a
	dmxDescMetadata     = 0x26
	dmxDescDVBAC3       = 0x6a
	dmxDescDVBEAC3      = 0x7a
)

// dmxStream is one elementary stream of the PMT.
type dmxStream struct {
	pid        uint16
	streamType uint8
	codec      media.Codec // 0 for data streams
	kind       DataKind
	language   string
}

// dmxProgram is the program Demux reads.
type dmxProgram struct {
	number  uint16
	pmtPID  uint16
	streams []dmxStream
}

// dmxFindProgram scans for the first valid PAT, then the first valid PMT of
// its first program, anywhere in data.
func dmxFindProgram(data []byte) (*dmxProgram, error) {
	var (
		patAsm, pmtAsm dmxSectionAssembler
		prog           *dmxProgram
		pmtPID         = -1
		progNum        uint16
		err            error
	)
	for off := 0; off+dmxPacketSize <= len(data) && prog == nil && err == nil; off += dmxPacketSize {
		pkt, perr := dmxParsePacket(data[off : off+dmxPacketSize])
		if perr != nil {
			return nil, fmt.Errorf("ts: demux: packet %d at byte %d: %w", off/dmxPacketSize, off, perr)
		}
		if !pkt.hasPayload || pkt.tei {
			continue
		}
		switch {
		case pkt.pid == dmxPIDPAT && pmtPID < 0:
			patAsm.push(pkt.payload, pkt.pusi, func(sec []byte) {
				if pmtPID >= 0 {
					return
				}
				if num, pid, ok := dmxParsePAT(sec); ok {
					progNum, pmtPID = num, int(pid)
				}
			})
		case pmtPID >= 0 && int(pkt.pid) == pmtPID:
			pmtAsm.push(pkt.payload, pkt.pusi, func(sec []byte) {
				if prog != nil || err != nil {
					return
				}
				p, ok, perr := dmxParsePMT(sec, progNum)
				if perr != nil {
					err = perr
					return
				}
				if ok {
					p.pmtPID = uint16(pmtPID)
					prog = p
				}
			})
		}
	}
	if err != nil {
		return nil, err
	}
	if prog == nil {
		if pmtPID < 0 {
			return nil, fmt.Errorf("ts: demux: no valid PAT with a program: %w", ErrNoProgram)
		}
		return nil, fmt.Errorf("ts: demux: no valid PMT for program %d on PID %d: %w", progNum, pmtPID, ErrNoProgram)
	}
	return prog, nil
}

// dmxSectionAssembler reassembles PSI sections from packet payloads
// (ISO/IEC 13818-1 §2.4.4.2): a payload with PUSI starts with pointer_field;
// several sections may share a packet, 0xFF bytes are stuffing.
type dmxSectionAssembler struct {
	buf    []byte
	active bool
}

// reset drops a partially assembled section (after packet loss).
func (a *dmxSectionAssembler) reset() {
	a.buf = a.buf[:0]
	a.active = false
}

// push adds one packet payload and calls emit for every complete section.
// The section passed to emit is only valid during the call.
func (a *dmxSectionAssembler) push(payload []byte, pusi bool, emit func(section []byte)) {
	if pusi {
		if len(payload) == 0 {
			a.reset()
			return
		}
		pointer := int(payload[0])
		payload = payload[1:]
		if pointer > len(payload) {
			a.reset()
			return
		}
		if a.active {
			a.buf = append(a.buf, payload[:pointer]...)
			a.drain(emit)
		}
		a.buf = append(a.buf[:0], payload[pointer:]...)
		a.active = true
	} else {
		if !a.active {
			return
		}
		a.buf = append(a.buf, payload...)
	}
	a.drain(emit)
}

// drain emits complete sections from the buffer.
func (a *dmxSectionAssembler) drain(emit func([]byte)) {
	off := 0
	for a.active {
		rest := a.buf[off:]
		if len(rest) > 0 && rest[0] == 0xff {
			// Stuffing: no further section starts in this payload unit.
			a.active = false
			off = len(a.buf)
			break
		}
		if len(rest) < 3 {
			break
		}
		n := 3 + (int(rest[1]&0x0f)<<8 | int(rest[2]))
		if n > dmxMaxSection {
			a.active = false
			off = len(a.buf)
			break
		}
		if len(rest) < n {
			break
		}
		emit(rest[:n])
		off += n
	}
	m := copy(a.buf, a.buf[off:])
	a.buf = a.buf[:m]
	if len(a.buf) > dmxMaxSection {
		a.reset()
	}
}

// dmxCRC32 computes CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial value
// 0xFFFFFFFF, not reflected, no final XOR). Over a whole section including
// its CRC_32 field the result is 0. Sections are small, so a bitwise loop
// is fast enough and needs no table.
func dmxCRC32(b []byte) uint32 {
	crc := uint32(0xffffffff)
	for _, c := range b {
		crc ^= uint32(c) << 24
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

// dmxLongSection validates a long-form section (section_syntax_indicator 1)
// with the given table_id and returns the bytes between the 8-byte header
// and the CRC_32. ok is false for a bad CRC, another table, or a section
// that is not current (current_next_indicator 0).
func dmxLongSection(sec []byte, tableID byte) (body []byte, ok bool) {
	if len(sec) < 12 || sec[0] != tableID || sec[1]&0x80 == 0 {
		return nil, false
	}
	if dmxCRC32(sec) != 0 {
		return nil, false
	}
	if sec[5]&0x01 == 0 {
		return nil, false
	}
	return sec[8 : len(sec)-4], true
}

// dmxParsePAT returns the first program (program_number != 0; 0 names the
// network PID) of a program_association_section.
func dmxParsePAT(sec []byte) (number, pmtPID uint16, ok bool) {
	body, ok := dmxLongSection(sec, 0x00)
	if !ok {
		return 0, 0, false
	}
	for ; len(body) >= 4; body = body[4:] {
		num := uint16(body[0])<<8 | uint16(body[1])
		pid := uint16(body[2]&0x1f)<<8 | uint16(body[3])
		if num != 0 && pid != dmxPIDPAT && pid != dmxPIDNull {
			return num, pid, true
		}
	}
	return 0, 0, false
}

// dmxParsePMT parses a TS_program_map_section for program number. ok is
// false when the section is not a valid current PMT of that program; err is
// set when it lists more streams than MaxStreams.
func dmxParsePMT(sec []byte, number uint16) (prog *dmxProgram, ok bool, err error) {
	body, ok := dmxLongSection(sec, 0x02)
	if !ok || uint16(sec[3])<<8|uint16(sec[4]) != number || len(body) < 4 {
		return nil, false, nil
	}
	infoLen := int(body[2]&0x0f)<<8 | int(body[3])
	body = body[4:]
	if infoLen > len(body) {
		return nil, false, nil
	}
	progDescs := body[:infoLen]
	body = body[infoLen:]
	prog = &dmxProgram{number: number}
	seen := map[uint16]bool{}
	for len(body) >= 5 {
		st := body[0]
		pid := uint16(body[1]&0x1f)<<8 | uint16(body[2])
		esLen := int(body[3]&0x0f)<<8 | int(body[4])
		if 5+esLen > len(body) {
			return nil, false, nil
		}
		descs := body[5 : 5+esLen]
		body = body[5+esLen:]
		if pid < 0x10 || pid == dmxPIDNull || seen[pid] {
			continue // reserved PIDs and duplicates can not carry a stream
		}
		seen[pid] = true
		if len(prog.streams) == MaxStreams {
			return nil, false, fmt.Errorf("ts: demux: PMT of program %d lists more than %d streams: %w", number, MaxStreams, ErrTooLarge)
		}
		s := dmxStream{pid: pid, streamType: st, language: dmxLanguage(descs)}
		s.codec, s.kind = dmxClassify(st, descs, progDescs)
		prog.streams = append(prog.streams, s)
	}
	return prog, true, nil
}

// dmxDescriptors calls fn for each well-formed descriptor (tag, payload).
func dmxDescriptors(b []byte, fn func(tag byte, payload []byte)) {
	for len(b) >= 2 {
		n := int(b[1])
		if 2+n > len(b) {
			return
		}
		fn(b[0], b[2:2+n])
		b = b[2+n:]
	}
}

// dmxClassify decides what an elementary stream carries from its
// stream_type and descriptors.
func dmxClassify(st uint8, descs, progDescs []byte) (media.Codec, DataKind) {
	switch st {
	case dmxStreamH264:
		return media.CodecH264, DataOther
	case dmxStreamH265:
		return media.CodecH265, DataOther
	case dmxStreamAACADTS:
		return media.CodecAAC, DataOther
	case dmxStreamAC3:
		return media.CodecAC3, DataOther
	case dmxStreamEAC3:
		return media.CodecEAC3, DataOther
	case dmxStreamSCTE35:
		return 0, DataSCTE35
	}
	var reg string
	var ac3, eac3, id3, metadataDesc bool
	dmxDescriptors(descs, func(tag byte, p []byte) {
		switch tag {
		case dmxDescRegistration:
			if len(p) >= 4 {
				reg = string(p[:4])
			}
		case dmxDescDVBAC3:
			ac3 = true
		case dmxDescDVBEAC3:
			eac3 = true
		case dmxDescMetadata:
			metadataDesc = true
			id3 = id3 || dmxIsID3Metadata(p)
		}
	})
	switch st {
	case dmxStreamPrivatePES:
		switch {
		case eac3 || reg == "EAC3":
			return media.CodecEAC3, DataOther
		case ac3 || reg == "AC-3":
			return media.CodecAC3, DataOther
		case reg == "ID3 " || id3:
			return 0, DataID3
		}
	case dmxStreamMetadata:
		// ID3 timed metadata (Apple, ffmpeg) carries a metadata_descriptor
		// naming "ID3 "; a 0x15 stream without one is taken as ID3 too.
		if id3 || reg == "ID3 " || !metadataDesc {
			return 0, DataID3
		}
	}
	return 0, DataOther
}

// dmxIsID3Metadata reports whether a metadata_descriptor (ISO/IEC 13818-1
// §2.6.60) names the ID3 format: metadata_format 0xFF with
// metadata_format_identifier "ID3 ".
func dmxIsID3Metadata(p []byte) bool {
	if len(p) < 3 {
		return false
	}
	i := 2
	if p[0] == 0xff && p[1] == 0xff { // metadata_application_format_identifier follows
		i += 4
	}
	if i >= len(p) || p[i] != 0xff {
		return false
	}
	i++
	return i+4 <= len(p) && string(p[i:i+4]) == "ID3 "
}

// dmxLanguage returns the first ISO_639_language_code of the descriptors,
// lower case, "" when absent or not three letters.
func dmxLanguage(descs []byte) string {
	lang := ""
	dmxDescriptors(descs, func(tag byte, p []byte) {
		if lang != "" || tag != dmxDescISO639 || len(p) < 3 {
			return
		}
		b := []byte{p[0] | 0x20, p[1] | 0x20, p[2] | 0x20}
		for _, c := range b {
			if c < 'a' || c > 'z' {
				return
			}
		}
		lang = string(b)
	})
	return lang
}
