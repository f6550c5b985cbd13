package push_test

import (
	"flag"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"boxcar/internal/push"
	"boxcar/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

func TestMultivariantPlaylist(t *testing.T) {
	for _, c := range []struct {
		name string
		m    push.Multivariant
	}{
		{"multivariant_audio_group.m3u8", push.Multivariant{
			Version: 3,
			Audio:   []push.AudioRendition{{GroupID: "audio", Name: "audio", Language: "eng", Channels: 2, URI: "channel_3.m3u8"}},
			Variants: []push.Variant{
				{URI: "channel_1.m3u8", Bandwidth: 1_234_567, AverageBandwidth: 1_000_000, Codecs: []string{"avc1.64001F", "mp4a.40.2"}, Width: 1280, Height: 720, FrameRate: 29.97, AudioGroup: "audio"},
				{URI: "channel_2.m3u8", Bandwidth: 456_789, AverageBandwidth: 400_000, Codecs: []string{"avc1.64001E", "mp4a.40.2"}, Width: 640, Height: 360, FrameRate: 25, AudioGroup: "audio"},
			},
		}},
		{"multivariant_muxed.m3u8", push.Multivariant{
			Version: 3,
			Variants: []push.Variant{
				{URI: "channel_1.m3u8", Bandwidth: 800_000, Codecs: []string{"avc1.64001F", "mp4a.40.2"}, Width: 960, Height: 540, FrameRate: 25},
			},
		}},
	} {
		t.Run(c.name, func(t *testing.T) { golden(t, c.name, c.m.Encode()) })
	}
}

func TestMediaPlaylist(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	segs := func(first, n int, d time.Duration, ext string) []push.PlaylistSegment {
		var out []push.PlaylistSegment
		for i := range n {
			out = append(out, push.PlaylistSegment{
				URI:             "channel_1_" + itoa(first+i) + ext,
				Duration:        d,
				ProgramDateTime: t0.Add(time.Duration(first+i) * d),
			})
		}
		return out
	}
	for _, c := range []struct {
		name string
		p    push.MediaPlaylist
	}{
		{"media_ts.m3u8", push.MediaPlaylist{Version: 3, TargetDuration: 2, MediaSequence: 7, Segments: segs(7, 3, 2*time.Second, ".ts")}},
		{"media_fmp4_ended.m3u8", push.MediaPlaylist{Version: 7, TargetDuration: 6, MediaSequence: 1, Map: "channel_1_init.mp4",
			Segments: segs(1, 2, 5760*time.Millisecond, ".m4s"), Ended: true}},
	} {
		t.Run(c.name, func(t *testing.T) { golden(t, c.name, c.p.Encode()) })
	}
}

func TestTargetDurationFor(t *testing.T) {
	for _, c := range []struct {
		longest time.Duration
		want    int
	}{
		{2 * time.Second, 2}, {2499 * time.Millisecond, 2}, {2500 * time.Millisecond, 3}, {6006 * time.Millisecond, 6}, {100 * time.Millisecond, 1},
	} {
		if got := push.TargetDurationFor(c.longest); got != c.want {
			t.Errorf("TargetDurationFor(%v) = %d, want %d", c.longest, got, c.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
