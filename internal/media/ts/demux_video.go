package ts

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

const (
	// maxPTSOffset bounds the composition offset of a sample (PTSOffset).
	maxPTSOffset = math.MaxInt32
	// h265NALHeaderSize is the size of an H.265 NAL unit header (H.264's
	// is one byte).
	h265NALHeaderSize = 2
)

// accessUnit is a video access unit being assembled from one or more PES
// packets (the first with a PTS, continuations without).
type accessUnit struct {
	active   bool
	pts, dts int64
	data     []byte // AVCC: 4-byte length + NAL unit, for the NAL units kept
	nalus    int
	vcl      bool
	sync     bool
	vps      [][]byte
	sps      [][]byte
	pps      [][]byte
}

// videoHandler turns the PES packets of an H.264 or H.265 stream into samples.
type videoHandler struct {
	track *Track
	clock *ptsClock
	codec media.Codec

	au accessUnit
	// carry holds the AVCC data and parameter sets of a PES without slices
	// (an encoder that sends parameter sets or SEI in their own PES), to be
	// prepended to the next access unit.
	carry accessUnit

	err       error // a limit hit while flushing from lost
	cfg       int   // index of the configuration in force: -1 none yet, 0 Info, i>0 Changes[i-1]
	frameRate float64
}

func newVideoHandler(t *Track, c *ptsClock) *videoHandler {
	return &videoHandler{track: t, clock: c, codec: t.Info.Codec, cfg: -1}
}

func (v *videoHandler) lost(startsUnit bool) {
	if startsUnit {
		// The access unit in progress ended before the lost PES.
		if err := v.flush(); err != nil {
			v.err = err
		}
	}
	v.au = accessUnit{}
	v.carry = accessUnit{}
}

func (v *videoHandler) pes(h pesHeader, payload []byte) error {
	if v.err != nil {
		return v.err
	}
	if h.hasPTS {
		if err := v.flush(); err != nil {
			return err
		}
		pts, dts := v.clock.pesTimes(h)
		v.au = accessUnit{active: true, pts: pts, dts: dts}
		if v.carry.active {
			v.au.data, v.au.nalus = v.carry.data, v.carry.nalus
			v.au.vps, v.au.sps, v.au.pps = v.carry.vps, v.carry.sps, v.carry.pps
			v.carry = accessUnit{}
		}
		if v.au.data == nil {
			v.au.data = make([]byte, 0, len(payload)+len(payload)/16+16)
		}
	} else if !v.au.active {
		// A continuation of an access unit we do not have: it can not be timed.
		v.track.Dropped++
		return nil
	}
	if !v.addNALUs(payload) {
		v.track.Dropped++
		v.au = accessUnit{}
	}
	return nil
}

// addNALUs appends the NAL units of an Annex B payload to the access unit.
// It returns false when the payload is corrupt.
func (v *videoHandler) addNALUs(payload []byte) bool {
	au := &v.au
	for n := range codec.AnnexBNALUs(payload) {
		if n[0]&0x80 != 0 {
			return false // forbidden_zero_bit
		}
		if v.codec != media.CodecH264 && len(n) < h265NALHeaderSize {
			return false
		}
		var ps *[][]byte
		keep := true
		switch codec.ClassifyNAL(v.codec, n) {
		case codec.NALVPS:
			ps, keep = &au.vps, false
		case codec.NALSPS:
			ps, keep = &au.sps, false
		case codec.NALPPS:
			ps, keep = &au.pps, false
		case codec.NALAUD, codec.NALFiller, codec.NALSPSExt:
			keep = false
		case codec.NALSlice:
			au.vcl = true
		case codec.NALKeyFrame:
			au.vcl, au.sync = true, true
		}
		if ps != nil {
			if len(*ps) == MaxParameterSets {
				return false
			}
			if !slices.ContainsFunc(*ps, func(p []byte) bool { return bytes.Equal(p, n) }) {
				*ps = append(*ps, bytes.Clone(n))
			}
		}
		if !keep {
			continue
		}
		au.nalus++
		if au.nalus > MaxNALUsPerSample {
			return false
		}
		au.data = binary.BigEndian.AppendUint32(au.data, uint32(len(n)))
		au.data = append(au.data, n...)
	}
	return true
}

