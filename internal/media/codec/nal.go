package codec

import "boxcar/internal/media"

// NAL unit types of H.264 (ITU-T H.264 Table 7-1): nal_unit_type, the low
// five bits of the one-byte NAL unit header.
const (
	H264Slice       = 1 // coded slice of a non-IDR picture
	H264SliceDPC    = 4 // last slice data partition type (2..4 are partitions)
	H264IDR         = 5 // coded slice of an IDR picture
	H264SEI         = 6
	H264SPS         = 7
	H264PPS         = 8
	H264AUD         = 9
	H264EndOfSeq    = 10
	H264EndOfStream = 11
	H264Filler      = 12
	H264SPSExt      = 13
)

// NAL unit types of H.265 (ITU-T H.265 Table 7-1): nal_unit_type, bits 1..6
// of the two-byte NAL unit header.
const (
	H265IRAPFirst   = 16 // BLA_W_LP; 16..18 are BLA pictures
	H265IDRWRADL    = 19
	H265IDRNLP      = 20
	H265CRA         = 21
	H265IRAPLast    = 23 // RSV_IRAP_VCL23: 22 and 23 are reserved IRAP types
	H265VCLLast     = 31 // 0..31 are VCL types (24..31 reserved non-IRAP)
	H265VPS         = 32
	H265SPS         = 33
	H265PPS         = 34
	H265AUD         = 35
	H265EndOfSeq    = 36
	H265EndOfStream = 37
	H265Filler      = 38
	H265PrefixSEI   = 39
	H265SuffixSEI   = 40
)

// NALKind is what a NAL unit is to Boxcar's demuxers and muxers, the same
// for H.264 and H.265.
type NALKind uint8

// Kinds of NAL units.
const (
	// NALOther is any other NAL unit, and an empty one.
	NALOther NALKind = iota
	// NALSlice is a VCL NAL unit of a picture that is not a random access
	// point.
	NALSlice
	// NALKeyFrame is a slice of a random access picture: IDR (H.264 type
	// 5), IRAP (H.265 types 16..23).
	NALKeyFrame
	NALVPS // H.265 only
	NALSPS
	NALPPS
	NALSPSExt // H.264 sequence parameter set extension
	NALAUD    // access unit delimiter
	NALSEI
	NALFiller
	NALEndOfSeq // end of sequence or end of stream
)

// ParameterSet reports whether k is a VPS, SPS or PPS: the NAL units an
// MP4 sample entry carries out of band.
func (k NALKind) ParameterSet() bool { return k >= NALVPS && k <= NALPPS }

// VCL reports whether k is a slice (video coding layer) NAL unit.
func (k NALKind) VCL() bool { return k == NALSlice || k == NALKeyFrame }

// ClassifyNAL returns the kind of a NAL unit (header included, without
// start code or length prefix) of an H.264 stream, or of an H.265 stream
// for any other codec. Only the first header byte is read; the
// forbidden_zero_bit is not checked.
func ClassifyNAL(c media.Codec, nal []byte) NALKind {
	if len(nal) == 0 {
		return NALOther
	}
	if c == media.CodecH264 {
		return h264Kind(nal[0] & 0x1f)
	}
	return h265Kind(nal[0] >> 1 & 0x3f)
}

func h264Kind(t byte) NALKind {
	switch t {
	case H264Slice, 2, 3, H264SliceDPC:
		return NALSlice
	case H264IDR:
		return NALKeyFrame
	case H264SEI:
		return NALSEI
	case H264SPS:
		return NALSPS
	case H264PPS:
		return NALPPS
	case H264AUD:
		return NALAUD
	case H264EndOfSeq, H264EndOfStream:
		return NALEndOfSeq
	case H264Filler:
		return NALFiller
	case H264SPSExt:
		return NALSPSExt
	}
	return NALOther
}

func h265Kind(t byte) NALKind {
	switch {
	case t >= H265IRAPFirst && t <= H265IRAPLast:
		return NALKeyFrame
	case t <= H265VCLLast:
		return NALSlice
	}
	switch t {
	case H265VPS:
		return NALVPS
	case H265SPS:
		return NALSPS
	case H265PPS:
		return NALPPS
	case H265AUD:
		return NALAUD
	case H265EndOfSeq, H265EndOfStream:
		return NALEndOfSeq
	case H265Filler:
		return NALFiller
	case H265PrefixSEI, H265SuffixSEI:
		return NALSEI
	}
	return NALOther
}
