package ts

import (
	"fmt"

	"boxcar/internal/media"
)

// Reading PSI: finding the program in the PAT and PMT, reassembling
// sections from packets, and classifying the PMT's elementary streams.

// programStream is one elementary stream of the PMT.
type programStream struct {
	pid        uint16
	streamType uint8
	codec      media.Codec // 0 for data streams
	kind       DataKind
	language   string
}

// program is the program Demux reads.
type program struct {
	number  uint16
	pmtPID  uint16
	streams []programStream
}

// findProgram scans for the first valid PAT, then the first valid PMT of
// its first program, anywhere in data.
func findProgram(data []byte) (*program, error) {
	var (
		patAsm, pmtAsm sectionAssembler
		prog           *program
		pmtPID         = -1
		progNum        uint16
		err            error
	)
	for off := 0; off+packetSize <= len(data) && prog == nil && err == nil; off += packetSize {
		pkt, perr := parsePacket(data[off : off+packetSize])
		if perr != nil {
			return nil, fmt.Errorf("ts: demux: packet %d at byte %d: %w", off/packetSize, off, perr)
		}
		if !pkt.hasPayload || pkt.tei {
			continue
		}
		switch {
		case pkt.pid == pidPAT && pmtPID < 0:
			patAsm.push(pkt.payload, pkt.pusi, func(sec []byte) {
				if pmtPID >= 0 {
					return
				}
				if num, pid, ok := parsePAT(sec); ok {
					progNum, pmtPID = num, int(pid)
				}
			})
		case pmtPID >= 0 && int(pkt.pid) == pmtPID:
			pmtAsm.push(pkt.payload, pkt.pusi, func(sec []byte) {
				if prog != nil || err != nil {
					return
				}
				p, ok, perr := parsePMT(sec, progNum)
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

// sectionAssembler reassembles PSI sections from packet payloads
// (ISO/IEC 13818-1 §2.4.4.2): a payload with PUSI starts with pointer_field;
// several sections may share a packet, 0xFF bytes are stuffing.
type sectionAssembler struct {
	buf    []byte
	active bool
}

// reset drops a partially assembled section (after packet loss).
func (a *sectionAssembler) reset() {
	a.buf = a.buf[:0]
	a.active = false
}

// push adds one packet payload and calls emit for every complete section.
// The section passed to emit is only valid during the call.
func (a *sectionAssembler) push(payload []byte, pusi bool, emit func(section []byte)) {
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
func (a *sectionAssembler) drain(emit func([]byte)) {
	off := 0
	for a.active {
		rest := a.buf[off:]
		if len(rest) > 0 && rest[0] == 0xff {
			// Stuffing: no further section starts in this payload unit.
			a.active = false
			off = len(a.buf)
			break
		}
		if len(rest) < sectionHeaderSize {
			break
		}
		n := sectionSize(rest)
		if n > maxSectionSize {
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
	if len(a.buf) > maxSectionSize {
		a.reset()
	}
}

// parsePAT returns the first program (program_number != 0; 0 names the
// network PID) of a program_association_section.
func parsePAT(sec []byte) (number, pmtPID uint16, ok bool) {
	body, ok := longSection(sec, tableIDPAT)
	if !ok {
		return 0, 0, false
	}
	for ; len(body) >= 4; body = body[4:] {
		num := uint16(body[0])<<8 | uint16(body[1])
		pid := uint16(body[2]&0x1f)<<8 | uint16(body[3])
		if num != 0 && pid != pidPAT && pid != pidNull {
			return num, pid, true
		}
	}
	return 0, 0, false
}

// parsePMT parses a TS_program_map_section for program number. ok is
// false when the section is not a valid current PMT of that program; err is
// set when it lists more streams than MaxStreams.
func parsePMT(sec []byte, number uint16) (prog *program, ok bool, err error) {
	body, ok := longSection(sec, tableIDPMT)
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
	prog = &program{number: number}
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
		if pid < 0x10 || pid == pidNull || seen[pid] {
			continue // reserved PIDs and duplicates can not carry a stream
		}
		seen[pid] = true
		if len(prog.streams) == MaxStreams {
			return nil, false, fmt.Errorf("ts: demux: PMT of program %d lists more than %d streams: %w", number, MaxStreams, ErrTooLarge)
		}
		s := programStream{pid: pid, streamType: st, language: iso639Language(descs)}
		s.codec, s.kind = classifyStream(st, descs, progDescs)
		prog.streams = append(prog.streams, s)
	}
	return prog, true, nil
}

// forEachDescriptor calls fn for each well-formed descriptor (tag, payload).
func forEachDescriptor(b []byte, fn func(tag byte, payload []byte)) {
	for len(b) >= 2 {
		n := int(b[1])
		if 2+n > len(b) {
			return
		}
		fn(b[0], b[2:2+n])
		b = b[2+n:]
	}
}

// classifyStream decides what an elementary stream carries from its
// stream_type and descriptors.
func classifyStream(st uint8, descs, progDescs []byte) (media.Codec, DataKind) {
	switch st {
	case streamTypeH264:
		return media.CodecH264, DataOther
	case streamTypeH265:
		return media.CodecH265, DataOther
	case streamTypeAAC:
		return media.CodecAAC, DataOther
	case streamTypeAC3:
		return media.CodecAC3, DataOther
	case streamTypeEAC3:
		return media.CodecEAC3, DataOther
	case streamTypeSCTE35:
		return 0, DataSCTE35
	}
	var reg string
	var ac3, eac3, id3, metadataDesc bool
	forEachDescriptor(descs, func(tag byte, p []byte) {
		switch tag {
		case descRegistration:
			if len(p) >= 4 {
				reg = string(p[:4])
			}
		case descDVBAC3:
			ac3 = true
		case descDVBEAC3:
			eac3 = true
		case descMetadata:
			metadataDesc = true
			id3 = id3 || isID3Metadata(p)
		}
	})
	switch st {
	case streamTypePrivatePES:
		switch {
		case eac3 || reg == "EAC3":
			return media.CodecEAC3, DataOther
		case ac3 || reg == "AC-3":
			return media.CodecAC3, DataOther
		case reg == "ID3 " || id3:
			return 0, DataID3
		}
	case streamTypeMetadata:
		// ID3 timed metadata (Apple, ffmpeg) carries a metadata_descriptor
		// naming "ID3 "; a 0x15 stream without one is taken as ID3 too.
		if id3 || reg == "ID3 " || !metadataDesc {
			return 0, DataID3
		}
	}
	return 0, DataOther
}

// isID3Metadata reports whether a metadata_descriptor (ISO/IEC 13818-1
// §2.6.60) names the ID3 format: metadata_format 0xFF with
// metadata_format_identifier "ID3 ".
func isID3Metadata(p []byte) bool {
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

// iso639Language returns the first ISO_639_language_code of the descriptors,
// lower case, "" when absent or not three letters.
func iso639Language(descs []byte) string {
	lang := ""
	forEachDescriptor(descs, func(tag byte, p []byte) {
		if lang != "" || tag != descISO639 || len(p) < 3 {
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
