package hls

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/packager"
	"boxcar/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fetch packages path for ep from the builder's current snapshot.
func fetch(t testing.TB, p *Packager, b *livetest.Builder, ep *configstore.OriginEndpoint, path string) *packager.Object {
	t.Helper()
	o, err := fetchErr(p, b, ep, path)
	if err != nil {
		t.Fatalf("Package(%q): %v", path, err)
	}
	return o
}

func fetchErr(p *Packager, b *livetest.Builder, ep *configstore.OriginEndpoint, path string) (*packager.Object, error) {
	s := b.Timeline.Snapshot()
	return p.Package(context.Background(), &packager.Request{
		Endpoint: ep, Path: path, Snapshot: s, Now: b.Clock.Now(), Media: b.Store,
		BaseURL: "http://boxcar.test/out/v1/" + ep.ID, PublicURL: "http://boxcar.test",
	})
}

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

// hlsEndpoint returns an HLS (TS) endpoint with the control plane's
// defaults and mod applied.
func hlsEndpoint(mod func(p *configstore.HLSPackage)) *configstore.OriginEndpoint {
	p := &configstore.HLSPackage{SegmentDurationSeconds: 6, PlaylistWindowSeconds: 60, PlaylistType: "NONE", AdMarkers: "NONE"}
	if mod != nil {
		mod(p)
	}
	return &configstore.OriginEndpoint{ID: "hls1", ChannelID: "ch1", ManifestName: "index", Origination: "ALLOW", HLSPackage: p}
}

// cmafEndpoint returns a CMAF endpoint with manifests.
func cmafEndpoint(mod func(p *configstore.CMAFPackage), manifests ...configstore.HLSManifest) *configstore.OriginEndpoint {
	p := &configstore.CMAFPackage{SegmentDurationSeconds: 6, HLSManifests: manifests}
	if mod != nil {
		mod(p)
	}
	return &configstore.OriginEndpoint{ID: "cmaf1", ChannelID: "ch1", ManifestName: "index", Origination: "ALLOW", CMAFPackage: p}
}

// deliver delivers one segment of every rendition to input 1 starting at
// start (90 kHz), changed by mod, and publishes it.
func deliver(t *testing.T, b *livetest.Builder, start int64, mod func(*live.IngestSegment)) {
	t.Helper()
	for _, r := range b.Renditions {
		seg := &live.IngestSegment{Input: 1, Rendition: r.Name, Name: fmt.Sprintf("%s_%d.ts", r.Name, start),
			Duration: b.SegmentDuration, TargetDuration: b.SegmentDuration}
		if r.Video {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(start, b.SegmentDuration, b.FPS, r.Bitrate)})
		}
		if r.Audio {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(start, b.SegmentDuration)})
		}
		if mod != nil {
			mod(seg)
		}
		if _, err := b.Timeline.Add(context.Background(), seg); err != nil {
			t.Fatal(err)
		}
	}
	b.Clock.Advance(b.SegmentDuration)
	b.Manager.Tick(context.Background(), b.Clock.Now())
}

// end delivers a last segment at start with #EXT-X-ENDLIST.
func end(t *testing.T, b *livetest.Builder, start int64) {
	t.Helper()
	deliver(t, b, start, func(s *live.IngestSegment) { s.Ended = true })
}

// parsed is a media playlist as the invariant checks need it.
type parsed struct {
	version, td     int
	msn, dsn        uint64
	hasMSN, hasDSN  bool
	playlistType    string
	endlist, iframe bool
	segs            []parsedSeg
}

type parsedSeg struct {
	msn, dsn  uint64
	uri       string
	dur       float64
	gap, disc bool
	pdt       time.Time
	mapURI    string
	byterange string
}

