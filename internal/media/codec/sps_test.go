package codec

import (
	"fmt"
	"testing"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/hevc"

	"boxcar/internal/media"
	"boxcar/internal/testutil"
)

func TestSampleAspectRatio(t *testing.T) {
	tests := []struct {
		idc        uint8
		sarW, sarH uint16
		w, h       int
	}{
		{0, 0, 0, 1, 1}, // unspecified
		{1, 0, 0, 1, 1},
		{2, 0, 0, 12, 11},
		{4, 0, 0, 16, 11},
		{13, 0, 0, 160, 99},
		{14, 0, 0, 4, 3},
		{16, 0, 0, 2, 1},
		{17, 0, 0, 0, 0}, // reserved
		{254, 0, 0, 0, 0},
		{extendedSAR, 5, 4, 5, 4},
		{extendedSAR, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		if w, h := sampleAspectRatio(tc.idc, tc.sarW, tc.sarH); w != tc.w || h != tc.h {
			t.Errorf("sampleAspectRatio(%d, %d, %d): got %d:%d, want %d:%d", tc.idc, tc.sarW, tc.sarH, w, h, tc.w, tc.h)
		}
	}
}

// x264 and x265 write aspect_ratio_idc 1 (1:1) unless told otherwise.
func TestParseSPSAspectRatio(t *testing.T) {
	for _, tc := range []struct {
		codec media.Codec
		sps   string
	}{
		{media.CodecH264, spsX264High320x240},
		{media.CodecH265, spsX265Main320x240},
	} {
		s, err := ParseSPS(tc.codec, mustHex(t, tc.sps))
		if err != nil {
			t.Fatal(err)
		}
		if s.SARWidth != 1 || s.SARHeight != 1 {
			t.Errorf("%v: got SAR %d:%d, want 1:1", tc.codec, s.SARWidth, s.SARHeight)
		}
	}
}

// TestParseSPSFFmpeg encodes streams with a sample aspect ratio and checks
// ParseSPS against ffprobe and against mp4ff's SPS parser, which Boxcar
// used for picture size and aspect ratio before.
func TestParseSPSFFmpeg(t *testing.T) {
	tests := []struct {
		codec media.Codec
		size  string
		sar   string
	}{
		{media.CodecH264, "320x240", "1/1"},
		{media.CodecH264, "352x288", "16/11"}, // table entry 4
		{media.CodecH264, "322x242", "5/4"},   // Extended_SAR, cropping
		{media.CodecH265, "320x240", "4/3"},
		{media.CodecH265, "322x242", "7/5"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v %s sar %s", tc.codec, tc.size, tc.sar), func(t *testing.T) {
			t.Parallel()
			if tc.codec == media.CodecH265 {
				testutil.NeedEncoder(t, "libx265")
			}
			args := []string{"-f", "lavfi", "-i", "testsrc2=size=" + tc.size + ":rate=25", "-vf", "setsar=" + tc.sar}
			out, format, enc, isSPS := "v.h264", "h264", "libx264", isH264SPS
			if tc.codec == media.CodecH265 {
				out, format, enc, isSPS = "v.h265", "hevc", "libx265", isH265SPS
				args = append(args, "-x265-params", "log-level=error")
			}
			args = append(args, "-c:v", enc, "-frames:v", "2", "-f", format)
			path := ffmpeg(t, t.TempDir(), out, args...)
			sps := firstNALU(t, readFile(t, path), isSPS)
			s, err := ParseSPS(tc.codec, sps)
			if err != nil {
				t.Fatal(err)
			}
			probe := ffprobeStream(t, path, "v", "width,height,sample_aspect_ratio")
			if got := fmt.Sprintf("%dx%d %d:%d", s.Width, s.Height, s.SARWidth, s.SARHeight); got != probe["width"]+"x"+probe["height"]+" "+probe["sample_aspect_ratio"] {
				t.Errorf("got %s, ffprobe says %v", got, probe)
			}
			w, h, sarW, sarH := mp4ffSPS(t, tc.codec, sps)
			if s.Width != w || s.Height != h || s.SARWidth != sarW || s.SARHeight != sarH {
				t.Errorf("got %dx%d %d:%d, mp4ff says %dx%d %d:%d", s.Width, s.Height, s.SARWidth, s.SARHeight, w, h, sarW, sarH)
			}
		})
	}
}

func mp4ffSPS(t *testing.T, c media.Codec, sps []byte) (w, h, sarW, sarH int) {
	t.Helper()
	if c == media.CodecH264 {
		s, err := avc.ParseSPSNALUnit(sps, false)
		if err != nil {
			t.Fatal(err)
		}
		if s.VUI != nil {
			sarW, sarH = int(s.VUI.SampleAspectRatioWidth), int(s.VUI.SampleAspectRatioHeight)
		}
		return int(s.Width), int(s.Height), sarW, sarH
	}
	s, err := hevc.ParseSPSNALUnit(sps)
	if err != nil {
		t.Fatal(err)
	}
	if s.VUI != nil {
		sarW, sarH = int(s.VUI.SampleAspectRatioWidth), int(s.VUI.SampleAspectRatioHeight)
	}
	iw, ih := s.ImageSize()
	return int(iw), int(ih), sarW, sarH
}
