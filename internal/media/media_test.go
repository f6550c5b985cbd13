package media

import (
	"reflect"
	"testing"
)

func videoInfo() TrackInfo {
	return TrackInfo{
		Kind: KindVideo, Codec: CodecH265, Timescale: VideoTimescale,
		Width: 1280, Height: 720,
		VPS: [][]byte{{0x40, 0x01}}, SPS: [][]byte{{0x42, 0x01}}, PPS: [][]byte{{0x44, 0x01}, {0x44, 0x02}},
		Language: "und",
	}
}

func TestTrackInfoEqual(t *testing.T) {
	audio := TrackInfo{Kind: KindAudio, Codec: CodecAAC, Timescale: 48000, SampleRate: 48000, Channels: 2,
		AudioConfig: []byte{0x11, 0x90}, Language: "eng"}
	tests := []struct {
		name   string
		base   TrackInfo
		change func(*TrackInfo)
		want   bool
	}{
		{"same video", videoInfo(), func(*TrackInfo) {}, true},
		{"same audio", audio, func(*TrackInfo) {}, true},
		{"copied parameter sets", videoInfo(), func(i *TrackInfo) { i.SPS = [][]byte{{0x42, 0x01}} }, true},
		{"nil and empty lists", audio, func(i *TrackInfo) { i.VPS, i.AudioConfig = [][]byte{}, []byte{0x11, 0x90} }, true},
		{"kind", videoInfo(), func(i *TrackInfo) { i.Kind = KindText }, false},
		{"codec", videoInfo(), func(i *TrackInfo) { i.Codec = CodecH264 }, false},
		{"timescale", videoInfo(), func(i *TrackInfo) { i.Timescale = 1000 }, false},
		{"width", videoInfo(), func(i *TrackInfo) { i.Width = 1920 }, false},
		{"height", videoInfo(), func(i *TrackInfo) { i.Height = 1080 }, false},
		{"vps", videoInfo(), func(i *TrackInfo) { i.VPS = [][]byte{{0x40, 0x02}} }, false},
		{"sps", videoInfo(), func(i *TrackInfo) { i.SPS = nil }, false},
		{"pps order", videoInfo(), func(i *TrackInfo) { i.PPS = [][]byte{{0x44, 0x02}, {0x44, 0x01}} }, false},
		{"pps count", videoInfo(), func(i *TrackInfo) { i.PPS = i.PPS[:1] }, false},
		{"sample rate", audio, func(i *TrackInfo) { i.SampleRate = 44100 }, false},
		{"channels", audio, func(i *TrackInfo) { i.Channels = 6 }, false},
		{"audio config", audio, func(i *TrackInfo) { i.AudioConfig = []byte{0x11, 0x88} }, false},
		{"language", audio, func(i *TrackInfo) { i.Language = "fra" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.base, tc.base
			tc.change(&b)
			if got := a.Equal(&b); got != tc.want {
				t.Errorf("a.Equal(b): got %v, want %v", got, tc.want)
			}
			if got := b.Equal(&a); got != tc.want {
				t.Errorf("b.Equal(a): got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrackInfoEqualNil(t *testing.T) {
	var a, b *TrackInfo
	v := videoInfo()
	if !a.Equal(b) {
		t.Error("nil.Equal(nil): got false, want true")
	}
	if a.Equal(&v) || v.Equal(a) {
		t.Error("nil and non-nil: got equal, want not equal")
	}
}

// TestTrackInfoEqualCoversFields fails when a field is added to TrackInfo:
// decide whether it changes the init segment, update Equal and the table
// above, then the count here.
func TestTrackInfoEqualCoversFields(t *testing.T) {
	if got, want := reflect.TypeFor[TrackInfo]().NumField(), 12; got != want {
		t.Errorf("TrackInfo has %d fields, Equal was written for %d", got, want)
	}
}

func TestEqualParameterSets(t *testing.T) {
	tests := []struct {
		name string
		a, b [][]byte
		want bool
	}{
		{"both nil", nil, nil, true},
		{"nil and empty", nil, [][]byte{}, true},
		{"same", [][]byte{{1, 2}, {3}}, [][]byte{{1, 2}, {3}}, true},
		{"different bytes", [][]byte{{1, 2}}, [][]byte{{1, 3}}, false},
		{"different length", [][]byte{{1, 2}}, [][]byte{{1, 2}, {1, 2}}, false},
		{"prefix", [][]byte{{1, 2}}, [][]byte{{1}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EqualParameterSets(tc.a, tc.b); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
