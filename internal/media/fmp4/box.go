package fmp4

import (
	"encoding/binary"
	"fmt"
)

// Box types of movie fragments, which this package reads and writes by
// hand (ParseFragment and ParseSegment are on the ingest and storage hot
// paths), as big-endian four-character codes.
const (
	typMoof = 'm'<<24 | 'o'<<16 | 'o'<<8 | 'f'
	typMfhd = 'm'<<24 | 'f'<<16 | 'h'<<8 | 'd'
	typTraf = 't'<<24 | 'r'<<16 | 'a'<<8 | 'f'
	typTfhd = 't'<<24 | 'f'<<16 | 'h'<<8 | 'd'
	typTfdt = 't'<<24 | 'f'<<16 | 'd'<<8 | 't'
	typTrun = 't'<<24 | 'r'<<16 | 'u'<<8 | 'n'
	typMdat = 'm'<<24 | 'd'<<16 | 'a'<<8 | 't'
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
