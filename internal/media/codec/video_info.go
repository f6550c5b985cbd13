package codec

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"boxcar/internal/media"
)

// ErrUnsupportedCodec is returned for a codec a function does not handle.
var ErrUnsupportedCodec = errors.New("codec: unsupported codec")

// MaxPictureSize bounds width and height from an SPS: 8K is 7680x4320, and
// level 6.2 allows 8192x4320 for H.264 and 16888 luma samples per side for
// H.265. Larger values come from corrupt or hostile parameter sets.
const MaxPictureSize = 16888

// SPSInfo is what Boxcar reads from a sequence parameter set.
type SPSInfo struct {
	// Width and Height are the cropped picture size.
	Width, Height int
	// FrameRate comes from the VUI timing information, 0 when absent.
	FrameRate float64
	// SARWidth and SARHeight are the sample aspect ratio from the VUI
	// (ITU-T H.264 and H.265 Table E-1, or Extended_SAR), 0 when the SPS
	// does not say or names a reserved one.
	SARWidth, SARHeight int
}

// ParseSPS parses an H.264 or H.265 sequence parameter set (a NAL unit
// including its header, without start code; emulation prevention bytes are
// handled). It fails when the picture size is 0 or above MaxPictureSize.
func ParseSPS(codec media.Codec, sps []byte) (SPSInfo, error) {
	var (
		info SPSInfo
		vui  struct {
			present bool
			idc     uint8
			sarW    uint16
			sarH    uint16
		}
	)
	switch codec {
	case media.CodecH264:
		var s h264.SPS
		if err := s.Unmarshal(sps); err != nil {
			return SPSInfo{}, fmt.Errorf("codec: parse h264 sps: %w", err)
		}
		info = SPSInfo{Width: s.Width(), Height: s.Height(), FrameRate: s.FPS()}
		if v := s.VUI; v != nil {
			vui.present, vui.idc, vui.sarW, vui.sarH = v.AspectRatioInfoPresentFlag, v.AspectRatioIdc, v.SarWidth, v.SarHeight
		}
	case media.CodecH265:
		var s h265.SPS
		if err := s.Unmarshal(sps); err != nil {
			return SPSInfo{}, fmt.Errorf("codec: parse h265 sps: %w", err)
		}
		info = SPSInfo{Width: s.Width(), Height: s.Height(), FrameRate: s.FPS()}
		if v := s.VUI; v != nil {
			vui.present, vui.idc, vui.sarW, vui.sarH = v.AspectRatioInfoPresentFlag, v.AspectRatioIdc, v.SarWidth, v.SarHeight
		}
	default:
		return SPSInfo{}, fmt.Errorf("codec: parse sps for %v: %w", codec, ErrUnsupportedCodec)
	}
	if info.Width <= 0 || info.Height <= 0 || info.Width > MaxPictureSize || info.Height > MaxPictureSize {
		return SPSInfo{}, fmt.Errorf("codec: %v sps: picture size %dx%d out of range", codec, info.Width, info.Height)
	}
	if fr := info.FrameRate; fr < 0 || fr > 1000 || fr != fr {
		// A VUI with absurd timing is treated as absent rather than failing the SPS.
		info.FrameRate = 0
	}
	if vui.present {
		info.SARWidth, info.SARHeight = sampleAspectRatio(vui.idc, vui.sarW, vui.sarH)
	}
	return info, nil
}

// VideoInfo returns the picture size and frame rate of an SPS: ParseSPS
// without the aspect ratio.
func VideoInfo(codec media.Codec, sps []byte) (width, height int, frameRate float64, err error) {
	s, err := ParseSPS(codec, sps)
	return s.Width, s.Height, s.FrameRate, err
}

// extendedSAR is the aspect_ratio_idc of an explicit sar_width:sar_height.
const extendedSAR = 255

// sampleAspectRatio maps aspect_ratio_idc (ITU-T H.264 Table E-1, the same
// in H.265) to a ratio: 0 (unspecified) is taken as 1:1, reserved values
// give 0:0.
func sampleAspectRatio(idc uint8, sarW, sarH uint16) (w, h int) {
	if idc == extendedSAR {
		return int(sarW), int(sarH)
	}
	table := [...][2]int{
		{1, 1}, {1, 1}, {12, 11}, {10, 11}, {16, 11}, {40, 33}, {24, 11}, {20, 11}, {32, 11},
		{80, 33}, {18, 11}, {15, 11}, {64, 33}, {160, 99}, {4, 3}, {3, 2}, {2, 1},
	}
	if int(idc) >= len(table) {
		return 0, 0
	}
	return table[idc][0], table[idc][1]
}
