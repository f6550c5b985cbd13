// Package push is Boxcar's test encoder: it loops a clip of MP4 files as an
// endless live stream with continuous timestamps and pushes it as HLS over
// HTTP PUT to an ingest URL (Boxcar's or AWS Elemental MediaPackage's), the
// way AWS Elemental MediaLive's "HLS WebDAV" output does.
//
// The pieces, each usable on its own:
//
//   - [LoadFiles], [LoadFS] and [ReadClip] read MP4 files (progressive or
//     fragmented) with mp4ff into a [Clip]: canonical samples and codec
//     configurations (media package).
//   - [NewPlan] cuts a clip into segments on the keyframes its video
//     renditions share and maps every segment of the endless loop to its
//     samples with continuous timestamps ([Plan.Segment]).
//   - [Multivariant] and [MediaPlaylist] write the playlists.
//   - [Run] muxes the segments (MPEG-TS with ts.Mux, or fMP4 with
//     fmp4.WriteInit and fmp4.WriteFragment), paces them in real time and
//     uploads them, answering Basic and Digest (RFC 7616) challenges, while
//     printing a status line.
//
// Upload layout below an ingest URL <base>/<name> (MediaPackage hands out
// URLs ending in /channel): the multivariant playlist <name>.m3u8, media
// playlists <name>_<n>.m3u8 (n from 1; the separate audio rendition last),
// segments <name>_<n>_<seq>.ts, or with fMP4 <name>_<n>_init.mp4 and
// <name>_<n>_<seq>.m4s.
package push
