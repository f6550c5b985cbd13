package dash

import (
	"strconv"
	"strings"

	"boxcar/internal/packager"
)

// objectKind is what a request path names.
type objectKind int

const (
	objectManifest objectKind = iota + 1
	objectInit
	objectMedia
)

// objectRef is a parsed request path.
type objectRef struct {
	kind  objectKind
	track int
	// init is the init index (objectInit); value is the segment's
	// $Number$ or $Time$ (objectMedia).
	init  int
	value uint64
}

// parsePath parses req.Path for an endpoint whose manifest is named name.
// Paths that are not Boxcar DASH names return packager.ErrNotFound;
// DASH names with malformed values return a packager.BadRequestError.
func parsePath(path, name string) (objectRef, error) {
	if path == name+".mpd" {
		return objectRef{kind: objectManifest}, nil
	}
	rest, ok := strings.CutPrefix(path, name+"_")
	if !ok {
		return objectRef{}, packager.ErrNotFound
	}
	rest, ok = strings.CutSuffix(rest, ".mp4")
	if !ok {
		return objectRef{}, packager.ErrNotFound
	}
	trackText, value, ok := strings.Cut(rest, "_")
	if !ok {
		return objectRef{}, packager.BadRequest("segment name %q: want %s_<track>_<segment>.mp4", path, name)
	}
	track, err := parseUint(trackText, 31)
	if err != nil || track == 0 {
		return objectRef{}, packager.BadRequest("segment name %q: bad track id %q", path, trackText)
	}
	if n, ok := strings.CutPrefix(value, "init"); ok {
		idx, err := parseUint(n, 31)
		if err != nil {
			return objectRef{}, packager.BadRequest("init segment name %q: bad init index %q", path, n)
		}
		return objectRef{kind: objectInit, track: int(track), init: int(idx)}, nil
	}
	v, err := parseUint(value, 63)
	if err != nil {
		return objectRef{}, packager.BadRequest("segment name %q: bad segment number or time %q", path, value)
	}
	return objectRef{kind: objectMedia, track: int(track), value: v}, nil
}

// parseUint parses a canonical decimal (no sign, no leading zeros) of at
// most bits bits.
func parseUint(s string, bits int) (uint64, error) {
	if len(s) > 1 && s[0] == '0' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 10, bits)
}
