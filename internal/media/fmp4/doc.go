// Package fmp4 reads and writes fragmented MP4 (ISO/IEC 14496-12) in the
// shapes Boxcar meets: encoder init segments and media segments on ingest
// (ParseInit, ParseSegment), and Boxcar's own stored and served CMAF
// (ISO/IEC 23000-19) headers and fragments (WriteInit, WriteFragment,
// ParseFragment, SegmentHeader).
//
// Everything here is pure: bytes in, values and errors out. Input on the
// ingest side is untrusted; every count and size is bounded by the named
// limits of limits.go and malformed input returns an error wrapping ErrMalformed,
// never a panic.
//
// Parsed sample data aliases the input buffer wherever no rewrite is needed
// (see ParseFragment and ParseSegment); callers that reuse the buffer must
// copy first.
package fmp4
