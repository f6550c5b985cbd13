package codec

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"boxcar/internal/media"
)

// SampleEntry selects the MP4 sample entry a video codec string names.
type SampleEntry uint8

// Sample entries for video codec strings.
const (
	// OutOfBand names avc1/hvc1: parameter sets only in the sample entry.
	// Apple players require hvc1 for HEVC.
	OutOfBand SampleEntry = iota
	// InBand names avc3/hev1: parameter sets may also be in the samples.
	InBand
)

// RFC6381 returns the codecs parameter (RFC 6381, ISO/IEC 14496-15 Annex E)
// for a track, as used in HLS CODECS and DASH @codecs: "avc1.64001F",
// "hvc1.1.6.L93.B0", "mp4a.40.2", "ac-3", "ec-3". Video uses the out-of-band
// sample entry (avc1, hvc1). It returns "" when the configuration needed is
// missing or cannot be parsed.
func RFC6381(info media.TrackInfo) string {
	return RFC6381Entry(info, OutOfBand)
}

// RFC6381Entry is RFC6381 with a choice of video sample entry (avc1/avc3,
// hvc1/hev1). The entry is ignored for audio.
func RFC6381Entry(info media.TrackInfo, entry SampleEntry) string {
	switch info.Codec {
	case media.CodecH264:
		if len(info.SPS) == 0 {
			return ""
		}
		name := "avc1"
		if entry == InBand {
			name = "avc3"
		}
		return avcString(name, info.SPS[0])
	case media.CodecH265:
		if len(info.SPS) == 0 {
			return ""
		}
		name := "hvc1"
		if entry == InBand {
			name = "hev1"
		}
		return hevcString(name, info.SPS[0])
	case media.CodecAAC:
		aot, ok := audioObjectType(info.AudioConfig)
		if !ok {
			return ""
		}
		return fmt.Sprintf("mp4a.40.%d", aot)
	case media.CodecAC3:
		return "ac-3"
	case media.CodecEAC3:
		return "ec-3"
	}
	return ""
}

// avcString formats "avc1.PPCCLL" from the SPS bytes profile_idc,
// constraint_set flags and level_idc (ISO/IEC 14496-15 §E.3).
func avcString(name string, sps []byte) string {
	if len(sps) < 4 || sps[0]&0x1f != byte(h264.NALUTypeSPS) {
		return ""
	}
	// The three bytes after the NAL header can not contain an emulation
	// prevention byte unless profile_idc and constraint flags are both 0,
	// which no profile uses; strip them anyway to be exact.
	rbsp := h264.EmulationPreventionRemove(sps[1:min(len(sps), 8)])
	if len(rbsp) < 3 {
		return ""
	}
	return fmt.Sprintf("%s.%02X%02X%02X", name, rbsp[0], rbsp[1], rbsp[2])
}

// hevcString formats the HEVC codecs parameter from the general
// profile_tier_level of the SPS (ISO/IEC 14496-15 §E.3):
// <entry>.<[A|B|C]profile_idc>.<compatibility flags, bit-reversed hex>.
// <L|H><level_idc>.<constraint bytes in hex, trailing zero bytes dropped>.
// At least one constraint byte is kept, as mp4ff and GPAC write it.
func hevcString(name string, sps []byte) string {
	if len(sps) < 2 || (sps[0]>>1)&0x3f != 33 {
		return ""
	}
	// NAL header (2 bytes), then sps_video_parameter_set_id(4)
	// sps_max_sub_layers_minus1(3) sps_temporal_id_nesting_flag(1), then the
	// 12-byte general profile_tier_level.
	rbsp := h264.EmulationPreventionRemove(sps[2:min(len(sps), 2+24)])
	if len(rbsp) < 13 {
		return ""
	}
	ptl := rbsp[1:13]
	space := ptl[0] >> 6
	tier := (ptl[0] >> 5) & 1
	profile := ptl[0] & 0x1f
	compat := uint32(ptl[1])<<24 | uint32(ptl[2])<<16 | uint32(ptl[3])<<8 | uint32(ptl[4])
	constraints := ptl[5:11]
	level := ptl[11]

	var sb strings.Builder
	sb.WriteString(name)
	sb.WriteByte('.')
	if space > 0 {
		sb.WriteByte("ABC"[space-1])
	}
	fmt.Fprintf(&sb, "%d.%X.", profile, bits.Reverse32(compat))
	if tier == 1 {
		sb.WriteByte('H')
	} else {
		sb.WriteByte('L')
	}
	fmt.Fprintf(&sb, "%d", level)
	n := len(constraints)
	for n > 1 && constraints[n-1] == 0 {
		n--
	}
	for _, c := range constraints[:n] {
		fmt.Fprintf(&sb, ".%X", c)
	}
	return sb.String()
}