// parseMedia parses a media playlist strictly enough to check the rules
// of HLS §4 a live origin must keep.
func parseMedia(t testing.TB, body []byte) *parsed {
	t.Helper()
	p := &parsed{}
	var cur parsedSeg
	var mapURI string
	haveInf := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	line := 0
	for sc.Scan() {
		l := sc.Text()
		line++
		if line == 1 {
			if l != "#EXTM3U" {
				t.Fatalf("first line %q, want #EXTM3U", l)
			}
			continue
		}
		if l == "" {
			t.Fatalf("line %d is empty", line)
		}
		tag, val, _ := strings.Cut(l, ":")
		switch tag {
		case "#EXT-X-VERSION":
			p.version = atoi(t, val)
		case "#EXT-X-TARGETDURATION":
			p.td = atoi(t, val)
		case "#EXT-X-MEDIA-SEQUENCE":
			if len(p.segs) > 0 {
				t.Fatalf("EXT-X-MEDIA-SEQUENCE after the first segment")
			}
			p.msn, p.hasMSN = uint64(atoi(t, val)), true
		case "#EXT-X-DISCONTINUITY-SEQUENCE":
			if len(p.segs) > 0 {
				t.Fatalf("EXT-X-DISCONTINUITY-SEQUENCE after the first segment")
			}
			p.dsn, p.hasDSN = uint64(atoi(t, val)), true
		case "#EXT-X-PLAYLIST-TYPE":
			p.playlistType = val
		case "#EXT-X-I-FRAMES-ONLY":
			p.iframe = true
		case "#EXT-X-ENDLIST":
			p.endlist = true
		case "#EXT-X-DISCONTINUITY":
			cur.disc = true
		case "#EXT-X-GAP":
			cur.gap = true
		case "#EXT-X-MAP":
			mapURI = strings.TrimSuffix(strings.TrimPrefix(val, `URI="`), `"`)
		case "#EXT-X-BYTERANGE":
			cur.byterange = val
		case "#EXT-X-PROGRAM-DATE-TIME":
			tm, err := time.Parse("2006-01-02T15:04:05.000Z", val)
			if err != nil {
				t.Fatalf("PDT %q: %v", val, err)
			}
			cur.pdt = tm
		case "#EXTINF":
			d, err := strconv.ParseFloat(strings.TrimSuffix(val, ","), 64)
			if err != nil || !strings.HasSuffix(val, ",") {
				t.Fatalf("EXTINF %q", val)
			}
			if i := strings.IndexByte(strings.TrimSuffix(val, ","), '.'); i < 0 || len(strings.TrimSuffix(val, ","))-i-1 != 3 {
				t.Fatalf("EXTINF %q does not have 3 decimals", val)
			}
			cur.dur, haveInf = d, true
		default:
			if strings.HasPrefix(l, "#") {
				t.Fatalf("unexpected tag %q", l)
			}
			if !haveInf {
				t.Fatalf("URI %q without EXTINF", l)
			}
			cur.uri, cur.mapURI = l, mapURI
			p.segs = append(p.segs, cur)
			cur, haveInf = parsedSeg{}, false
		}
	}
	dsn := p.dsn
	for i := range p.segs {
		s := &p.segs[i]
		if s.disc {
			dsn++
		}
		s.msn, s.dsn = p.msn+uint64(i), dsn
	}
	return p
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("integer %q: %v", s, err)
	}
	return n
}

// checker follows the reloads of a set of media playlists and checks the
// rules of HLS §4.4.3 and §6.2: the target duration never changes and is
// the same in every playlist, every EXTINF rounds to at most it, media
// sequence numbers never decrease and a number keeps its URI, and a
// segment keeps its discontinuity sequence number across reloads and
// renditions.
type checker struct {
	t       *testing.T
	td      int
	lastMSN map[string]uint64
	uris    map[string]map[uint64]string
	// dsn and pdt by output segment: every rendition agrees.
	dsn map[string]uint64
	pdt map[string]time.Time
}

func newChecker(t *testing.T) *checker {
	return &checker{t: t, lastMSN: map[string]uint64{}, uris: map[string]map[uint64]string{}, dsn: map[string]uint64{}, pdt: map[string]time.Time{}}
}

// segKey identifies an output segment across renditions: the part of the
// URI after the track ID ("13.ts" of "index_1_13.ts").
func segKey(uri string) string {
	uri = uri[strings.LastIndexByte(uri, '/')+1:]
	parts := strings.Split(uri, "_")
	if len(parts) < 2 {
		return uri
	}
	return strings.Join(parts[len(parts)-1:], "_")
}

func (c *checker) check(name string, body []byte) *parsed {
	t := c.t
	t.Helper()
	p := parseMedia(t, body)
	if c.td == 0 {
		c.td = p.td
	}
	if p.td != c.td {
		t.Errorf("%s: TARGETDURATION %d, earlier %d", name, p.td, c.td)
	}
	if !p.hasMSN || !p.hasDSN {
		t.Errorf("%s: MEDIA-SEQUENCE or DISCONTINUITY-SEQUENCE missing", name)
	}
	if last, ok := c.lastMSN[name]; ok && p.msn < last {
		t.Errorf("%s: MEDIA-SEQUENCE went back from %d to %d", name, last, p.msn)
	}
	c.lastMSN[name] = p.msn
	if c.uris[name] == nil {
		c.uris[name] = map[uint64]string{}
	}
	for _, s := range p.segs {
		if r := int(math.Round(s.dur)); r > p.td {
			t.Errorf("%s: EXTINF %.3f rounds above TARGETDURATION %d", name, s.dur, p.td)
		}
		id := s.uri + " " + s.byterange
		if u, ok := c.uris[name][s.msn]; ok && u != id {
			t.Errorf("%s: MSN %d was %q, now %q", name, s.msn, u, id)
		}
		c.uris[name][s.msn] = id
		if p.iframe {
			continue
		}
		k := segKey(s.uri)
		if d, ok := c.dsn[k]; ok && d != s.dsn {
			t.Errorf("%s: segment %s has discontinuity sequence %d, elsewhere %d", name, s.uri, s.dsn, d)
		}
		c.dsn[k] = s.dsn
		if !s.pdt.IsZero() {
			if d, ok := c.pdt[k]; ok && !d.Equal(s.pdt) {
				t.Errorf("%s: segment %s has PDT %v, elsewhere %v", name, s.uri, s.pdt, d)
			}
			c.pdt[k] = s.pdt
		}
	}
	return p
}

// isNotFound reports whether err is packager.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, packager.ErrNotFound) }

// videoTicks is a duration in the channel's 90 kHz units.
func videoTicks(d time.Duration) int64 { return int64(d.Seconds() * media.VideoTimescale) }
