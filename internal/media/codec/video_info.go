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

// VideoInfo parses an H.264 or H.265 sequence parameter set (a NAL unit
// including its header, without start code; emulation prevention bytes are
// handled) and returns the cropped picture size and the frame rate from the
// VUI timing information, or 0 when the SPS carries none.
func VideoInfo(codec media.Codec, sps []byte) (width, height int, frameRate float64, err error) {
	switch codec {
	case media.CodecH264:
		var s h264.SPS
		if err := s.Unmarshal(sps); err != nil {
			return 0, 0, 0, fmt.Errorf("codec: parse h264 sps: %w", err)
		}
		width, height, frameRate = s.Width(), s.Height(), s.FPS()
	case media.CodecH265:
		var s h265.SPS
		if err := s.Unmarshal(sps); err != nil {
			return 0, 0, 0, fmt.Errorf("codec: parse h265 sps: %w", err)
		}
		width, height, frameRate = s.Width(), s.Height(), s.FPS()
	default:
		return 0, 0, 0, fmt.Errorf("codec: video info for %v: %w", codec, ErrUnsupportedCodec)
	}
	if width <= 0 || height <= 0 || width > MaxPictureSize || height > MaxPictureSize {
		return 0, 0, 0, fmt.Errorf("codec: %v sps: picture size %dx%d out of range", codec, width, height)
	}
	if frameRate < 0 || frameRate > 1000 || frameRate != frameRate {
		// A VUI with absurd timing is treated as absent rather than failing the SPS.
		frameRate = 0
	}
	return width, height, frameRate, nil
}
