package codec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"boxcar/internal/media"
	"boxcar/internal/testutil"
)

func TestVideoInfo(t *testing.T) {
	tests := []struct {
		name       string
		codec      media.Codec
		sps        string
		w, h       int
		frameRate  float64
		wantErr    bool
		errIsCodec bool
	}{
		{"x264 high 320x240", media.CodecH264, spsX264High320x240, 320, 240, 25, false, false},
		{"x264 baseline 640x360", media.CodecH264, spsX264Baseline640x360, 640, 360, 25, false, false},
		{"x265 main 320x240", media.CodecH265, spsX265Main320x240, 320, 240, 25, false, false},
		{"h264 truncated", media.CodecH264, "6764000d", 0, 0, 0, true, false},
		{"h265 truncated", media.CodecH265, "4201010160", 0, 0, 0, true, false},
		{"wrong nal type", media.CodecH264, "68ebe3cb22c0", 0, 0, 0, true, false},
		{"audio codec", media.CodecAAC, "1190", 0, 0, 0, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, h, fr, err := VideoInfo(tc.codec, mustHex(t, tc.sps))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %dx%d@%v, want error", w, h, fr)
				}
				if got := errors.Is(err, ErrUnsupportedCodec); got != tc.errIsCodec {
					t.Errorf("errors.Is(err, ErrUnsupportedCodec) = %v for %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w != tc.w || h != tc.h || fr != tc.frameRate {
				t.Errorf("got %dx%d@%v, want %dx%d@%v", w, h, fr, tc.w, tc.h, tc.frameRate)
			}
		})
	}
}

// TestVideoInfoFFmpeg encodes streams with ffmpeg and compares the SPS-derived
// size and frame rate with what ffprobe reports.
func TestVideoInfoFFmpeg(t *testing.T) {
	tests := []struct {
		codec  media.Codec
		size   string
		rate   string
		extra  []string
		vuiFPS bool // whether the encoder writes VUI timing
	}{
		{media.CodecH264, "320x240", "25", nil, true},
		{media.CodecH264, "322x242", "30000/1001", nil, true}, // cropping
		{media.CodecH264, "1280x720", "50", []string{"-preset", "ultrafast"}, true},
		{media.CodecH264, "176x144", "24", []string{"-x264-params", "force-cfr=1"}, true},
		{media.CodecH264, "720x576", "25", []string{"-flags", "+ildct+ilme", "-top", "1"}, true}, // interlaced, frame_mbs_only 0
		{media.CodecH265, "320x240", "25", nil, true},
		{media.CodecH265, "322x242", "60000/1001", nil, true},
		{media.CodecH265, "1920x1080", "30", []string{"-preset", "ultrafast"}, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v %s@%s %s", tc.codec, tc.size, tc.rate, strings.Join(tc.extra, " ")), func(t *testing.T) {
			t.Parallel()
			if tc.codec == media.CodecH265 {
				testutil.NeedEncoder(t, "libx265")
			}
			dir := t.TempDir()
			args := []string{"-f", "lavfi", "-i", "testsrc2=size=" + tc.size + ":rate=" + tc.rate}
			var out, format, enc string
			isSPS := isH264SPS
			if tc.codec == media.CodecH264 {
				out, format, enc = "v.h264", "h264", "libx264"
			} else {
				out, format, enc = "v.h265", "hevc", "libx265"
				isSPS = isH265SPS
				args = append(args, "-x265-params", "log-level=error")
			}
			args = append(args, "-c:v", enc)
			args = append(args, tc.extra...)
			args = append(args, "-frames:v", "3", "-f", format)
			path := ffmpeg(t, dir, out, args...)
			sps := firstNALU(t, readFile(t, path), isSPS)
			w, h, fr, err := VideoInfo(tc.codec, sps)
			if err != nil {
				t.Fatal(err)
			}
			probe := ffprobeStream(t, path, "v", "width,height")
			if strconv.Itoa(w) != probe["width"] || strconv.Itoa(h) != probe["height"] {
				t.Errorf("got %dx%d, ffprobe says %sx%s", w, h, probe["width"], probe["height"])
			}
			num, den, _ := strings.Cut(tc.rate, "/")
			wantFR, _ := strconv.ParseFloat(num, 64)
			if den != "" {
				d, _ := strconv.ParseFloat(den, 64)
				wantFR /= d
			}
			if math.Abs(fr-wantFR) > 1e-3 {
				t.Errorf("got frame rate %v, want %v", fr, wantFR)
			}
		})
	}
}

func FuzzVideoInfo(f *testing.F) {
	f.Add(uint8(media.CodecH264), mustHex(f, spsX264High320x240))
	f.Add(uint8(media.CodecH264), mustHex(f, spsX264Baseline640x360))
	f.Add(uint8(media.CodecH265), mustHex(f, spsX265Main320x240))
	f.Fuzz(func(t *testing.T, codec uint8, sps []byte) {
		w, h, fr, err := VideoInfo(media.Codec(codec), sps)
		if err != nil {
			return
		}
		if w <= 0 || h <= 0 || w > MaxPictureSize || h > MaxPictureSize || fr < 0 || fr > 1000 {
			t.Fatalf("accepted %dx%d@%v", w, h, fr)
		}
	})
}
