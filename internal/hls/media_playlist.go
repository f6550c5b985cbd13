package hls

import (
	"strconv"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/packager"
)

// mediaVersion is the EXT-X-VERSION of media playlists (HLS §8): 3 for
// TS (floating-point EXTINF), 6 for CMAF (EXT-X-MAP). Nothing else they
// carry needs more: EXT-X-GAP, EXT-X-DISCONTINUITY-SEQUENCE,
// EXT-X-PROGRAM-DATE-TIME and EXT-X-PLAYLIST-TYPE have no version floor.
func (r *request) mediaVersion() int {
	if r.ep.container == containerCMAF {
		return 6
	}
	return 3
}

// slot is one listed output segment as one rendition sees it.
type slot struct {
	g    *packager.Group
	has  bool // the rendition's track has a fragment in every timeline segment
	init int  // the track's init index in the group (when has)
}

// slots returns the rendition's view of groups: each group, whether the
// track has it and with which configuration. Leading groups without the
// track are left out (a rendition that starts later simply starts later).
func (r *request) slots(groups []packager.Group, tr *live.Track) []slot {
	out := make([]slot, 0, len(groups))
	for i := range groups {
		g := &groups[i]
		s := slot{g: g, has: !g.Gap, init: -1}
		if s.has {
			for _, seg := range packager.Segments(r.snap, g) {
				f := seg.Frag(tr.ID)
				if f == nil {
					s.has = false
					break
				}
				if s.init < 0 {
					s.init = f.Init
				}
			}
		}
		if !s.has && len(out) == 0 {
			continue
		}
		out = append(out, s)
	}
	return out
}

// mediaPlaylist writes the Media Playlist of one track (HLS §4.4.3,
// §4.4.4): for TS video with the audio muxed into its segments.
func (r *request) mediaPlaylist(m *manifest, id int) (*packager.Object, error) {
	tr, ok := r.track(id)
	if !ok {
		return nil, packager.ErrNotFound
	}
	groups := r.listed(m)
	slots := r.slots(groups, tr)
	if len(slots) == 0 {
		return nil, packager.ErrNotFound
	}
	ext := extTS
	if r.ep.container == containerCMAF {
		ext = extMP4
	}
	b := make([]byte, 0, 256+96*len(slots))
	b = r.appendMediaHeader(b, m, slots, r.mediaVersion(), false)
	curInit := -1
	for i := range slots {
		s := &slots[i]
		g := s.g
		if g.Disc {
			b = append(b, "#EXT-X-DISCONTINUITY\n"...)
		}
		if r.ep.container == containerCMAF {
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
		b = appendPDT(b, m, slots, i)
		if !s.has {
			b = append(b, "#EXT-X-GAP\n"...)
		}
		b = appendExtinf(b, g.Seconds())
		b = appendSegmentName(b, r.ep.segDir, r.ep.prefix, tr.ID, g.Number, ext)
		b = append(b, '\n')
	}
	b = r.appendEnd(b, m)
	return r.playlistObject(b, slots[len(slots)-1].g.Number), nil
}

// firstInit is the init index of the first listed group that has the
// track, else the track's newest.
func firstInit(slots []slot, tr *live.Track) int {
	for i := range slots {
		if slots[i].has {
			return slots[i].init
		}
	}
	return len(tr.Inits) - 1
}

// appendMediaHeader writes the playlist tags before the first segment.
// The media sequence number is the first listed group's Number; the
// discontinuity sequence counts the discontinuities before it (its DiscSeq
// includes its own).
func (r *request) appendMediaHeader(b []byte, m *manifest, slots []slot, version int, iframes bool) []byte {
	first := slots[0].g
	return r.appendHeader(b, m, version, first.Number, first.DiscSeq, first.Disc, iframes)
}

func (r *request) appendHeader(b []byte, m *manifest, version int, msn, discSeq uint64, disc, iframes bool) []byte {
	if disc && discSeq > 0 {
		discSeq--
	}
	b = append(b, "#EXTM3U\n#EXT-X-VERSION:"...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, "\n#EXT-X-TARGETDURATION:"...)
	b = strconv.AppendInt(b, int64(r.td), 10)
	b = append(b, "\n#EXT-X-MEDIA-SEQUENCE:"...)
	b = strconv.AppendUint(b, msn, 10)
	b = append(b, "\n#EXT-X-DISCONTINUITY-SEQUENCE:"...)
	b = strconv.AppendUint(b, discSeq, 10)
	b = append(b, '\n')
	switch typ := r.playlistType(m); {
	case typ == typeEvent || typ == typeVOD && !r.ended():
		b = append(b, "#EXT-X-PLAYLIST-TYPE:EVENT\n"...)
	case typ == typeVOD:
		b = append(b, "#EXT-X-PLAYLIST-TYPE:VOD\n"...)
	}
	if iframes {
		b = append(b, "#EXT-X-I-FRAMES-ONLY\n"...)
	}
	return b
}

// appendEnd writes EXT-X-ENDLIST once the channel ended.
func (r *request) appendEnd(b []byte, m *manifest) []byte {
	if r.ended() {
		b = append(b, "#EXT-X-ENDLIST\n"...)
	}
	return b
}

// appendExtinf writes "#EXTINF:<seconds, 3 decimals>,".
func appendExtinf(b []byte, secs float64) []byte {
	b = append(b, "#EXTINF:"...)
	b = strconv.AppendFloat(b, secs, 'f', 3, 64)
	return append(b, ",\n"...)
}

// appendPDT writes EXT-X-PROGRAM-DATE-TIME before slot i when the manifest
// asks for it.
func appendPDT(b []byte, m *manifest, slots []slot, i int) []byte {
	var prev time.Time
	if i > 0 {
		prev = slots[i-1].g.PDT
	}
	g := slots[i].g
	return appendPDTIf(b, m.pdtInterval, prev, g.PDT, i == 0 || g.Disc)
}

// appendPDTIf writes EXT-X-PROGRAM-DATE-TIME for a segment starting at
// wall-clock pdt after one starting at prev: on the first listed segment
// and after every discontinuity (force), and on the first segment of every
// period of interval. Periods are counted from the Unix epoch, so a
// segment carries the tag on every reload and in every rendition (HLS
// §6.2.4 wants consistent mappings).
func appendPDTIf(b []byte, interval time.Duration, prev, pdt time.Time, force bool) []byte {
	if interval <= 0 || pdt.IsZero() {
		return b
	}
	if !force && !prev.IsZero() && period(prev, interval) == period(pdt, interval) {
		return b
	}
	return appendPDTTag(b, pdt)
}

func period(t time.Time, interval time.Duration) int64 {
	ms := t.UnixMilli()
	iv := interval.Milliseconds()
	if ms < 0 {
		return (ms - iv + 1) / iv
	}
	return ms / iv
}

// appendPDTTag writes the tag with millisecond precision in UTC (HLS
// §4.4.4.6).
func appendPDTTag(b []byte, t time.Time) []byte {
	b = append(b, "#EXT-X-PROGRAM-DATE-TIME:"...)
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	return append(b, '\n')
}
