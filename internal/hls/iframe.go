package hls

import (
	"math"
	"strconv"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// I-frame playlists (HLS §4.4.3.6, §4.4.6.3) list one entry per stored
// video fragment: live stores every fragment starting at a keyframe, so
// each fragment's first sample is an I-frame and the entry lasts until
// the next fragment's. Their media sequence numbers are the timeline
// sequence numbers of the fragments, stable like the output numbers.
//
// HLS (TS) endpoints serve each I-frame as its own small TS resource
// (PAT, PMT and the keyframe's PES), cut from the stored fragment without
// muxing the whole segment. CMAF endpoints point a BYTERANGE into the
// output segment covering the fragment's moof, mdat header and first
// sample, with EXT-X-MAP naming the init segment.

// iframeVersion is the EXT-X-VERSION of I-frame playlists: 4 for
// EXT-X-I-FRAMES-ONLY (TS), 5 for EXT-X-MAP in an I-frame playlist (CMAF).
func (r *request) iframeVersion() int {
	if r.ep.container == containerCMAF {
		return 5
	}
	return 4
}

// tsIFrameOverheadBits approximates what a standalone I-frame TS adds to
// the keyframe beyond packager.TSBits: PAT and PMT packets.
const tsIFrameOverheadBits = 2 * 188 * 8

// iframeStream is one EXT-X-I-FRAME-STREAM-INF.
type iframeStream struct {
	video *packager.Stream
	rate  rate
}

// iframeStreams returns an I-frame stream for each distinct video stream
// of the variants, measured over groups.
func (r *request) iframeStreams(groups []packager.Group, vs []variant) []iframeStream {
	var out []iframeStream
	seen := map[int]bool{}
	for i := range vs {
		v := vs[i].video
		if v == nil || seen[v.Track.ID] {
			continue
		}
		seen[v.Track.ID] = true
		out = append(out, iframeStream{video: v, rate: r.iframeRate(groups, v.Track)})
	}
	return out
}

// iframeRate measures the bit rate of a track's I-frame entries: each
// entry's resource size over its duration.
func (r *request) iframeRate(groups []packager.Group, tr *live.Track) rate {
	var peak, sumBits, sumSecs float64
	for _, s := range r.slots(groups, tr) {
		if !s.has {
			continue
		}
		for _, seg := range packager.Segments(r.snap, s.g) {
			f := seg.Frag(tr.ID)
			secs := seg.Duration.Seconds()
			fi, err := r.p.frags.get(r.ctx, r.req.Media, f.StoreKey)
			if err != nil || secs <= 0 {
				continue
			}
			bits := float64(fi.iframe) * 8
			if r.ep.container == containerTS {
				bits = packager.TSBits(float64(fi.sample)*8, 1, 0) + tsIFrameOverheadBits
			}
			peak = max(peak, bits/secs)
			sumBits += bits
			sumSecs += secs
		}
	}
	if sumSecs == 0 {
		return rate{1, 1}
	}
	return rate{int64(math.Ceil(peak)), int64(math.Ceil(sumBits / sumSecs))}
}

// appendIFrameStreamInf writes one EXT-X-I-FRAME-STREAM-INF.
func appendIFrameStreamInf(b []byte, s *iframeStream, name, query string) []byte {
	b = append(b, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH="...)
	b = strconv.AppendInt(b, max(s.rate.peak, 1), 10)
	b = append(b, ",AVERAGE-BANDWIDTH="...)
	b = strconv.AppendInt(b, max(s.rate.avg, 1), 10)
	if c := s.video.Codecs; c != "" {
		b = append(b, `,CODECS="`...)
		b = append(b, c...)
		b = append(b, '"')
	}
	if s.video.Width > 0 && s.video.Height > 0 {
		b = append(b, ",RESOLUTION="...)
		b = strconv.AppendInt(b, int64(s.video.Width), 10)
		b = append(b, 'x')
		b = strconv.AppendInt(b, int64(s.video.Height), 10)
	}
	b = append(b, `,URI="`...)
	b = appendPlaylistName(b, name, s.video.Track.ID, true)
	b = appendQuery(b, query)
	return append(b, "\"\n"...)
}

// iframePlaylist writes the I-frame playlist of a video track.
func (r *request) iframePlaylist(m *manifest, id int) (*packager.Object, error) {
	tr, ok := r.track(id)
	if !ok || tr.Kind != media.KindVideo || !m.iframes {
		return nil, packager.ErrNotFound
	}
	slots := r.slots(r.listed(m), tr)
	if len(slots) == 0 {
		return nil, packager.ErrNotFound
	}
	cmaf := r.ep.container == containerCMAF
	first := &packager.Segments(r.snap, slots[0].g)[0]
	b := make([]byte, 0, 256+128*len(slots)*3)
	b = r.appendHeader(b, m, r.iframeVersion(), first.Seq, first.DiscSeq, first.Disc, true)
	curInit := -1
	var prevPDT time.Time
	var last uint64
	n := 0
	for i := range slots {
		s := &slots[i]
		offset := int64(stypBits / 8)
		for _, seg := range packager.Segments(r.snap, s.g) {
			if seg.Disc {
				b = append(b, "#EXT-X-DISCONTINUITY\n"...)
			}
			f := seg.Frag(tr.ID)
			if cmaf {
				init := s.init
				if curInit < 0 && init < 0 {
					init = firstInit(slots, tr)
				}
				if init >= 0 && init != curInit {
					b = append(b, `#EXT-X-MAP:URI="`...)
					b = appendInitName(b, r.ep.segDir, r.ep.prefix, tr.ID, init)
					b = append(b, "\"\n"...)
					curInit = init
				}
			}
			b = appendPDTIf(b, m.pdtInterval, prevPDT, seg.PDT, n == 0 || seg.Disc)
			prevPDT = seg.PDT
			last = seg.Seq
			n++
			if !s.has {
				b = append(b, "#EXT-X-GAP\n"...)
			} else if cmaf {
				fi, err := r.p.frags.get(r.ctx, r.req.Media, f.StoreKey)
				if err != nil {
					return nil, err
				}
				b = append(b, "#EXT-X-BYTERANGE:"...)
				b = strconv.AppendInt(b, int64(fi.iframe), 10)
				b = append(b, '@')
				b = strconv.AppendInt(b, offset, 10)
				b = append(b, '\n')
				offset += int64(f.Size)
			}
			b = appendExtinf(b, seg.Duration.Seconds())
			if cmaf {
				b = appendSegmentName(b, r.ep.segDir, r.ep.prefix, tr.ID, s.g.Number, extMP4)
			} else {
				b = appendIFrameName(b, r.ep.prefix, tr.ID, seg.Seq)
			}
			b = append(b, '\n')
		}
	}
	b = r.appendEnd(b, m)
	return r.playlistObject(b, last), nil
}
