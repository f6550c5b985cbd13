package fmp4

import (
	"bytes"
	"errors"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/google/go-cmp/cmp"

	"boxcar/internal/media"
)

func TestParseInitTestdata(t *testing.T) {
	type track struct {
		ID         uint32
		Timescale  uint32
		Entry      string
		LengthSize int
		Kind       media.Kind
		Codec      media.Codec
		Canonical  uint32
		W, H       int
		Rate, Ch   int
		NSPS, NPPS int
		NVPS       int
	}
	tests := []struct {
		file string
		want []track
	}{
		{"h264_aac_init.mp4", []track{
			{ID: 1, Timescale: 12800, Entry: "avc1", LengthSize: 4, Kind: media.KindVideo, Codec: media.CodecH264,
				Canonical: 90000, W: 96, H: 64, NSPS: 1, NPPS: 1},
			{ID: 2, Timescale: 48000, Entry: "mp4a", Kind: media.KindAudio, Codec: media.CodecAAC,
				Canonical: 48000, Rate: 48000, Ch: 2},
		}},
		{"hevc_init.mp4", []track{
			{ID: 1, Timescale: 12800, Entry: "hev1", LengthSize: 4, Kind: media.KindVideo, Codec: media.CodecH265,
				Canonical: 90000, W: 96, H: 64, NVPS: 1, NSPS: 1, NPPS: 1},
		}},
		{"ac3.mp4", []track{
			{ID: 1, Timescale: 48000, Entry: "ac-3", Kind: media.KindAudio, Codec: media.CodecAC3,
				Canonical: 48000, Rate: 48000, Ch: 6},
		}},
		{"eac3.mp4", []track{
			{ID: 1, Timescale: 48000, Entry: "ec-3", Kind: media.KindAudio, Codec: media.CodecEAC3,
				Canonical: 48000, Rate: 48000, Ch: 2},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			tracks, err := ParseInit(readTestdata(t, tc.file))
			if err != nil {
				t.Fatalf("ParseInit: %v", err)
			}
			var got []track
			for _, tr := range tracks {
				i := tr.Info
				got = append(got, track{tr.TrackID, tr.Timescale, tr.SampleEntry, tr.LengthSize, i.Kind, i.Codec,
					i.Timescale, i.Width, i.Height, i.SampleRate, i.Channels, len(i.SPS), len(i.PPS), len(i.VPS)})
				if i.Kind == media.KindAudio && len(i.AudioConfig) == 0 {
					t.Errorf("track %d: no AudioConfig", tr.TrackID)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tracks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteInitRoundTrip writes the configuration of every testdata track
// with WriteInit and parses it back.
func TestWriteInitRoundTrip(t *testing.T) {
	for _, file := range []string{"h264_aac_init.mp4", "hevc_init.mp4", "ac3.mp4", "eac3.mp4"} {
		tracks, err := ParseInit(readTestdata(t, file))
		if err != nil {
			t.Fatalf("ParseInit %s: %v", file, err)
		}
		for _, tr := range tracks {
			t.Run(file+"/"+tr.SampleEntry, func(t *testing.T) {
				info := tr.Info
				info.Language = "swe"
				out, err := WriteInit(7, info)
				if err != nil {
					t.Fatalf("WriteInit: %v", err)
				}
				again, err := WriteInit(7, info)
				if err != nil || !bytes.Equal(out, again) {
					t.Errorf("WriteInit is not deterministic")
				}
				back, err := ParseInit(out)
				if err != nil {
					t.Fatalf("ParseInit of WriteInit output: %v", err)
				}
				if len(back) != 1 {
					t.Fatalf("got %d tracks, want 1", len(back))
				}
				if back[0].TrackID != 7 || back[0].Timescale != info.Timescale {
					t.Errorf("track_ID %d timescale %d, want 7 and %d", back[0].TrackID, back[0].Timescale, info.Timescale)
				}
				if diff := cmp.Diff(info, back[0].Info); diff != "" {
					t.Errorf("Info after round trip (-want +got):\n%s", diff)
				}
				checkCMAFHeader(t, out, info)
			})
		}
	}
}

// checkCMAFHeader decodes a WriteInit result with mp4ff and checks the
// boxes CMAF and HLS require.
func checkCMAFHeader(t *testing.T, data []byte, info media.TrackInfo) {
	t.Helper()
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(data))
	if err != nil {
		t.Fatalf("mp4ff decode: %v", err)
	}
	if f.Init == nil || f.Init.Ftyp == nil || f.Init.Moov == nil {
		t.Fatalf("not an init segment")
	}
	brands := f.Init.Ftyp.CompatibleBrands()
	if !contains(brands, "iso6") || !contains(brands, "cmfc") {
		t.Errorf("compatible brands %v lack iso6 or cmfc", brands)
	}
	moov := f.Init.Moov
	if moov.Mvex == nil || moov.Mvex.Trex == nil || moov.Mvex.Trex.TrackID != 7 {
		t.Errorf("no trex for track 7")
	}
	trak := moov.Trak
	if trak.Mdia.Mdhd.GetLanguage() != "swe" {
		t.Errorf("language %q, want swe", trak.Mdia.Mdhd.GetLanguage())
	}
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch info.Codec {
	case media.CodecH264:
		if stsd.AvcX == nil || stsd.AvcX.Type() != "avc1" || trak.Mdia.Minf.Vmhd == nil {
			t.Errorf("no avc1 sample entry or vmhd")
		}
	case media.CodecH265:
		if stsd.HvcX == nil || stsd.HvcX.Type() != "hvc1" {
			t.Fatalf("no hvc1 sample entry")
		}
		for _, a := range stsd.HvcX.HvcC.NaluArrays {
			if a.Complete() != 1 {
				t.Errorf("hvcC array %v not marked complete", a.NaluType())
			}
		}
	case media.CodecAAC, media.CodecAC3, media.CodecEAC3:
		if trak.Mdia.Minf.Smhd == nil {
			t.Errorf("no smhd")
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestParseInitErrors(t *testing.T) {
	good := readTestdata(t, "h264_aac_init.mp4")
	replace := func(old, new string) []byte {
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"garbage", []byte("this is not an mp4 file at all"), ErrMalformed},
		{"no moov", mkBox("ftyp", []byte("iso60000")), ErrMalformed},
		{"truncated moov", good[:600], ErrMalformed},
		{"encrypted video entry", replace("avc1", "encv"), ErrEncrypted},
		{"encrypted audio entry", replace("mp4a", "enca"), ErrEncrypted},
		// The 16-byte pasp box becomes a 16-byte sinf holding an empty free box.
		{"sinf in sample entry", bytes.Replace(good, cat(u32(16), []byte("pasp"), u32(1), u32(1)),
			mkBox("sinf", mkBox("free")), 1), ErrEncrypted},
		{"unsupported audio codec", replace("mp4a", "Opus"), ErrUnsupportedCodec},
		{"unsupported video codec", replace("avc1", "vp09"), ErrUnsupportedCodec},
		{"no avcC", replace("avcC", "xxxx"), ErrMalformed},
		{"avcC NAL length size 2", func() []byte {
			b := bytes.Clone(good)
			b[bytes.Index(b, []byte("avcC"))+8] = 0xfd // lengthSizeMinusOne 1
			return b
		}(), ErrUnsupportedCodec},
		{"no tkhd", replace("tkhd", "xxxx"), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInit(tc.data)
			if !errors.Is(err, tc.want) {
				t.Errorf("ParseInit error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestWriteInitErrors(t *testing.T) {
	video := testTracks()[0].Info
	tests := []struct {
		name    string
		trackID uint32
		info    media.TrackInfo
	}{
		{"track 0", 0, video},
		{"no SPS", 1, func() media.TrackInfo { i := video; i.SPS = nil; return i }()},
		{"bad SPS", 1, func() media.TrackInfo { i := video; i.SPS = [][]byte{{0x67}}; return i }()},
		{"no timescale", 1, func() media.TrackInfo { i := video; i.Timescale = 0; return i }()},
		{"no codec", 1, media.TrackInfo{Timescale: 1000}},
		{"AAC without config", 1, media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAAC, Timescale: 48000}},
		{"AC-3 without config", 1, media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAC3, Timescale: 48000}},
		{"E-AC-3 without config", 1, media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecEAC3, Timescale: 48000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WriteInit(tc.trackID, tc.info); err == nil {
				t.Errorf("WriteInit succeeded, want an error")
			}
		})
	}
}

func TestSegmentHeader(t *testing.T) {
	b := SegmentHeader()
	box, err := mp4.DecodeBoxSR(0, bits.NewFixedSliceReader(b))
	if err != nil {
		t.Fatalf("decode styp: %v", err)
	}
	styp, ok := box.(*mp4.StypBox)
	if !ok || styp.MajorBrand() != "msdh" || !contains(styp.CompatibleBrands(), "cmfs") || int(styp.Size()) != len(b) {
		t.Errorf("styp = %+v", box)
	}
	b[0] = 0xff
	if SegmentHeader()[0] == 0xff {
		t.Errorf("SegmentHeader returns shared bytes")
	}
}

func BenchmarkParseInit(b *testing.B) {
	for _, file := range []string{"h264_aac_init.mp4", "hevc_init.mp4", "eac3.mp4"} {
		data := readTestdata(b, file)
		b.Run(file, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseInit(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
