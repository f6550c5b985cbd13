package ts

// Program specific information (ISO/IEC 13818-1 §2.4.4): the section
// layout of PAT, PMT and SCTE-35, their CRC_32, and the stream types and
// descriptor tags of the PMT, as Demux reads them and Mux writes them.

// Table ids (ISO/IEC 13818-1 Table 2-31; SCTE 35 §9.6).
const (
	tableIDPAT    = 0x00
	tableIDPMT    = 0x02
	tableIDSCTE35 = 0xfc // splice_info_section
)

// Section layout: table_id and the 12-bit section_length come first; a
// long-form section (section_syntax_indicator 1) then has five more
// header bytes, and ends with CRC_32.
const (
	sectionHeaderSize     = 3
	longSectionHeaderSize = 8
	crcSize               = 4
	// sectionSyntax is the section_syntax_indicator with the reserved
	// bits set, to be OR-ed with the top of section_length.
	sectionSyntax = 0xb0
	// maxSectionSize is the largest PSI section: section_length is 12 bits
	// and private sections (SCTE-35) may use up to 4093 bytes after it.
	maxSectionSize = sectionHeaderSize + 4093
)

// Stream types (ISO/IEC 13818-1 Table 2-34, ATSC A/52, SCTE 35).
const (
	streamTypePrivatePES = 0x06
	streamTypeAAC        = 0x0f // ADTS
	streamTypeMetadata   = 0x15
	streamTypeH264       = 0x1b
	streamTypeH265       = 0x24
	streamTypeAC3        = 0x81
	streamTypeSCTE35     = 0x86
	streamTypeEAC3       = 0x87
)

// Descriptor tags (ISO/IEC 13818-1 Table 2-45, ETSI EN 300 468).
const (
	descRegistration = 0x05
	descISO639       = 0x0a
	descMetadata     = 0x26
	descDVBAC3       = 0x6a
	descDVBEAC3      = 0x7a
)

// sectionSize returns the size of the section starting at b (at least
// sectionHeaderSize bytes): its header plus section_length.
func sectionSize(b []byte) int {
	return sectionHeaderSize + (int(b[1]&0x0f)<<8 | int(b[2]))
}

// crcTable is the byte-wise lookup table of CRC-32/MPEG-2, built once from
// the polynomial and only read afterwards.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc32MPEG2 computes CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial value
// 0xFFFFFFFF, not reflected, no final XOR), the CRC_32 of PSI sections
// (ISO/IEC 13818-1 Annex A). Over a whole section including its CRC_32
// field the result is 0.
func crc32MPEG2(b []byte) uint32 {
	crc := uint32(0xffffffff)
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>24)^c]
	}
	return crc
}

// longSection validates a long-form section with the given table_id and
// returns the bytes between its header and the CRC_32. ok is false for a
// bad CRC, another table, or a section that is not current
// (current_next_indicator 0).
func longSection(sec []byte, tableID byte) (body []byte, ok bool) {
	if len(sec) < longSectionHeaderSize+crcSize || sec[0] != tableID || sec[1]&0x80 == 0 {
		return nil, false
	}
	if crc32MPEG2(sec) != 0 {
		return nil, false
	}
	if sec[5]&0x01 == 0 {
		return nil, false
	}
	return sec[longSectionHeaderSize : len(sec)-crcSize], true
}

// appendSectionEnd fills in section_length of the long-form section sec,
// whose header and body are written, and appends its CRC_32.
func appendSectionEnd(sec []byte) []byte {
	length := len(sec) - sectionHeaderSize + crcSize
	sec[1] = sectionSyntax | byte(length>>8)
	sec[2] = byte(length)
	crc := crc32MPEG2(sec)
	return append(sec, byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc))
}
