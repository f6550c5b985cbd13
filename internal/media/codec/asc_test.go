package codec

import "testing"

var aacConfigTests = []struct {
	name    string
	asc     string
	want    AACConfig
	wantErr bool
}{
	{"aac-lc 48k stereo", "1190", AACConfig{ObjectType: 2, CoreSampleRate: 48000, SampleRate: 48000, ChannelConfig: 2, Channels: 2}, false},
	{"aac-lc 44.1k mono", "1208", AACConfig{ObjectType: 2, CoreSampleRate: 44100, SampleRate: 44100, ChannelConfig: 1, Channels: 1}, false},
	{"aac-lc 48k 7.1", "11b8", AACConfig{ObjectType: 2, CoreSampleRate: 48000, SampleRate: 48000, ChannelConfig: 7, Channels: 8}, false},
	{"aac-lc pce", "1180", AACConfig{ObjectType: 2, CoreSampleRate: 48000, SampleRate: 48000}, false},
	{"he-aac explicit", "2b920800", AACConfig{ObjectType: 5, CoreSampleRate: 22050, SampleRate: 44100, ChannelConfig: 2, Channels: 2}, false},
	{"he-aac v2 explicit", "eb098800", AACConfig{ObjectType: 29, CoreSampleRate: 24000, SampleRate: 48000, ChannelConfig: 1, Channels: 2}, false},
	{"explicit sample rate", "17805dc010", AACConfig{ObjectType: 2, CoreSampleRate: 48000, SampleRate: 48000, ChannelConfig: 2, Channels: 2}, false},
	{"aac main", "0990", AACConfig{}, true},
	{"escape object type", "f840", AACConfig{}, true},
	{"empty", "", AACConfig{}, true},
	{"reserved frequency index", "16", AACConfig{}, true},
}

func TestParseAACConfig(t *testing.T) {
	for _, tc := range aacConfigTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAACConfig(mustHex(t, tc.asc))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestAACConfigRoundTrip parses the AudioSpecificConfig an ADTS header
// produces.
func TestAACConfigRoundTrip(t *testing.T) {
	for _, rate := range []int{96000, 48000, 44100, 32000, 22050, 8000, 7350} {
		for ch := 1; ch <= 7; ch++ {
			h := ADTSHeader{ObjectType: 2, SampleRate: rate, ChannelConfig: ch}
			asc, err := h.AudioSpecificConfig()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseAACConfig(asc)
			if err != nil {
				t.Fatalf("%d Hz config %d: %v", rate, ch, err)
			}
			want := AACConfig{ObjectType: 2, CoreSampleRate: rate, SampleRate: rate, ChannelConfig: ch, Channels: h.Channels()}
			if got != want {
				t.Errorf("%d Hz config %d: got %+v, want %+v", rate, ch, got, want)
			}
		}
	}
}

func FuzzParseAACConfig(f *testing.F) {
	for _, tc := range aacConfigTests {
		f.Add(mustHex(f, tc.asc))
	}
	f.Fuzz(func(t *testing.T, asc []byte) {
		c, err := ParseAACConfig(asc)
		if err != nil {
			return
		}
		if c.SampleRate <= 0 || c.CoreSampleRate <= 0 || c.Channels < 0 || c.Channels > 8 {
			t.Fatalf("accepted %x as %+v", asc, c)
		}
		aot, ok := audioObjectType(asc)
		if !ok || aot != c.ObjectType {
			t.Fatalf("%x: audioObjectType %d %v, ParseAACConfig says %d", asc, aot, ok, c.ObjectType)
		}
	})
}
