package codec

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

func TestParseADTSHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ADTSHeader
		asc     string
		wantErr error
	}{
		{"lc 48k stereo", "fff14c80 2fdffc", ADTSHeader{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2, HeaderSize: 7, FrameSize: 382, RawBlocks: 1}, "1190", nil},
		{"lc 44.1k mono crc", "fff05040 2fdffc 0000", ADTSHeader{ObjectType: 2, SampleRate: 44100, ChannelConfig: 1, HeaderSize: 9, FrameSize: 382, RawBlocks: 1}, "1208", nil},
		{"lc 48k 5.1", "fff14d80 2fdffc", ADTSHeader{ObjectType: 2, SampleRate: 48000, ChannelConfig: 6, HeaderSize: 7, FrameSize: 382, RawBlocks: 1}, "11b0", nil},
		{"7.1", "fff14dc0 2fdffc", ADTSHeader{ObjectType: 2, SampleRate: 48000, ChannelConfig: 7, HeaderSize: 7, FrameSize: 382, RawBlocks: 1}, "11b8", nil},
		{"no sync", "fef15080 2fdffc", ADTSHeader{}, "", ErrNoSync},
		{"short", "fff150", ADTSHeader{}, "", nil},
		{"reserved rate", "fff17480 2fdffc", ADTSHeader{}, "", nil},
		{"frame shorter than header", "fff15080 00dffc", ADTSHeader{}, "", nil},
		{"layer not zero", "fff35080 2fdffc", ADTSHeader{}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseADTSHeader(mustHex(t, tc.in))
			if tc.asc == "" {
				if err == nil {
					t.Fatalf("got %+v, want error", h)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("got error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h != tc.want {
				t.Errorf("got %+v, want %+v", h, tc.want)
			}
			asc, err := h.AudioSpecificConfig()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(asc, mustHex(t, tc.asc)) {
				t.Errorf("got asc %x, want %s", asc, tc.asc)
			}
		})
	}
}

// TestADTSFFmpeg walks an ffmpeg ADTS stream frame by frame and compares
// the AudioSpecificConfig with the one ffmpeg writes into MP4.
func TestADTSFFmpeg(t *testing.T) {
	tests := []struct {
		rate, channels int
	}{{48000, 2}, {44100, 1}, {32000, 6}, {22050, 2}}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d Hz %d ch", tc.rate, tc.channels), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in := []string{"-f", "lavfi", "-i", "sine=r=" + fmt.Sprint(tc.rate), "-c:a", "aac", "-ac", fmt.Sprint(tc.channels), "-t", "1"}
			adts := readFile(t, ffmpeg(t, dir, "a.aac", append(in, "-f", "adts")...))
			frames := 0
			var h ADTSHeader
			for off := 0; off < len(adts); off += h.FrameSize {
				var err error
				h, err = ParseADTSHeader(adts[off:])
				if err != nil {
					t.Fatalf("frame %d at %d: %v", frames, off, err)
				}
				if h.SampleRate != tc.rate || h.Channels() != tc.channels {
					t.Fatalf("frame %d: got %d Hz %d ch", frames, h.SampleRate, h.Channels())
				}
				frames++
			}
			wantFrames := (tc.rate + 1023) / 1024 // 1 s of audio, last frame padded
			if frames < wantFrames || frames > wantFrames+2 {
				t.Errorf("got %d frames, want about %d", frames, wantFrames)
			}
			asc, err := h.AudioSpecificConfig()
			if err != nil {
				t.Fatal(err)
			}
			f, err := mp4.ReadMP4File(ffmpeg(t, dir, "a.mp4", append(in, "-f", "mp4")...))
			if err != nil {
				t.Fatal(err)
			}
			want := f.Moov.Trak.Mdia.Minf.Stbl.Stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig
			// ffmpeg appends a sync extension saying "no SBR"; the core config must match.
			if !bytes.HasPrefix(want, asc) {
				t.Errorf("got asc %x, ffmpeg's esds has %x", asc, want)
			}
		})
	}
}

