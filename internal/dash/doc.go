// Package dash packages live DASH (ISO/IEC 23009-1, DASH-IF IOP and its
// timing model) for origin endpoints with a dashPackage: a dynamic MPD
// built per request from the channel's timeline snapshot, and CMAF init
// and media segments served from the stored fragments.
//
// # URLs
//
// Under /out/v1/{endpointId}/ (packager.Request.Path):
//
//	<manifestName>.mpd                     the MPD
//	<manifestName>_<trackID>_init<n>.mp4   init segment n of a track
//	<manifestName>_<trackID>_<Number>.mp4  media segment, NUMBER_* formats
//	<manifestName>_<trackID>_<Time>.mp4    media segment, TIME_WITH_TIMELINE
//	                                       (decode time in the track timescale)
//
// Representation@id is the track ID, so the MPD's templates read
// <manifestName>_$RepresentationID$_$Number$.mp4 (or $Time$) and
// <manifestName>_$RepresentationID$_init<n>.mp4. A media segment is a styp
// box followed by the group's stored moof+mdat fragments, byte for byte.
// Unknown names, segments outside the window (plus a grace of
// minimumUpdatePeriod and one segment) or newer than the delayed live point
// are packager.ErrNotFound; malformed numbers are a packager.BadRequestError;
// an endpoint with encryption gets packager.ErrEncryptionUnsupported for
// every object, so clear media never leaves it.
//
// # MPD
//
//   - type dynamic; profiles isoff-live (plus the DVB-DASH 2014 or HbbTV 1.5
//     profile when asked); availabilityStartTime is the Unix epoch, fixed for
//     the life of the channel; publishTime is the snapshot's update time;
//     minimumUpdatePeriod, minBufferTime and timeShiftBufferDepth come from
//     minUpdatePeriodSeconds, minBufferTimeSeconds and manifestWindowSeconds;
//     suggestedPresentationDelay is suggestedPresentationDelaySeconds plus
//     timeDelaySeconds, and the time delay also holds the newest media back
//     (packager.Window); maxSegmentDuration is the longest listed segment.
//   - UTCTiming: HTTP-HEAD, HTTP-ISO and HTTP-XSDATE give the matching
//     urn:mpeg:dash:utc:*:2014 scheme with utcTimingUri, or Boxcar's own
//     <public URL>/time when the URI is empty. NONE gives no UTCTiming, as
//     MediaPackage does; an endpoint that leaves utcTiming unset gets
//     http-xsdate with Boxcar's /time, because DASH-IF requires a UTCTiming
//     in dynamic MPDs and dash.js otherwise asks an internet time server.
//   - Periods (periods.go): one per stretch between outages (a
//     discontinuity across which the wall clock jumps ahead) or codec
//     changes; an encoder restart alone keeps the Period. Id "p<Number of its first segment>", start = the first
//     segment's program date-time since the epoch, presentationTimeOffset =
//     its channel time in each track's timescale. A Period keeps these for
//     as long as it is listed, also after its start has left the snapshot.
//   - AdaptationSets: one per video codec (id 1 H.264, 2 H.265) and one per
//     audio codec and language (id 100 + smallest track ID), with
//     contentType, mimeType, lang, segmentAlignment, startWithSAP=1, a main
//     Role and the declared audio Label. Representations carry bandwidth =
//     the measured peak over the window (packager.Streams), codecs (RFC
//     6381), width, height, frameRate and sar, or audioSamplingRate and an
//     AudioChannelConfiguration (channel count); video is filtered and
//     ordered by streamSelection.
//   - segmentTemplateFormat NUMBER_WITH_TIMELINE: $Number$ with a
//     SegmentTimeline, startNumber = the first listed segment's number.
//     TIME_WITH_TIMELINE: $Time$ with a SegmentTimeline; S@t is the
//     segment's first decode time (tfdt). NUMBER_WITH_DURATION: $Number$
//     with @duration = the Period's first segment's duration on a 90 kHz
//     timescale and startNumber = its number, so the number a player
//     computes from the wall clock lands on the right segment provided the
//     encoder's segment cadence is exact; an encoder that drifts by more
//     than half a segment needs a *_WITH_TIMELINE format.
//   - manifestLayout FULL puts a SegmentTemplate in every Representation;
//     COMPACT (and DRM_TOP_LEVEL_COMPACT, until DASH is encrypted) hoists
//     it to the AdaptationSet when the Representations' templates match,
//     and keeps them per Representation otherwise.
//   - Gaps: a segment that a track lacks (an encoder outage, a lost upload)
//     is left out of that track's timeline: an S@t jump with $Time$. With
//     $Number$ and a timeline a hole would renumber every later S, so the
//     segment after it starts a new Period. @duration cannot leave a
//     segment out; players get a 404 for it.
//   - The MPD object: application/dash+xml, max-age half the newest segment
//     (at least 1 s, at most minimumUpdatePeriod), LastSequence the newest
//     listed number, LastModified the snapshot's update time. Segments and
//     init segments: video/mp4 or audio/mp4, immutable, max-age 14 days.
//
// Not yet: encryption (ContentProtection, DRM_TOP_LEVEL_COMPACT's
// MPD-level ContentProtection), periodTriggers/adTriggers and SCTE-35
// EventStreams (accepted and ignored), includeIframeOnlyStream (trick
// play), startover/time-shifted MPDs (start/end parameters), end of live
// (a static MPD after #EXT-X-ENDLIST), subtitles, the Hybridcast profile
// URN, and a stream selection check on segment requests.
package dash
