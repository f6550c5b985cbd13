package hls

import (
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gohls "github.com/bluenviron/gohlslib/v2/pkg/playlist"
	"github.com/google/go-cmp/cmp"

	"boxcar/internal/hls/playlist"
)

// goldenRoots are the directories whose .m3u8 files are HLS output of
// Boxcar pinned by golden tests: this package's packager output, and the
// playlists `boxcar push` writes to an origin (internal/push). The
// playlists under internal/hls/playlist/testdata are encoder input
// (MediaLive ad markers, keys), not our output, and are not judged here.
var goldenRoots = []string{"testdata", filepath.Join("..", "push", "testdata")}

// goldenMasks undo the masking some golden tests apply to values that vary
// from run to run (internal/push/auth_test.go), so the parsers see a
// playlist as it was served.
var goldenMasks = strings.NewReplacer(
	"#EXT-X-PROGRAM-DATE-TIME:<time>", "#EXT-X-PROGRAM-DATE-TIME:2026-11-24T12:00:00.000Z",
	"=<bit/s>", "=1000000",
)

// TestGoldenPlaylistsJudged has a maintained third-party parser,
// gohlslib's pkg/playlist (the library mediamtx plays HLS with), judge every
// golden playlist, and cross-checks what it read against our own parser
// (internal/hls/playlist): the golden files are only as good as the code
// that wrote them, and our parser shares our reading of RFC 8216.
//
// What gohlslib v2.4.3 does not model, and so cannot judge here (it
// ignores these tags rather than rejecting them):
//   - EXT-X-I-FRAME-STREAM-INF (RFC 8216 §4.3.4.3): I-frame variants of a
//     multivariant playlist are checked by our parser only;
//   - EXT-X-I-FRAMES-ONLY (§4.3.3.6): I-frame media playlists are judged
//     as ordinary media playlists;
//   - EXT-X-MAP per segment (§4.3.2.5 lets it change mid-playlist, as on a
//     new init after a discontinuity): gohlslib keeps only the last one,
//     which is all that is compared.
//
// gohlslib also reads EXT-X-MEDIA-SEQUENCE and EXT-X-DISCONTINUITY-SEQUENCE
// as 31-bit integers where RFC 8216 §4.2 allows 0 to 2^64-1, and rejects
// an EXTINF of 0 ("duration is missing") that §4.3.2.1 allows; neither
// occurs in our goldens, so no golden is exempt.
func TestGoldenPlaylistsJudged(t *testing.T) {
	var files []string
	for _, root := range goldenRoots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "fuzz" {
				return filepath.SkipDir // fuzz corpora are input, not output
			}
			if !d.IsDir() && strings.HasSuffix(p, ".m3u8") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", root, err)
		}
	}
	// A walk that finds nothing judges nothing: guard against a moved
	// testdata directory.
	if len(files) < 40 {
		t.Fatalf("found %d golden playlists under %v, want at least 40", len(files), goldenRoots)
	}
	var media, multi int
	for _, p := range files {
		t.Run(strings.TrimPrefix(filepath.ToSlash(p), "../"), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b = []byte(goldenMasks.Replace(string(b)))
			ours, err := playlist.Parse(b)
			if err != nil {
				t.Fatalf("our parser rejects it: %v", err)
			}
			theirs, err := gohls.Unmarshal(b)
			if err != nil {
				t.Fatalf("gohlslib rejects it: %v", err)
			}
			switch o := ours.(type) {
			case *playlist.Media:
				g, ok := theirs.(*gohls.Media)
				if !ok {
					t.Fatalf("our parser reads a media playlist, gohlslib a %T", theirs)
				}
				media++
				judgeMedia(t, o, g)
			case *playlist.Multivariant:
				g, ok := theirs.(*gohls.Multivariant)
				if !ok {
					t.Fatalf("our parser reads a multivariant playlist, gohlslib a %T", theirs)
				}
				multi++
				judgeMultivariant(t, o, g)
			default:
				t.Fatalf("our parser returned %T", ours)
			}
		})
	}
	if media == 0 || multi == 0 {
		t.Errorf("judged %d media and %d multivariant playlists, want some of each", media, multi)
	}
}

// judgedSegment is what both parsers say about one media segment.
type judgedSegment struct {
	URI                string
	Micros             int64 // EXTINF in microseconds
	Disc, Gap          bool
	PDT                time.Time
	HasPDT             bool
	RangeLen, RangeOff int64 // -1 when absent
}

// judgedMedia is what both parsers say about a media playlist.
type judgedMedia struct {
	Version, Target    int
	Seq, DiscSeq       uint64
	Type               string
	Ended, Independent bool
	LastMap            string
	Segments           []judgedSegment
}

