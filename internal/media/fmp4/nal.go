package fmp4

import (
	"bytes"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/hevc"

	"boxcar/internal/media"
)

// NAL unit types (ITU-T H.264 Table 7-1, H.265 Table 7-1).
const (
	avcIDR = 5
	avcSPS = 7
	avcPPS = 8
	avcAUD = 9

	hevcIRAPFirst = 16 // BLA_W_LP
	hevcIRAPLast  = 21 // CRA_NUT
	hevcVPS       = 32
	hevcSPS       = 33
	hevcPPS       = 34
	hevcAUD       = 35
)

// nalKind classifies a NAL unit for the canonical sample format.
type nalKind uint8

const (
	nalOther nalKind = iota
	nalIRAP          // IDR (H.264) or IRAP (H.265) slice
	nalAUD           // access unit delimiter: dropped
	nalVPS           // parameter sets: dropped from samples, kept in TrackInfo
	nalSPS
	nalPPS
)

func classifyNAL(codec media.Codec, nal []byte) nalKind {
	if len(nal) == 0 {
		return nalOther
	}
	if codec == media.CodecH264 {
		switch nal[0] & 0x1f {
		case avcIDR:
			return nalIRAP
		case avcSPS:
			return nalSPS
		case avcPPS:
			return nalPPS
		case avcAUD:
			return nalAUD
		}
		return nalOther
	}
	switch t := nal[0] >> 1 & 0x3f; {
	case t >= hevcIRAPFirst && t <= hevcIRAPLast:
		return nalIRAP
	case t == hevcVPS:
		return nalVPS
	case t == hevcSPS:
		return nalSPS
	case t == hevcPPS:
		return nalPPS
	case t == hevcAUD:
		return nalAUD
	}
	return nalOther
}

// videoSize returns the display size coded in an SPS.
func videoSize(codec media.Codec, sps []byte) (width, height int, ok bool) {
	switch codec {
	case media.CodecH264:
		s, err := avc.ParseSPSNALUnit(sps, false)
		if err != nil || s.Width == 0 || s.Height == 0 {
			return 0, 0, false
		}
		return int(s.Width), int(s.Height), true
	case media.CodecH265:
		s, err := hevc.ParseSPSNALUnit(sps)
		if err != nil {
			return 0, 0, false
		}
		w, h := s.ImageSize()
		if w == 0 || h == 0 || w > 1<<16 || h > 1<<16 {
			return 0, 0, false
		}
		return int(w), int(h), true
	}
	return 0, 0, false
}

// equalSets reports whether two parameter set lists hold the same bytes.
func equalSets(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
