// Package codec is Boxcar's one media vocabulary below the containers:
// NAL unit types and their classification, sequence parameter sets
// (picture size, frame rate, aspect ratio), AAC AudioSpecificConfig, RFC
// 6381 codec strings, Annex B splitting, ADTS and AC-3/E-AC-3 syncframe
// headers. Demuxers, muxers and manifest writers call it rather than
// reading these structures themselves.
//
// The package is pure: bytes in, values and errors out. It never logs and
// keeps no mutable globals. Parameter sets are parsed with
// github.com/bluenviron/mediacommon; AudioSpecificConfig and box payloads
// with github.com/Eyevinn/mp4ff.
package codec
