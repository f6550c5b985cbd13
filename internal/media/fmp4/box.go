package fmp4

import (
	"encoding/binary"
	"fmt"
)

// Box types this package reads or writes, as big-endian four-character codes.
const (
	typFtyp = 'f'<<24 | 't'<<16 | 'y'<<8 | 'p'
	typStyp = 's'<<24 | 't'<<16 | 'y'<<8 | 'p'
	typMoov = 'm'<<24 | 'o'<<16 | 'o'<<8 | 'v'
	typTrak = 't'<<24 | 'r'<<16 | 'a'<<8 | 'k'
	typTkhd = 't'<<24 | 'k'<<16 | 'h'<<8 | 'd'
	typMdia = 'm'<<24 | 'd'<<16 | 'i'<<8 | 'a'
	typMdhd = 'm'<<24 | 'd'<<16 | 'h'<<8 | 'd'
	typHdlr = 'h'<<24 | 'd'<<16 | 'l'<<8 | 'r'
	typMinf = 'm'<<24 | 'i'<<16 | 'n'<<8 | 'f'
	typStbl = 's'<<24 | 't'<<16 | 'b'<<8 | 'l'
	typStsd = 's'<<24 | 't'<<16 | 's'<<8 | 'd'
	typMvex = 'm'<<24 | 'v'<<16 | 'e'<<8 | 'x'
	typTrex = 't'<<24 | 'r'<<16 | 'e'<<8 | 'x'
	typMoof = 'm'<<24 | 'o'<<16 | 'o'<<8 | 'f'
	typMfhd = 'm'<<24 | 'f'<<16 | 'h'<<8 | 'd'
	typTraf = 't'<<24 | 'r'<<16 | 'a'<<8 | 'f'
	typTfhd = 't'<<24 | 'f'<<16 | 'h'<<8 | 'd'
	typTfdt = 't'<<24 | 'f'<<16 | 'd'<<8 | 't'
	typTrun = 't'<<24 | 'r'<<16 | 'u'<<8 | 'n'
	typMdat = 'm'<<24 | 'd'<<16 | 'a'<<8 | 't'
	typSinf = 's'<<24 | 'i'<<16 | 'n'<<8 | 'f'
	typAvcC = 'a'<<24 | 'v'<<16 | 'c'<<8 | 'C'
	typHvcC = 'h'<<24 | 'v'<<16 | 'c'<<8 | 'C'
	typEsds = 'e'<<24 | 's'<<16 | 'd'<<8 | 's'
	typDac3 = 'd'<<24 | 'a'<<16 | 'c'<<8 | '3'
	typDec3 = 'd'<<24 | 'e'<<16 | 'c'<<8 | '3'
	typWave = 'w'<<24 | 'a'<<16 | 'v'<<8 | 'e'

	typAvc1 = 'a'<<24 | 'v'<<16 | 'c'<<8 | '1'
	typAvc3 = 'a'<<24 | 'v'<<16 | 'c'<<8 | '3'
	typHvc1 = 'h'<<24 | 'v'<<16 | 'c'<<8 | '1'
	typHev1 = 'h'<<24 | 'e'<<16 | 'v'<<8 | '1'
	typMp4a = 'm'<<24 | 'p'<<16 | '4'<<8 | 'a'
	typAc3  = 'a'<<24 | 'c'<<16 | '-'<<8 | '3'
	typEc3  = 'e'<<24 | 'c'<<16 | '-'<<8 | '3'
	typEncv = 'e'<<24 | 'n'<<16 | 'c'<<8 | 'v'
	typEnca = 'e'<<24 | 'n'<<16 | 'c'<<8 | 'a'

	hdlrVide = 'v'<<24 | 'i'<<16 | 'd'<<8 | 'e'
	hdlrSoun = 's'<<24 | 'o'<<16 | 'u'<<8 | 'n'
)

// fourCC renders a box type for error messages.
func fourCC(t uint32) string {
	b := [4]byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b[:])
}

// box is the position of one box inside a byte slice.
type box struct {
	typ   uint32
	start int // first byte of the header
	body  int // first byte after the header (a FullBox's version/flags are part of the body)
	end   int // first byte after the box
}

// readBox reads the header of the box at data[pos:] which must end at or
// before limit. size 0 (box extends to limit) and 64-bit sizes are handled.
func readBox(data []byte, pos, limit int) (box, error) {
	if limit-pos < 8 {
		return box{}, fmt.Errorf("%w: %d stray bytes at offset %d", ErrMalformed, limit-pos, pos)
	}
	size := uint64(binary.BigEndian.Uint32(data[pos:]))
	b := box{typ: binary.BigEndian.Uint32(data[pos+4:]), start: pos, body: pos + 8}
	switch size {
	case 0:
		size = uint64(limit - pos)
	case 1:
		if limit-pos < 16 {
			return box{}, fmt.Errorf("%w: truncated large size of %q at offset %d", ErrMalformed, fourCC(b.typ), pos)
		}
		size = binary.BigEndian.Uint64(data[pos+8:])
		b.body = pos + 16
	}
	if size < uint64(b.body-pos) || size > uint64(limit-pos) {
		return box{}, fmt.Errorf("%w: box %q at offset %d has size %d, %d bytes available",
			ErrMalformed, fourCC(b.typ), pos, size, limit-pos)
	}
	b.end = pos + int(size)
	return b, nil
}

// fullBox returns the version and flags of a FullBox and the offset after them.
func fullBox(data []byte, b box) (version uint8, flags uint32, pos int, err error) {
	if b.end-b.body < 4 {
		return 0, 0, 0, fmt.Errorf("%w: %q too short", ErrMalformed, fourCC(b.typ))
	}
	vf := binary.BigEndian.Uint32(data[b.body:])
	return uint8(vf >> 24), vf & 0xffffff, b.body + 4, nil
}

// findChild returns the first child box of type typ in data[pos:end].
func findChild(data []byte, pos, end int, typ uint32) (box, bool, error) {
	for pos < end {
		b, err := readBox(data, pos, end)
		if err != nil {
			return box{}, false, err
		}
		if b.typ == typ {
			return b, true, nil
		}
		pos = b.end
	}
	return box{}, false, nil
}

// mustChild is findChild that reports a missing box as malformed input.
func mustChild(data []byte, parent box, typ uint32) (box, error) {
	b, ok, err := findChild(data, parent.body, parent.end, typ)
	if err != nil {
		return box{}, err
	}
	if !ok {
		return box{}, fmt.Errorf("%w: %q without %q", ErrMalformed, fourCC(parent.typ), fourCC(typ))
	}
	return b, nil
}
