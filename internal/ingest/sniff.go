package ingest

import (
	"bytes"
	"encoding/binary"
)

// content is the container of an uploaded object, told from its bytes
// (never from its name).
type content int

const (
	contentUnknown  content = iota
	contentTS               // MPEG-2 transport stream
	contentInit             // fragmented MP4 init segment (moov)
	contentFragment         // fragmented MP4 media segment (moof)
	contentWebVTT           // WebVTT subtitle segment
)

func (c content) String() string {
	switch c {
	case contentTS:
		return "MPEG-TS"
	case contentInit:
		return "fMP4 init"
	case contentFragment:
		return "fMP4 fragment"
	case contentWebVTT:
		return "WebVTT"
	}
	return "unknown"
}

const tsPacketSize = 188

// sniff tells the container of an object from its first boxes or packets.
func sniff(b []byte) content {
	if len(b) >= tsPacketSize && b[0] == 0x47 && (len(b) < 2*tsPacketSize || b[tsPacketSize] == 0x47) {
		return contentTS
	}
	if bytes.HasPrefix(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), []byte("WEBVTT")) {
		return contentWebVTT
	}
	// Walk the top-level ISO BMFF boxes.
	pos, init, frag := 0, false, false
	for n := 0; pos+8 <= len(b) && n < 64; n++ {
		size := uint64(binary.BigEndian.Uint32(b[pos:]))
		typ := string(b[pos+4 : pos+8])
		hdr := uint64(8)
		if size == 1 {
			if pos+16 > len(b) {
				break
			}
			size, hdr = binary.BigEndian.Uint64(b[pos+8:]), 16
		} else if size == 0 {
			size = uint64(len(b) - pos)
		}
		if size < hdr || !knownBox(typ) {
			return contentUnknown
		}
		switch typ {
		case "moov":
			init = true
		case "moof":
			frag = true
		}
		if size > uint64(len(b)-pos) {
			break
		}
		pos += int(size)
	}
	switch {
	case frag:
		return contentFragment
	case init:
		return contentInit
	}
	return contentUnknown
}

func knownBox(t string) bool {
	switch t {
	case "ftyp", "styp", "moov", "moof", "mdat", "sidx", "ssix", "emsg", "prft", "free", "skip", "uuid", "mfra", "meta", "pdin":
		return true
	}
	return false
}
