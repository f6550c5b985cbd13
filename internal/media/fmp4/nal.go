package fmp4

import (
	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// H.265 NAL unit types of hvcC arrays (codec.H265VPS and so on).
const (
	hevcVPS = codec.H265VPS
	hevcSPS = codec.H265SPS
	hevcPPS = codec.H265PPS
)

// videoSize returns the picture size coded in an SPS (codec.ParseSPS).
func videoSize(c media.Codec, sps []byte) (width, height int, ok bool) {
	s, err := codec.ParseSPS(c, sps)
	return s.Width, s.Height, err == nil
}
