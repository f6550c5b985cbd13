package playlist

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParseMedia(t *testing.T, data []byte) *Media {
	t.Helper()
	pl, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	m, ok := pl.(*Media)
	if !ok {
		t.Fatalf("got %T, want *Media", pl)
	}
	return m
}

func date(s string) time.Time {
	t, err := parseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

const scte35Base64 = "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg=="

func TestParseMediaLiveCueTags(t *testing.T) {
	m := mustParseMedia(t, mustRead(t, "medialive_cue.m3u8"))
	seg := func(seq uint64, pdt string) Segment {
		return Segment{URI: "channel_1_" + strconv.FormatUint(seq, 10) + ".ts", Duration: 6, Sequence: seq, ProgramDateTime: date(pdt)}
	}
	want := &Media{Version: 3, TargetDuration: 6, MediaSequence: 4021, Segments: []Segment{
		seg(4021, "2026-11-24T20:00:00Z"),
		seg(4022, "2026-11-24T20:00:06Z"),
		seg(4023, "2026-11-24T20:00:12Z"),
		seg(4024, "2026-11-24T20:00:18Z"),
		seg(4025, "2026-11-24T20:00:24Z"),
	}}
	want.Segments[1].Tags = []string{"#EXT-OATCLS-SCTE35:" + scte35Base64, "#EXT-X-ASSET:CAID=0x000000002CA0A18A"}
	want.Segments[1].CueOut = &CueOut{Duration: 201.467, Raw: "201.467"}
	want.Segments[2].CueOutCont = "ElapsedTime=6.000,Duration=201.467,SCTE35=" + scte35Base64
	want.Segments[3].CueOutCont = "12.000/201.467"
	want.Segments[4].CueIn = true
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseDateRanges(t *testing.T) {
	m := mustParseMedia(t, mustRead(t, "medialive_daterange.m3u8"))
	const hex = "0xFC3034000000000000FFFFF00506FE72BD0050001E021C435545494800008E7FCF0001A599B00808000000002CA0A18A3402009AC9D17E"
	if m.MediaSequence != 100 || m.DiscontinuitySequence != 3 || !m.IndependentSegments || m.Version != 6 || len(m.Segments) != 3 {
		t.Fatalf("header: %+v", m)
	}
	out := DateRange{
		ID: "splice-6FFFFFF0", StartDate: date("2026-11-24T20:00:04.004Z"), Duration: -1, PlannedDuration: 59.993, SCTE35Out: hex,
		Attrs: []Attr{
			{"ID", "splice-6FFFFFF0", true}, {"START-DATE", "2026-11-24T20:00:04.004Z", true}, {"PLANNED-DURATION", "59.993", false},
			{"SCTE35-OUT", hex, false}, {"X-COM-EXAMPLE-AD-ID", "XYZ123", true},
		},
	}
	in := DateRange{ID: "splice-6FFFFFF0", StartDate: date("2026-11-24T20:00:04.004Z"), EndDate: date("2026-11-24T20:01:03.997Z"),
		Duration: 59.993, PlannedDuration: -1, SCTE35In: hex}
	ignoreAttrs := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Attrs" }, cmp.Ignore())
	if diff := cmp.Diff([]DateRange{out}, m.Segments[1].DateRanges); diff != "" {
		t.Errorf("out (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]DateRange{in}, m.Segments[2].DateRanges, ignoreAttrs); diff != "" {
		t.Errorf("in (-want +got):\n%s", diff)
	}
	if !m.Segments[0].ProgramDateTime.Equal(date("2026-11-24T20:00:00Z")) || !m.Segments[1].ProgramDateTime.IsZero() {
		t.Errorf("program date-times %v %v", m.Segments[0].ProgramDateTime, m.Segments[1].ProgramDateTime)
	}
	s := m.Segments[2]
	if !s.Discontinuity || s.DiscontinuitySequence != 4 || m.Segments[1].DiscontinuitySequence != 3 || s.Sequence != 102 {
		t.Errorf("segment 102: %+v", s)
	}
	// The trailing DATERANGE has no segment yet: it is kept raw.
	want := []string{`#EXT-X-DATERANGE:ID="cmd-1",START-DATE="2026-11-24T20:01:05.000Z",SCTE35-CMD=0xFC301100000000000000FFF0000000007A4FBFFF`}
	if diff := cmp.Diff(want, m.TrailingTags); diff != "" {
		t.Errorf("trailing tags (-want +got):\n%s", diff)
	}
}

func TestParseFMP4KeysByteRanges(t *testing.T) {
	m := mustParseMedia(t, mustRead(t, "fmp4_keys.m3u8"))
	key := &Key{Method: "SAMPLE-AES", URI: "skd://key42", IV: "0x0123456789ABCDEF0123456789ABCDEF",
		KeyFormat: "com.apple.streamingkeydelivery", KeyFormatVersions: "1"}
	init := &Map{URI: "init.mp4", ByteRange: &ByteRange{Length: 720, Offset: 0}}
	want := &Media{Version: 7, TargetDuration: 2, PlaylistType: "VOD", EndList: true, Encrypted: true, Segments: []Segment{
		{URI: "main.mp4", Duration: 2, Title: "first", ByteRange: &ByteRange{1000, 720}, Map: init, Key: key, Bitrate: 1500},
		{URI: "main.mp4", Duration: 2, Sequence: 1, ByteRange: &ByteRange{1200, 1720}, Map: init, Key: key, Bitrate: 1500},
		{URI: "gap.mp4", Duration: 2, Sequence: 2, Gap: true, Map: init, Bitrate: 1500},
		{URI: "other.mp4", Duration: 1.5, Sequence: 3, Discontinuity: true, DiscontinuitySequence: 1, Map: &Map{URI: "init2.mp4"}, Bitrate: 1500},
	}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseMultivariant(t *testing.T) {
	pl, err := Parse(mustRead(t, "multivariant.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	mv, ok := pl.(*Multivariant)
	if !ok {
		t.Fatalf("got %T", pl)
	}
	want := &Multivariant{
		Version: 6, IndependentSegments: true,
		Variants: []Variant{
			{URI: "video_1080.m3u8", Bandwidth: 5128000, AverageBandwidth: 4500000, Codecs: []string{"avc1.640028", "mp4a.40.2"},
				Width: 1920, Height: 1080, FrameRate: 29.97, Audio: "aac", Subtitles: "subs", ClosedCaptions: "cc", VideoRange: "SDR", HDCPLevel: "TYPE-0"},
			{URI: "https://cdn.example.com/video_360.m3u8?token=a,b", Bandwidth: 1500000, Codecs: []string{"avc1.4d401f", "mp4a.40.2"},
				Width: 640, Height: 360, Audio: "aac", ClosedCaptions: "NONE", Score: 1.5},
		},
		IFrameVariants: []Variant{{URI: "iframe_1080.m3u8", Bandwidth: 300000, Codecs: []string{"avc1.640028"}, Width: 1920, Height: 1080}},
		Renditions: []Rendition{
			{Type: "AUDIO", GroupID: "aac", Name: "English", Language: "en", Default: true, Autoselect: true, Channels: "2", URI: "audio_en.m3u8"},
			{Type: "AUDIO", GroupID: "aac", Name: "Deutsch", Language: "de", AssocLanguage: "en", Autoselect: true, Channels: "6", SampleRate: 48000, BitDepth: 16, URI: "audio_de.m3u8"},
			{Type: "SUBTITLES", GroupID: "subs", Name: "English", Language: "en", Autoselect: true, URI: "subs_en.m3u8",
				Characteristics: "public.accessibility.transcribes-spoken-dialog"},
			{Type: "CLOSED-CAPTIONS", GroupID: "cc", Name: "CC1", InstreamID: "CC1", Default: true, Autoselect: true},
		},
		SessionKeys: []Key{{Method: "SAMPLE-AES", URI: "skd://k", KeyFormat: "com.apple.streamingkeydelivery"}},
		SessionData: []string{`#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="Boxcar"`},
		Unknown:     []string{`#EXT-X-CONTENT-STEERING:SERVER-URI="/steering",PATHWAY-ID="CDN-A"`},
	}
	ignoreAttrs := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Attrs" }, cmp.Ignore())
	if diff := cmp.Diff(want, mv, ignoreAttrs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestParseCases covers single features on small playlists.
func TestParseCases(t *testing.T) {
	const head = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n"
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, m *Media)
	}{
		{"CRLF and BOM", "\xef\xbb\xbf#EXTM3U\r\n#EXT-X-TARGETDURATION:6\r\n#EXTINF:5.5,\r\na.ts\r\n", func(t *testing.T, m *Media) {
			if len(m.Segments) != 1 || m.Segments[0].URI != "a.ts" || m.Segments[0].Duration != 5.5 {
				t.Errorf("%+v", m.Segments)
			}
		}},
		{"ffmpeg date-time between EXTINF and URI", head + "#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T22:00:07.088+0000\na0.ts\n", func(t *testing.T, m *Media) {
			if got := m.Segments[0].ProgramDateTime; !got.Equal(time.Date(2026, 11, 24, 22, 0, 7, 88e6, time.UTC)) {
				t.Errorf("got %v", got)
			}
		}},
		{"date-time forms", head + "#EXT-X-PROGRAM-DATE-TIME:2026-11-24T22:00:07+01:00\n#EXTINF:1,\na\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T22:00:07.5+01\n#EXTINF:1,\nb\n", func(t *testing.T, m *Media) {
			if !m.Segments[0].ProgramDateTime.Equal(time.Date(2026, 11, 24, 21, 0, 7, 0, time.UTC)) ||
				!m.Segments[1].ProgramDateTime.Equal(time.Date(2026, 11, 24, 21, 0, 7, 5e8, time.UTC)) {
				t.Errorf("got %v %v", m.Segments[0].ProgramDateTime, m.Segments[1].ProgramDateTime)
			}
		}},
		{"EXTINF without comma, integer, title", head + "#EXTINF:6\na\n#EXTINF:4,Title, with comma\nb\n", func(t *testing.T, m *Media) {
			if m.Segments[0].Duration != 6 || m.Segments[1].Title != "Title, with comma" {
				t.Errorf("%+v", m.Segments)
			}
		}},
		{"float target duration rounds up", "#EXTM3U\n#EXT-X-TARGETDURATION:5.2\n", func(t *testing.T, m *Media) {
			if m.TargetDuration != 6 || len(m.Segments) != 0 {
				t.Errorf("%+v", m)
			}
		}},
		{"unknown tags and LL-HLS tags kept raw", head + "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n#EXT-X-FOO:1\n#EXTINF:4,\n#EXT-X-PART:DURATION=1,URI=\"p.0.mp4\"\na.mp4\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"p.1.mp4\"\n#EXT-X-RENDITION-REPORT:URI=\"x.m3u8\",LAST-MSN=3\n", func(t *testing.T, m *Media) {
			want := []string{"#EXT-X-FOO:1", `#EXT-X-PART:DURATION=1,URI="p.0.mp4"`}
			if diff := cmp.Diff(want, m.Segments[0].Tags); diff != "" {
				t.Errorf("segment tags (-want +got):\n%s", diff)
			}
			if len(m.TrailingTags) != 2 || len(m.Unknown) != 1 {
				t.Errorf("trailing %q unknown %q", m.TrailingTags, m.Unknown)
			}
		}},
		{"unknown tag before the playlist kind is known", "#EXTM3U\n#EXT-X-FOO\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na\n", func(t *testing.T, m *Media) {
			if len(m.Segments[0].Tags) != 1 {
				t.Errorf("tags %q", m.Segments[0].Tags)
			}
		}},
		{"cue-out forms", head + "#EXT-X-CUE-OUT:DURATION=30\n#EXTINF:6,\na\n#EXT-X-CUE-OUT\n#EXTINF:6,\nb\n#EXT-X-CUE-OUT:junk\n#EXTINF:6,\nc\n", func(t *testing.T, m *Media) {
			got := []float64{m.Segments[0].CueOut.Duration, m.Segments[1].CueOut.Duration, m.Segments[2].CueOut.Duration}
			if !cmp.Equal(got, []float64{30, 0, 0}) || m.Segments[2].CueOut.Raw != "junk" {
				t.Errorf("got %v", got)
			}
		}},
		{"variables", head + "#EXT-X-DEFINE:NAME=\"base\",VALUE=\"https://cdn.example\"\n#EXT-X-MAP:URI=\"{$base}/init.mp4\"\n#EXTINF:6,\n{$base}/a.mp4?{$missing}\n", func(t *testing.T, m *Media) {
			s := m.Segments[0]
			if s.URI != "https://cdn.example/a.mp4?{$missing}" || s.Map.URI != "https://cdn.example/init.mp4" {
				t.Errorf("%+v %+v", s, s.Map)
			}
		}},
		{"empty live playlist", head + "#EXT-X-MEDIA-SEQUENCE:7\n", func(t *testing.T, m *Media) {
			if m.MediaSequence != 7 || len(m.Segments) != 0 {
				t.Errorf("%+v", m)
			}
		}},
		{"comments and blank lines", head + "# comment\n\n#EXTINF:1,\n\n# another\na\n", func(t *testing.T, m *Media) {
			if len(m.Segments) != 1 || m.Segments[0].URI != "a" {
				t.Errorf("%+v", m.Segments)
			}
		}},
		{"media sequence near 2^64", "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:18446744073709551614\n#EXTINF:1,\na\n", func(t *testing.T, m *Media) {
			if m.Segments[0].Sequence != 18446744073709551614 {
				t.Errorf("%d", m.Segments[0].Sequence)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParseMedia(t, []byte(tc.in)))
		})
	}
}
