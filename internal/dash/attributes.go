package dash

import (
	"math"
	"strconv"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// frameRateText renders a frame rate as an MPD FrameRateType (ISO/IEC
// 23009-1 §5.3.12.2: an integer or a fraction): "25", "30000/1001", or
// thousandths for anything else. "" when unknown.
func frameRateText(fps float64) string {
	if fps <= 0 || math.IsNaN(fps) || math.IsInf(fps, 0) || fps > 1000 {
		return ""
	}
	if n := math.Round(fps); math.Abs(fps-n) < 0.005 {
		return strconv.Itoa(int(n))
	}
	if n := math.Round(fps * 1.001); math.Abs(fps-n/1.001) < 0.005 {
		return strconv.Itoa(int(n)*1000) + "/1001"
	}
	num, den := int64(math.Round(fps*1000)), int64(1000)
	g := gcd(num, den)
	return strconv.FormatInt(num/g, 10) + "/" + strconv.FormatInt(den/g, 10)
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

// sarText returns the sample aspect ratio of a video configuration's SPS
// VUI as "w:h", "1:1" when the SPS does not say.
func sarText(info *media.TrackInfo) string {
	if len(info.SPS) == 0 {
		return "1:1"
	}
	sps, err := codec.ParseSPS(info.Codec, info.SPS[0])
	if err != nil || sps.SARWidth == 0 || sps.SARHeight == 0 {
		return "1:1"
	}
	g := gcd(int64(sps.SARWidth), int64(sps.SARHeight))
	return strconv.FormatInt(int64(sps.SARWidth)/g, 10) + ":" + strconv.FormatInt(int64(sps.SARHeight)/g, 10)
}

// channelConfigScheme is the AudioChannelConfiguration scheme Boxcar uses
// for every codec: the value is the channel count (ISO/IEC 23009-1
// §5.8.5.4), which dash.js, Shaka and ExoPlayer read.
const channelConfigScheme = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