// TestAC3FFmpeg parses ffmpeg AC-3 and E-AC-3 streams and compares the
// dac3/dec3 payloads with the boxes ffmpeg writes into MP4.
func TestAC3FFmpeg(t *testing.T) {
	tests := []struct {
		codec          string
		rate, channels int
		bitrate        string
	}{
		{"ac3", 48000, 2, "192k"},
		{"ac3", 44100, 6, "384k"},
		{"ac3", 32000, 1, "96k"},
		{"eac3", 48000, 2, "96k"},
		{"eac3", 48000, 6, "256k"},
		{"eac3", 44100, 1, "64k"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %d Hz %d ch", tc.codec, tc.rate, tc.channels), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in := []string{"-f", "lavfi", "-i", "sine=r=" + fmt.Sprint(tc.rate), "-c:a", tc.codec, "-ac", fmt.Sprint(tc.channels),
				"-b:a", tc.bitrate, "-t", "0.5"}
			raw := readFile(t, ffmpeg(t, dir, "a."+tc.codec, append(in, "-f", tc.codec)...))
			parse := ParseAC3Header
			if tc.codec == "eac3" {
				parse = ParseEAC3Header
			}
			var h AC3Header
			frames := 0
			for off := 0; off < len(raw); off += h.FrameSize {
				var err error
				h, err = parse(raw[off:])
				if err != nil {
					t.Fatalf("frame %d at %d: %v", frames, off, err)
				}
				if h.SampleRate != tc.rate || h.Channels != tc.channels {
					t.Fatalf("frame %d: got %d Hz %d ch", frames, h.SampleRate, h.Channels)
				}
				if tc.codec == "ac3" && h.Samples != AC3SamplesPerFrame || h.Samples%256 != 0 {
					t.Fatalf("frame %d: %d samples", frames, h.Samples)
				}
				frames++
			}
			if frames == 0 {
				t.Fatal("no frames")
			}
			f, err := mp4.ReadMP4File(ffmpeg(t, dir, "a.mp4", append(in, "-f", "mp4")...))
			if err != nil {
				t.Fatal(err)
			}
			stsd := f.Moov.Trak.Mdia.Minf.Stbl.Stsd
			if tc.codec == "ac3" {
				got, err := AC3Config(raw)
				if err != nil {
					t.Fatal(err)
				}
				want, err := boxPayload(stsd.AC3.Dac3)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("got dac3 %x, ffmpeg wrote %x", got, want)
				}
				return
			}
			got, channels, err := EAC3Config(raw[:h.FrameSize])
			if err != nil {
				t.Fatal(err)
			}
			if channels != tc.channels {
				t.Errorf("got %d channels, want %d", channels, tc.channels)
			}
			want, err := boxPayload(stsd.EC3.Dec3)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got dec3 %x, ffmpeg wrote %x", got, want)
			}
		})
	}
}

func TestEAC3ConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"garbage", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"truncated frame", mustHex(t, "0b77 0100 3f85 0000")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if cfg, _, err := EAC3Config(tc.in); err == nil {
				t.Errorf("got %x, want error", cfg)
			}
		})
	}
}

func TestChanLoc(t *testing.T) {
	tests := []struct {
		chanmap, want uint16
	}{
		{0, 0},
		{1 << 10, 1},     // Lc/Rc
		{1 << 9, 1 << 1}, // Lrs/Rrs
		{1 << 3, 1 << 7}, // Vhc
		{1 << 1, 1 << 8}, // LFE2
		{0xf800, 0},      // L C R Ls Rs: not in chan_loc
	}
	for _, tc := range tests {
		if got := chanLoc(tc.chanmap); got != tc.want {
			t.Errorf("chanLoc(%016b) = %09b, want %09b", tc.chanmap, got, tc.want)
		}
	}
}

func FuzzAudioHeaders(f *testing.F) {
	f.Add(mustHex(f, "fff14c802fdffc"))
	f.Add(mustHex(f, "0b77 0100 3f85 0000"))
	f.Add(mustHex(f, "0b77 1234 1440 0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseADTSHeader(b); err == nil {
			if h.FrameSize <= h.HeaderSize || h.SampleRate == 0 {
				t.Fatalf("accepted %+v", h)
			}
			_, _ = h.AudioSpecificConfig()
		}
		if h, err := ParseAC3Header(b); err == nil {
			if h.FrameSize <= 0 {
				t.Fatalf("accepted %+v", h)
			}
			_, _ = AC3Config(b)
		}
		if h, err := ParseEAC3Header(b); err == nil && h.FrameSize <= 0 {
			t.Fatalf("accepted %+v", h)
		}
		_, _, _ = EAC3Config(b)
	})
}
