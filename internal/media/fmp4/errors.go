package fmp4

import "errors"

// Errors returned (wrapped) by this package; test with errors.Is.
var (
	// ErrMalformed reports input that is not valid fragmented MP4.
	ErrMalformed = errors.New("fmp4: malformed input")
	// ErrEncrypted reports an encrypted track (encv/enca sample entry or a
	// sinf box): Boxcar ingests clear media only.
	ErrEncrypted = errors.New("fmp4: encrypted track")
	// ErrUnsupportedCodec reports a video or audio sample entry Boxcar does
	// not handle.
	ErrUnsupportedCodec = errors.New("fmp4: unsupported codec")
	// ErrUnknownTrack reports a track fragment whose track_ID is not in the
	// init segment.
	ErrUnknownTrack = errors.New("fmp4: track not in init segment")
)