// flush turns the access unit in progress into a sample.
func (v *videoHandler) flush() error {
	au := v.au
	v.au = accessUnit{}
	if !au.active {
		return nil
	}
	if !au.vcl {
		// No slices: keep parameter sets and SEI for the next access unit.
		if len(au.data) > 0 || len(au.sps)+len(au.pps)+len(au.vps) > 0 {
			au.active = true
			v.carry = au
		}
		return nil
	}
	if !v.applyConfig(&au) {
		v.track.Dropped++
		return nil
	}
	off := au.pts - au.dts
	if off < math.MinInt32 || off > maxPTSOffset {
		v.track.Dropped++
		return nil
	}
	if len(v.track.Samples) == MaxSamplesPerTrack {
		return fmt.Errorf("more than %d samples: %w", MaxSamplesPerTrack, ErrTooLarge)
	}
	v.track.Samples = append(v.track.Samples, media.Sample{
		DTS:       au.dts,
		PTSOffset: int32(off),
		Sync:      au.sync,
		Data:      au.data,
	})
	return nil
}

// applyConfig merges the parameter sets of an access unit into the track
// configuration, recording a ConfigChange when they differ from the ones in
// force. It returns false when a new SPS can not be parsed.
func (v *videoHandler) applyConfig(au *accessUnit) bool {
	if len(au.sps)+len(au.pps)+len(au.vps) == 0 {
		return true
	}
	var cur *media.TrackInfo
	switch {
	case v.cfg == 0:
		cur = &v.track.Info
	case v.cfg > 0:
		cur = &v.track.Changes[v.cfg-1].Info
	}
	next := v.track.Info
	if cur != nil {
		next = *cur
	}
	changed := false
	merge := func(dst *[][]byte, src [][]byte) {
		if len(src) == 0 || media.EqualParameterSets(*dst, src) {
			return
		}
		if len(*dst) > 0 {
			changed = true
		}
		*dst = src
	}
	merge(&next.VPS, au.vps)
	merge(&next.SPS, au.sps)
	merge(&next.PPS, au.pps)
	if len(au.sps) > 0 && (cur == nil || !media.EqualParameterSets(cur.SPS, next.SPS) || cur.Width == 0) {
		w, h, fr, err := codec.VideoInfo(v.codec, next.SPS[0])
		if err != nil {
			return false
		}
		next.Width, next.Height = w, h
		v.frameRate = fr
	}
	switch {
	case cur == nil:
		v.track.Info = next
		v.cfg = 0
	case changed && len(v.track.Samples) > 0:
		v.track.Changes = append(v.track.Changes, ConfigChange{Index: len(v.track.Samples), Info: next})
		v.cfg = len(v.track.Changes)
	default:
		*cur = next
	}
	return true
}

func (v *videoHandler) finish() error {
	if v.err != nil {
		return v.err
	}
	if err := v.flush(); err != nil {
		return err
	}
	setDurations(v.track.Samples, func() uint32 {
		if v.frameRate > 0 {
			return uint32(math.Round(media.VideoTimescale / v.frameRate))
		}
		return 0
	})
	return nil
}

// setDurations sets each sample's duration from the next sample's DTS;
// the last one gets the previous duration, or nominal() for a single
// sample. A DTS that does not increase (broken input, a timestamp reset)
// gives duration 0; callers should treat that as a discontinuity.
func setDurations(s []media.Sample, nominal func() uint32) {
	for i := 0; i+1 < len(s); i++ {
		d := s[i+1].DTS - s[i].DTS
		if d > 0 && d <= math.MaxUint32 {
			s[i].Duration = uint32(d)
		}
	}
	switch n := len(s); {
	case n >= 2:
		s[n-1].Duration = s[n-2].Duration
	case n == 1:
		s[0].Duration = nominal()
	}
}
