package fmp4

// stypBox is a styp box: major brand msdh (DASH media segment), compatible
// msdh and cmfs (CMAF segment). msix is left out: it promises a sidx, which
// Boxcar's segments do not carry.
const stypBox = "\x00\x00\x00\x18styp" + "msdh" + "\x00\x00\x00\x00" + "msdh" + "cmfs"

// SegmentHeader returns a new styp box that a packager may put in front of
// the fragments of a served CMAF segment.
func SegmentHeader() []byte {
	return []byte(stypBox)
}