func judgeMedia(t *testing.T, o *playlist.Media, g *gohls.Media) {
	t.Helper()
	want := judgedMedia{
		Version: o.Version, Target: o.TargetDuration,
		Seq: o.MediaSequence, DiscSeq: o.DiscontinuitySequence,
		Type:  o.PlaylistType,
		Ended: o.EndList, Independent: o.IndependentSegments,
	}
	for i, s := range o.Segments {
		js := judgedSegment{URI: s.URI, Micros: micros(s.Duration), Disc: s.Discontinuity, Gap: s.Gap,
			PDT: s.ProgramDateTime.UTC(), HasPDT: !s.ProgramDateTime.IsZero(), RangeLen: -1, RangeOff: -1}
		if s.ByteRange != nil {
			js.RangeLen, js.RangeOff = s.ByteRange.Length, s.ByteRange.Offset
		}
		if s.Map != nil {
			want.LastMap = s.Map.URI
		}
		want.Segments = append(want.Segments, js)
		// Each segment's sequence numbers follow from the playlist's
		// (RFC 8216 §4.3.3.2-3): a check of our parser's bookkeeping.
		if s.Sequence != o.MediaSequence+uint64(i) {
			t.Errorf("our parser: segment %d has media sequence %d, want %d", i, s.Sequence, o.MediaSequence+uint64(i))
		}
	}

	got := judgedMedia{
		Version: g.Version, Target: g.TargetDuration,
		Seq:   uint64(g.MediaSequence),
		Ended: g.Endlist, Independent: g.IndependentSegments,
	}
	if g.DiscontinuitySequence != nil {
		got.DiscSeq = uint64(*g.DiscontinuitySequence)
	}
	if g.PlaylistType != nil {
		got.Type = string(*g.PlaylistType)
	}
	if g.Map != nil {
		got.LastMap = g.Map.URI
	}
	for i, s := range g.Segments {
		js := judgedSegment{URI: s.URI, Micros: s.Duration.Microseconds(), Disc: s.Discontinuity, Gap: s.Gap,
			RangeLen: -1, RangeOff: -1}
		if s.DateTime != nil {
			js.PDT, js.HasPDT = s.DateTime.UTC(), true
		}
		if s.ByteRangeLength != nil {
			js.RangeLen = int64(*s.ByteRangeLength)
			if s.ByteRangeStart != nil {
				js.RangeOff = int64(*s.ByteRangeStart)
			} else {
				// gohlslib leaves an omitted offset unresolved; ours
				// resolves it (§4.3.2.2): compare the lengths only.
				if i < len(want.Segments) {
					js.RangeOff = want.Segments[i].RangeOff
				}
			}
		}
		got.Segments = append(got.Segments, js)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("our parser and gohlslib disagree (-ours +gohlslib):\n%s", diff)
	}
	// RFC 8216 §4.3.3.1: every EXTINF rounded to the nearest integer is
	// at most the target duration. Judged on gohlslib's reading.
	for i, s := range g.Segments {
		if math.Round(s.Duration.Seconds()) > float64(g.TargetDuration) {
			t.Errorf("segment %d (%s): EXTINF %v exceeds EXT-X-TARGETDURATION:%d", i, s.URI, s.Duration, g.TargetDuration)
		}
	}
}

// micros is an EXTINF in microseconds, as gohlslib's time.Duration gives it.
func micros(seconds float64) int64 {
	return time.Duration(seconds * float64(time.Second)).Microseconds()
}

// judgedVariant is what both parsers say about one EXT-X-STREAM-INF.
type judgedVariant struct {
	URI                         string
	Bandwidth, AverageBandwidth int64
	Codecs                      []string
	Resolution                  string
	FrameRate                   float64
	Audio, Video, Subtitles, CC string
}

// judgedRendition is what both parsers say about one EXT-X-MEDIA.
type judgedRendition struct {
	Type, GroupID, Name, Language, URI, Channels string
	Default, Autoselect, Forced                  bool
}

type judgedMultivariant struct {
	Version     int
	Independent bool
	Variants    []judgedVariant
	Renditions  []judgedRendition
}

func judgeMultivariant(t *testing.T, o *playlist.Multivariant, g *gohls.Multivariant) {
	t.Helper()
	want := judgedMultivariant{Version: o.Version, Independent: o.IndependentSegments}
	for _, v := range o.Variants {
		jv := judgedVariant{URI: v.URI, Bandwidth: v.Bandwidth, AverageBandwidth: v.AverageBandwidth,
			Codecs: v.Codecs, FrameRate: v.FrameRate,
			Audio: v.Audio, Video: v.Video, Subtitles: v.Subtitles, CC: v.ClosedCaptions}
		if v.Width != 0 || v.Height != 0 {
			jv.Resolution = strconv.Itoa(v.Width) + "x" + strconv.Itoa(v.Height)
		}
		want.Variants = append(want.Variants, jv)
	}
	for _, r := range o.Renditions {
		want.Renditions = append(want.Renditions, judgedRendition{Type: r.Type, GroupID: r.GroupID, Name: r.Name,
			Language: r.Language, URI: r.URI, Channels: r.Channels,
			Default: r.Default, Autoselect: r.Autoselect, Forced: r.Forced})
	}

	got := judgedMultivariant{Version: g.Version, Independent: g.IndependentSegments}
	for _, v := range g.Variants {
		jv := judgedVariant{URI: v.URI, Bandwidth: int64(v.Bandwidth), Codecs: v.Codecs, Resolution: v.Resolution,
			Audio: v.Audio, Video: v.Video, Subtitles: v.Subtitles, CC: v.ClosedCaptions}
		if v.AverageBandwidth != nil {
			jv.AverageBandwidth = int64(*v.AverageBandwidth)
		}
		if v.FrameRate != nil {
			jv.FrameRate = *v.FrameRate
		}
		got.Variants = append(got.Variants, jv)
	}
	for _, r := range g.Renditions {
		jr := judgedRendition{Type: string(r.Type), GroupID: r.GroupID, Name: r.Name, Language: r.Language,
			Default: r.Default, Autoselect: r.Autoselect, Forced: r.Forced}
		if r.URI != nil {
			jr.URI = *r.URI
		}
		if r.Channels != nil {
			jr.Channels = *r.Channels
		}
		got.Renditions = append(got.Renditions, jr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("our parser and gohlslib disagree (-ours +gohlslib):\n%s", diff)
	}
	// Every variant declares what a player needs to pick it (RFC 8216
	// §4.3.4.2: BANDWIDTH required, CODECS should be present).
	for i, v := range got.Variants {
		if v.Bandwidth <= 0 || len(v.Codecs) == 0 || v.URI == "" {
			t.Errorf("variant %d (%s): bandwidth %d, codecs %v", i, v.URI, v.Bandwidth, v.Codecs)
		}
	}
}
