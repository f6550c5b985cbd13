// Package hls packages HLS (RFC 8216, draft-pantos-hls-rfc8216bis) just in
// time for origin endpoints with an hlsPackage (MPEG-TS segments) or a
// cmafPackage (fMP4/CMAF segments under one or more hlsManifests). New
// returns a packager.Packager; every manifest is rebuilt from the
// request's live.Snapshot and every segment is cut from the stored CMAF
// fragments, so a restart or a second Boxcar serves the same bytes.
//
// # URLs
//
// Names use track IDs and output sequence numbers, never list positions,
// so a segment URL names one immutable object while it is available.
// Paths are relative to /out/v1/<endpointId>/.
//
// HLS endpoint:
//
//	<manifestName>.m3u8                       multivariant playlist
//	<manifestName>_<trackID>.m3u8             media playlist (a video variant with its muxed audio, or an audio rendition)
//	<manifestName>_<trackID>_iframes.m3u8     I-frame playlist of a video track
//	<manifestName>_<trackID>_<number>.ts      segment
//	<manifestName>_<trackID>_iframe_<seq>.ts  one I-frame (PAT, PMT, IDR)
//
// CMAF endpoint, one directory per hlsManifests entry, segments shared at
// the endpoint root and named from the manifests as "../<name>" (hls.js and
// Shaka Player resolve them; see the player tests):
//
//	<manifestId>/<manifestName>.m3u8
//	<manifestId>/<manifestName>_<trackID>.m3u8
//	<manifestId>/<manifestName>_<trackID>_iframes.m3u8
//	<segmentPrefix>_<trackID>_<number>.mp4    segment: styp + stored fragments
//	<segmentPrefix>_<trackID>_init<n>.mp4     init segment of configuration n
//
// # Playlists
//
// Output segments are packager.Groups of segmentDurationSeconds; the
// window is packager.Window of playlistWindowSeconds (at least three
// target durations, HLS §6.2.2) and timeDelaySeconds. Every media playlist
// of an endpoint has one EXT-X-TARGETDURATION, derived from the timeline's
// runs (segmentDurationSeconds rounded to a multiple of the ingest
// segment length), so it does not change while the encoder keeps its
// segment length. EXT-X-MEDIA-SEQUENCE is the first listed group's number;
// EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuities before it, so a
// segment has the same discontinuity number in every rendition and on
// every reload. EXT-X-GAP marks groups where the channel or the rendition
// has no media; groups before a rendition's first fragment are not listed.
// EXT-X-PROGRAM-DATE-TIME (ms, UTC) goes on the first segment, after every
// discontinuity and on the first segment of every
// programDateTimeIntervalSeconds period counted from the Unix epoch, so
// the tag stays on the same segment across reloads. EXT-X-VERSION is the
// lowest the tags allow: media playlists 3 (TS) or 6 (CMAF, EXT-X-MAP),
// I-frame playlists 4 (TS) or 5 (CMAF); the multivariant playlist, whose
// own tags need none, declares the highest of the playlists it names.
//
// playlistType EVENT lists everything retained (append-only while the
// retention allows). VOD cannot honestly be declared on a live playlist
// (a VOD playlist must never change): while the channel is live it is
// served as EVENT, and once the channel ended as EXT-X-PLAYLIST-TYPE:VOD
// with EXT-X-ENDLIST. EXT-X-ENDLIST follows the channel's end.
//
// Time-shifted manifests (?start=&end=, with startoverWindowSeconds) are
// described in timeshift.go.
//
// # Variants
//
// Video streams come from packager.Streams with the endpoint's
// streamSelection. BANDWIDTH and AVERAGE-BANDWIDTH are the peak and mean
// bit rate of the variant's output segments over the manifest's window,
// from the stored fragment sizes (TS sizes estimated with
// packager.TSBits): video plus its muxed audio, or plus the highest audio
// of its group. Without useAudioRenditionGroup each TS variant muxes the
// audio of its own ingest rendition, else the channel's first audio
// track. With it (and always for CMAF) audio tracks form EXT-X-MEDIA
// groups, one per codec, and each video variant is listed once per group.
// A channel without video gets one audio-only variant per audio track.
//
// I-frame playlists (includeIframeOnlyStream) list one entry per stored
// fragment of each video stream: fragments start at a keyframe. TS
// endpoints serve each I-frame as a small TS of its own; CMAF endpoints use
// a BYTERANGE into the output segment covering moof, mdat header and the
// keyframe, with EXT-X-MAP.
//
// # Not built
//
// Encryption (hlsPackage.encryption, cmafPackage.encryption) answers
// packager.ErrEncryptionUnsupported for every object of the endpoint; no
// clear media is served in its place. adMarkers, adTriggers,
// adsOnDeliveryRestrictions and includeDvbSubtitles are accepted and
// ignored. Low-latency HLS is not built.
package hls
