package dash

import (
	"testing"

	"boxcar/internal/live/livetest"
)

func TestFrameRateText(t *testing.T) {
	for _, tc := range []struct {
		fps  float64
		want string
	}{
		{25, "25"}, {24.999, "25"}, {29.97, "30000/1001"}, {29.97003, "30000/1001"}, {59.94, "60000/1001"},
		{23.976, "24000/1001"}, {12.5, "25/2"}, {0, ""}, {-1, ""}, {5000, ""},
	} {
		if got := frameRateText(tc.fps); got != tc.want {
			t.Errorf("frameRateText(%v): got %q, want %q", tc.fps, got, tc.want)
		}
	}
}

func TestSARText(t *testing.T) {
	info := livetest.VideoInfo() // no aspect ratio in its VUI
	if got := sarText(&info); got != "1:1" {
		t.Errorf("sar of an SPS without aspect ratio: got %q, want 1:1", got)
	}
	info.SPS = [][]byte{{0x67, 0xff}} // truncated
	if got := sarText(&info); got != "1:1" {
		t.Errorf("sar of a broken SPS: got %q, want 1:1", got)
	}
}
