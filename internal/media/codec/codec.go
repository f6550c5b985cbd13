// Package codec holds codec-level helpers shared by Boxcar's demuxers,
// muxers and manifest writers: RFC 6381 codec strings, picture size and
// frame rate from parameter sets, Annex B splitting, ADTS and AC-3/E-AC-3
// syncframe headers.
//
// The package is pure: bytes in, values and errors out. It never logs and
// keeps no mutable globals. Parsing of parameter sets is delegated to
// github.com/bluenviron/mediacommon; box payloads to github.com/Eyevinn/mp4ff.
package codec
