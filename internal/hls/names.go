package hls

import (
	"strconv"
	"strings"
)

// objectKind is what a request path names.
type objectKind int

const (
	objMultivariant objectKind = iota + 1
	objMedia                   // media playlist of one track
	objIFrames                 // I-frame playlist of one video track
	objSegment                 // media segment of one track (and its muxed audio)
	objIFrame                  // one I-frame as its own TS resource (HLS endpoints)
	objInit                    // CMAF init segment
)

// object is a parsed request path. Paths name tracks by their stable IDs
// and segments by their stable output numbers, never by list positions,
// so a URL keeps naming the same immutable object while it is available.
//
// HLS (TS) endpoint, all at the endpoint root:
//
//	<manifestName>.m3u8                      multivariant playlist
//	<manifestName>_<trackID>.m3u8            media playlist
//	<manifestName>_<trackID>_iframes.m3u8    I-frame playlist
//	<manifestName>_<trackID>_<number>.ts     segment
//	<manifestName>_<trackID>_iframe_<seq>.ts one I-frame (PAT, PMT, IDR)
//
// CMAF endpoint: manifests in a directory per hlsManifests entry, media
// shared by all of them at the endpoint root:
//
//	<manifestId>/<manifestName>.m3u8
//	<manifestId>/<manifestName>_<trackID>.m3u8
//	<manifestId>/<manifestName>_<trackID>_iframes.m3u8
//	<segmentPrefix>_<trackID>_<number>.mp4
//	<segmentPrefix>_<trackID>_init<n>.mp4
type object struct {
	kind     objectKind
	manifest int    // index of the manifest (CMAF hlsManifests; 0 for HLS)
	track    int    // track ID
	number   uint64 // output segment number, timeline seq (objIFrame) or init index (objInit)
}

// Suffixes and infixes of the names above.
const (
	extPlaylist  = ".m3u8"
	extTS        = ".ts"
	extMP4       = ".mp4"
	sfxIFrames   = "_iframes"
	infixIFrame  = "_iframe_"
	infixInit    = "_init"
	maxIDDigits  = 9  // track IDs are small ints
	maxNumDigits = 20 // uint64
)

// parseUint parses a canonical decimal number: digits only, no sign and no
// leading zero, so every object has exactly one name.
func parseUint(s string, maxDigits int) (uint64, bool) {
	if s == "" || len(s) > maxDigits || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func parseTrackID(s string) (int, bool) {
	n, ok := parseUint(s, maxIDDigits)
	if !ok || n == 0 {
		return 0, false
	}
	return int(n), true
}

// parsePlaylistName parses the file name of a playlist of a manifest
// named name: "<name>.m3u8", "<name>_<id>.m3u8" or
// "<name>_<id>_iframes.m3u8".
func parsePlaylistName(file, name string) (object, bool) {
	base, ok := strings.CutSuffix(file, extPlaylist)
	if !ok {
		return object{}, false
	}
	if base == name {
		return object{kind: objMultivariant}, true
	}
	rest, ok := strings.CutPrefix(base, name+"_")
	if !ok {
		return object{}, false
	}
	kind := objMedia
	if r, ok := strings.CutSuffix(rest, sfxIFrames); ok {
		rest, kind = r, objIFrames
	}
	id, ok := parseTrackID(rest)
	if !ok {
		return object{}, false
	}
	return object{kind: kind, track: id}, true
}

// parseTSName parses "<name>_<id>_<number>.ts" and
// "<name>_<id>_iframe_<seq>.ts".
func parseTSName(file, name string) (object, bool) {
	base, ok := strings.CutSuffix(file, extTS)
	if !ok {
		return object{}, false
	}
	rest, ok := strings.CutPrefix(base, name+"_")
	if !ok {
		return object{}, false
	}
	kind := objSegment
	idStr, numStr, ok := strings.Cut(rest, infixIFrame)
	if ok {
		kind = objIFrame
	} else if idStr, numStr, ok = strings.Cut(rest, "_"); !ok {
		return object{}, false
	}
	id, ok := parseTrackID(idStr)
	if !ok {
		return object{}, false
	}
	n, ok := parseUint(numStr, maxNumDigits)
	if !ok {
		return object{}, false
	}
	return object{kind: kind, track: id, number: n}, true
}

// parseMP4Name parses "<prefix>_<id>_<number>.mp4" and
// "<prefix>_<id>_init<n>.mp4".
func parseMP4Name(file, prefix string) (object, bool) {
	base, ok := strings.CutSuffix(file, extMP4)
	if !ok {
		return object{}, false
	}
	rest, ok := strings.CutPrefix(base, prefix+"_")
	if !ok {
		return object{}, false
	}
	idStr, numStr, ok := strings.Cut(rest, "_")
	if !ok {
		return object{}, false
	}
	id, ok := parseTrackID(idStr)
	if !ok {
		return object{}, false
	}
	kind := objSegment
	if n, ok := strings.CutPrefix(numStr, infixInit[1:]); ok {
		numStr, kind = n, objInit
	}
	n, ok := parseUint(numStr, maxNumDigits)
	if !ok {
		return object{}, false
	}
	return object{kind: kind, track: id, number: n}, true
}

// Name builders. They append to b so playlists are written without
// intermediate strings.

func appendPlaylistName(b []byte, name string, track int, iframes bool) []byte {
	b = append(b, name...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(track), 10)
	if iframes {
		b = append(b, sfxIFrames...)
	}
	return append(b, extPlaylist...)
}

// appendSegmentName appends "<dir><prefix>_<track>_<number><ext>".
func appendSegmentName(b []byte, dir, prefix string, track int, number uint64, ext string) []byte {
	b = append(b, dir...)
	b = append(b, prefix...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(track), 10)
	b = append(b, '_')
	b = strconv.AppendUint(b, number, 10)
	return append(b, ext...)
}

func appendInitName(b []byte, dir, prefix string, track, init int) []byte {
	b = append(b, dir...)
	b = append(b, prefix...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(track), 10)
	b = append(b, infixInit...)
	b = strconv.AppendInt(b, int64(init), 10)
	return append(b, extMP4...)
}

func appendIFrameName(b []byte, name string, track int, seq uint64) []byte {
	b = append(b, name...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(track), 10)
	b = append(b, infixIFrame...)
	b = strconv.AppendUint(b, seq, 10)
	return append(b, extTS...)
}
