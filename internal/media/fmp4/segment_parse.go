package fmp4

import (
	"encoding/binary"
	"fmt"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// TrackSamples are the samples of one track of a media segment.
type TrackSamples struct {
	TrackID uint32
	// Samples in decode order, in the canonical timescale of the track's
	// Info.
	Samples []media.Sample
	// Info is non-nil when the segment carries in-band parameter sets
	// (avc3/hev1) that differ from the init segment's: it is the init's
	// Info updated with the first parameter sets found in the segment,
	// and the configuration of these samples.
	Info *media.TrackInfo
}

// ParseSegment parses a media segment (one or more moof+mdat, optionally
// with styp, sidx, prft, emsg or free boxes) against the tracks of its init
// segment. It returns the samples of every track that has any, in init
// order, in canonical form (media package): times rescaled to the track's
// Info.Timescale; video samples with 4-byte NAL lengths and without access
// unit delimiters or parameter sets, Sync on IDR (H.264) and IRAP (H.265)
// access units whatever the sample flags say; audio samples all Sync.
//
// Explicit base_data_offset values count from the start of data. Sample
// data aliases data unless it had to be rewritten.
func ParseSegment(data []byte, init []InitTrack) ([]TrackSamples, error) {
	r := moofReader{data: data, tracks: make([]trackRun, len(init))}
	for i, t := range init {
		if t.Timescale == 0 || t.Info.Timescale == 0 || t.Info.Timescale > maxSampleRate {
			return nil, fmt.Errorf("fmp4: parse segment: track %d: bad timescale %d/%d", t.TrackID, t.Timescale, t.Info.Timescale)
		}
		r.tracks[i] = trackRun{id: t.TrackID, defaults: t.Defaults}
	}
	n, err := r.readAll()
	if err != nil {
		return nil, fmt.Errorf("fmp4: parse segment: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("fmp4: parse segment: %w: no moof box", ErrMalformed)
	}
	var out []TrackSamples
	for i := range r.tracks {
		run := &r.tracks[i]
		if len(run.samples) == 0 {
			continue
		}
		ts := TrackSamples{TrackID: run.id, Samples: run.samples}
		if err := canonicalTimes(ts.Samples, init[i].Timescale, init[i].Info); err != nil {
			return nil, fmt.Errorf("fmp4: parse segment: track %d: %w", run.id, err)
		}
		if init[i].Info.Kind == media.KindVideo {
			if ts.Info, err = canonicalVideo(ts.Samples, &init[i]); err != nil {
				return nil, fmt.Errorf("fmp4: parse segment: track %d: %w", run.id, err)
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// canonicalTimes rescales sample times from the file timescale to the
// canonical one, rounding each boundary so durations never drift.
func canonicalTimes(samples []media.Sample, from uint32, info media.TrackInfo) error {
	to := info.Timescale
	audio := info.Kind == media.KindAudio
	for i := range samples {
		s := &samples[i]
		if end := s.DTS + int64(max(s.Duration, uint32(max(s.PTSOffset, 0)))); uint64(end)/uint64(from) >= maxMediaSeconds {
			return fmt.Errorf("%w: decode time %d/%d out of range", ErrMalformed, s.DTS, from)
		}
		dts := media.Rescale(s.DTS, from, to)
		end := media.Rescale(s.DTS+int64(s.Duration), from, to)
		var off int64
		if s.PTSOffset != 0 && !audio {
			pts := s.DTS + int64(s.PTSOffset)
			if pts < 0 {
				// A negative PTS can only come from a v1 negative offset on
				// a decode time near 0; keep the rounding away from Rescale.
				off = -media.Rescale(-int64(s.PTSOffset), from, to)
			} else {
				off = media.Rescale(pts, from, to) - dts
			}
		}
		s.DTS, s.Duration, s.PTSOffset = dts, uint32(end-dts), int32(off)
		if audio {
			s.Sync = true
		}
	}
	return nil
}

// canonicalVideo converts video samples to 4-byte NAL lengths without
// AUDs or parameter sets, sets Sync from the NAL types and returns the
// updated TrackInfo if in-band parameter sets differ from t.Info.
func canonicalVideo(samples []media.Sample, t *InitTrack) (*media.TrackInfo, error) {
	vc, ls := t.Info.Codec, t.LengthSize
	if ls == 0 {
		ls = 4
	}
	if ls != 1 && ls != 2 && ls != 4 {
		return nil, fmt.Errorf("NAL length size %d", ls)
	}
	rewrite, inband, found, err := scanVideo(samples, vc, ls)
	if err != nil {
		return nil, err
	}
	if rewrite > 0 {
		rewriteVideo(samples, vc, ls, rewrite)
	}
	if !found {
		return nil, nil
	}
	return updatedInfo(t.Info, inband), nil
}

// scanVideo validates the NAL units of video samples with lengthSize-byte
// lengths and sets their Sync. It returns how many bytes the samples that
// must be rewritten (to 4-byte lengths, or without AUDs, parameter sets or
// empty NAL units) take once rewritten, and the parameter sets of the
// first sample that has any.
func scanVideo(samples []media.Sample, vc media.Codec, lengthSize int) (rewrite int, inband paramSets, found bool, err error) {
	for i := range samples {
		s := &samples[i]
		var size int
		var irap, drop, here bool
		err := walkNALs(s.Data, lengthSize, func(nal []byte) error {
			k := codec.ClassifyNAL(vc, nal)
			switch k {
			case codec.NALKeyFrame:
				irap = true
			case codec.NALAUD:
				drop = true
				return nil
			case codec.NALVPS, codec.NALSPS, codec.NALPPS:
				drop = true
				if !found {
					here = true
					if err := inband.add(k, nal); err != nil {
						return err
					}
				}
				return nil
			}
			if len(nal) == 0 {
				drop = true
				return nil
			}
			size += 4 + len(nal)
			return nil
		})
		if err != nil {
			return 0, inband, false, fmt.Errorf("sample %d: %w", i, err)
		}
		found = found || here
		s.Sync = irap
		if drop || lengthSize != 4 {
			rewrite += size
		}
	}
	return rewrite, inband, found, nil
}

// rewriteVideo rewrites the samples scanVideo found to need it into one
// buffer of size bytes: 4-byte NAL lengths, without AUDs, parameter sets
// or empty NAL units.
func rewriteVideo(samples []media.Sample, vc media.Codec, lengthSize, size int) {
	buf := make([]byte, 0, size)
	for i := range samples {
		s := &samples[i]
		start := len(buf)
		changed := lengthSize != 4
		_ = walkNALs(s.Data, lengthSize, func(nal []byte) error {
			switch codec.ClassifyNAL(vc, nal) {
			case codec.NALAUD, codec.NALVPS, codec.NALSPS, codec.NALPPS:
				changed = true
				return nil
			}
			if len(nal) == 0 {
				changed = true
				return nil
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(nal)))
			buf = append(buf, nal...)
			return nil
		})
		if changed {
			s.Data = buf[start:len(buf):len(buf)]
		} else {
			buf = buf[:start]
		}
	}
}

// updatedInfo returns info with the in-band parameter sets, or nil if they
// are those of info already.
func updatedInfo(info media.TrackInfo, inband paramSets) *media.TrackInfo {
	vps, sps, pps := info.VPS, info.SPS, info.PPS
	if len(inband.sps) > 0 {
		sps = inband.sps
	}
	if len(inband.pps) > 0 {
		pps = inband.pps
	}
	if len(inband.vps) > 0 {
		vps = inband.vps
	}
	if media.EqualParameterSets(vps, info.VPS) && media.EqualParameterSets(sps, info.SPS) && media.EqualParameterSets(pps, info.PPS) {
		return nil
	}
	u := info
	u.VPS, u.SPS, u.PPS = cloneAll(vps), cloneAll(sps), cloneAll(pps)
	if len(u.SPS) > 0 {
		if s, err := codec.ParseSPS(u.Codec, u.SPS[0]); err == nil {
			u.Width, u.Height = s.Width, s.Height
		}
	}
	return &u
}

// add records a parameter set, ignoring exact repeats.
func (ps *paramSets) add(k codec.NALKind, nal []byte) error {
	dst := &ps.pps
	switch k {
	case codec.NALVPS:
		dst = &ps.vps
	case codec.NALSPS:
		dst = &ps.sps
	}
	for _, have := range *dst {
		if string(have) == string(nal) {
			return nil
		}
	}
	if len(*dst) == maxParameterSets {
		return fmt.Errorf("%w: more than %d parameter sets", ErrMalformed, maxParameterSets)
	}
	*dst = append(*dst, nal)
	return nil
}

// walkNALs calls fn for each NAL unit of a length-prefixed sample.
func walkNALs(data []byte, lengthSize int, fn func(nal []byte) error) error {
	for pos := 0; pos < len(data); {
		if len(data)-pos < lengthSize {
			return fmt.Errorf("%w: truncated NAL length", ErrMalformed)
		}
		var n uint64
		for _, b := range data[pos : pos+lengthSize] {
			n = n<<8 | uint64(b)
		}
		pos += lengthSize
		if n > uint64(len(data)-pos) {
			return fmt.Errorf("%w: NAL unit of %d bytes, %d left", ErrMalformed, n, len(data)-pos)
		}
		if err := fn(data[pos : pos+int(n)]); err != nil {
			return err
		}
		pos += int(n)
	}
	return nil
}
