package hls

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/media/ts"
	"boxcar/internal/mediatest"
	"boxcar/internal/packager"
)

// clipDir holds the real H.264 + AAC clip the tests share, made once per
// test binary by ffmpeg.
var (
	clipOnce sync.Once
	clipDir  string
	clipErr  error
	clipSegs []clipSegment
)

// clipSeconds is the clip's length: 30 ingest segments of 2 s, or 9 under
// -short. Making the clip and decoding what Boxcar serves of it take time
// in proportion: the short clip keeps every check of the tests that use it
// (several output segments, an I-frame per ingest segment) at a third of
// the cost.
func clipSeconds() int {
	if testing.Short() {
		return 18
	}
	return 60
}

type clipSegment struct {
	name     string
	duration time.Duration
	data     []byte
	// disc marks the segment as following an EXT-X-DISCONTINUITY.
	disc bool
	// shift moves the segment's timestamps (90 kHz), to loop the clip.
	shift int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if clipDir != "" {
		os.RemoveAll(clipDir)
	}
	os.Exit(code)
}

// clip returns the segments of a 60 s 640x360 25 fps H.264 (High, with
// B-frames, a keyframe every 2 s) and 48 kHz stereo AAC stream that
// ffmpeg pushed as 2 s HLS TS segments.
func clip(t testing.TB) []clipSegment {
	t.Helper()
	ffmpeg := mediatest.RequireFFmpeg(t)
	clipOnce.Do(func() {
		clipDir, clipErr = os.MkdirTemp("", "boxcar-hls-clip-")
		if clipErr != nil {
			return
		}
		cmd := exec.Command(ffmpeg, "-nostdin", "-v", "error",
			"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
			"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
			"-t", strconv.Itoa(clipSeconds()),
			"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-b:v", "1200k",
			"-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
			"-c:a", "aac", "-b:a", "128k", "-ac", "2",
			"-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
			"-hls_segment_filename", filepath.Join(clipDir, "seg%03d.ts"),
			filepath.Join(clipDir, "index.m3u8"))
		if out, err := cmd.CombinedOutput(); err != nil {
			clipErr = fmt.Errorf("ffmpeg: %v: %s", err, out)
			return
		}
		clipSegs, clipErr = readClip(clipDir)
	})
	if clipErr != nil {
		t.Fatal(clipErr)
	}
	return clipSegs
}

func readClip(dir string) ([]clipSegment, error) {
	f, err := os.Open(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []clipSegment
	var dur time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if v, ok := strings.CutPrefix(l, "#EXTINF:"); ok {
			s, err := strconv.ParseFloat(strings.TrimSuffix(v, ","), 64)
			if err != nil {
				return nil, err
			}
			dur = time.Duration(s * float64(time.Second))
			continue
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, l))
		if err != nil {
			return nil, err
		}
		out = append(out, clipSegment{name: l, duration: dur, data: data})
	}
	return out, sc.Err()
}

// feed demuxes a clip segment and adds it to input 1 of b's timeline as
// rendition "index", then advances the fake clock past it. end marks the
// last segment of the stream.
func feed(t testing.TB, b *livetest.Builder, seg clipSegment, end bool) {
	t.Helper()
	if err := feedErr(b, seg, end); err != nil {
		t.Fatal(err)
	}
}

func feedErr(b *livetest.Builder, seg clipSegment, end bool) error {
	res, err := ts.Demux(seg.data, ts.DemuxOptions{Anchor: -1})
	if err != nil {
		return fmt.Errorf("demux %s: %w", seg.name, err)
	}
	for _, tr := range res.Tracks {
		d := media.Rescale(seg.shift, media.VideoTimescale, tr.Info.Timescale)
		for i := range tr.Samples {
			tr.Samples[i].DTS += d
		}
	}
	in := &live.IngestSegment{Input: 1, Rendition: "index", Name: seg.name, Duration: seg.duration,
		TargetDuration: 2 * time.Second, Ended: end, Discontinuity: seg.disc}
	for _, tr := range res.Tracks {
		key := "v0"
		if tr.Info.Kind == media.KindAudio {
			key = "a0"
		}
		in.Tracks = append(in.Tracks, live.IngestTrack{Key: key, Info: tr.Info, Samples: tr.Samples})
	}
	if _, err := b.Timeline.Add(context.Background(), in); err != nil {
		return fmt.Errorf("add %s: %w", seg.name, err)
	}
	b.Clock.Advance(seg.duration)
	b.Manager.Tick(context.Background(), b.Clock.Now())
	return nil
}

// realChannel is a channel fed with the first n segments of the clip
// (all of them, ending the stream, when n is 0).
func realChannel(t testing.TB, n int) *livetest.Builder {
	t.Helper()
	segs := clip(t)
	b := livetest.New(t, "ch1", livetest.Rendition{Name: "index", Video: true, Audio: true})
	if n == 0 {
		n = len(segs)
	}
	for i := 0; i < n; i++ {
		feed(t, b, segs[i], n == len(segs) && i == n-1)
	}
	return b
}

// origin serves endpoints of b's channel over HTTP the way the egress
// layer calls the packager, at /out/v1/<endpointId>/..., with CORS.
type origin struct {
	*httptest.Server
	p *Packager
	b *livetest.Builder
}

func newOrigin(t testing.TB, b *livetest.Builder, eps ...*configstore.OriginEndpoint) *origin {
	o := &origin{p: New(), b: b}
	byID := map[string]*configstore.OriginEndpoint{}
	for _, ep := range eps {
		byID[ep.ID] = ep
	}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		rest, ok := strings.CutPrefix(r.URL.Path, "/out/v1/")
		id, path, _ := strings.Cut(rest, "/")
		ep := byID[id]
		if !ok || ep == nil {
			http.NotFound(w, r)
			return
		}
		snap, now := b.Timeline.Snapshot(), b.Clock.Now()
		obj, err := o.p.Package(r.Context(), &packager.Request{Endpoint: ep, Path: path, Query: r.URL.Query(),
			Snapshot: snap, Now: now, Media: b.Store})
		if err != nil {
			if isNotFound(err) {
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", obj.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(obj.Body)))
		w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", int(obj.MaxAge.Seconds())))
		w.Write(obj.Body)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) url(ep *configstore.OriginEndpoint, path string) string {
	return o.URL + "/out/v1/" + ep.ID + "/" + path
}

func (o *origin) get(t testing.TB, ep *configstore.OriginEndpoint, path string) []byte {
	t.Helper()
	resp, err := http.Get(o.url(ep, path))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return []byte(buf.String())
}

// TestFFmpegDecodes: ffmpeg plays every playlist of HLS-TS (muxed audio
// and audio group) and CMAF endpoints of a real H.264 + AAC stream without
// an error line.
func TestFFmpegDecodes(t *testing.T) {
	b := realChannel(t, 0)
	muxed := hlsEndpoint(func(p *configstore.HLSPackage) { p.IncludeIframeOnlyStream = true })
	muxed.ID = "muxed"
	group := hlsEndpoint(func(p *configstore.HLSPackage) { p.UseAudioRenditionGroup = true })
	group.ID = "group"
	cmaf := cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index"})
	o := newOrigin(t, b, muxed, group, cmaf)
	// Ingest segments in groups of three, 6 s each: 60 s, 1500 frames
	// (18 s, 450 frames under -short).
	frames := clipSeconds() * 25
	for _, c := range []struct {
		ep     *configstore.OriginEndpoint
		path   string
		frames int
	}{
		{muxed, "index.m3u8", frames},
		{muxed, "index_1.m3u8", frames},
		{group, "index.m3u8", frames},
		{group, "index_2.m3u8", 0}, // the audio rendition alone
		{cmaf, "m/index.m3u8", frames},
		{cmaf, "m/index_1.m3u8", frames},
		{cmaf, "m/index_2.m3u8", 0},
	} {
		t.Run(c.ep.ID+"/"+c.path, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := mediatest.Decode(ctx, o.url(c.ep, c.path), clipSeconds()+10)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.Check(c.frames); err != nil {
				t.Error(err)
			}
			if c.frames == 0 && res.Seconds < float64(clipSeconds()-1) {
				t.Errorf("decoded %.1f s of audio, want %d", res.Seconds, clipSeconds())
			}
		})
	}
}

// TestTSSegmentsConcatenate: the TS segments of a rendition, fetched one
// by one and concatenated, form one clean transport stream: no continuity
// counter errors (ffmpeg's and Boxcar's demuxer's view), timestamps that
// run on, and every frame decodes. Each I-frame resource is a TS holding
// exactly one decodable frame.
func TestTSSegmentsConcatenate(t *testing.T) {
	b := realChannel(t, 0)
	ep := hlsEndpoint(func(p *configstore.HLSPackage) { p.IncludeIframeOnlyStream = true })
	o := newOrigin(t, b, ep)
	dir := t.TempDir()
	for _, path := range []string{"index_1.m3u8", "index_2.m3u8"} {
		pl := parseMedia(t, o.get(t, ep, path))
		var all []byte
		for _, s := range pl.segs {
			all = append(all, o.get(t, ep, s.uri)...)
		}
		file := filepath.Join(dir, strings.TrimSuffix(path, ".m3u8")+".ts")
		if err := os.WriteFile(file, all, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := ts.Demux(all, ts.DemuxOptions{Anchor: -1})
		if err != nil {
			t.Fatal(err)
		}
		if res.ContinuityErrors != 0 {
			t.Errorf("%s: %d continuity errors in the concatenation", path, res.ContinuityErrors)
		}
		// -skip_estimate_duration_from_pts: to estimate the duration
		// ffmpeg (5.1) seeks near the end of the file to a byte that is
		// not a packet start and may resync on a 0x47 inside a payload,
		// then reports "Packet had TEI flag set; marking as corrupt" for
		// a packet the file does not have (it depends on the content:
		// the 18 s clip of -short hits it).
		out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-v", "debug", "-skip_estimate_duration_from_pts", "1",
			"-i", file, "-f", "null", "-").CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, tailString(string(out), 2000))
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "Continuity check failed") || strings.Contains(l, "Non-monotonic") ||
				strings.Contains(l, "corrupt") || strings.Contains(l, "error while decoding") {
				t.Errorf("%s: ffmpeg: %s", path, l)
			}
		}
		dec, err := mediatest.Decode(context.Background(), file, clipSeconds()+10)
		if err != nil {
			t.Fatal(err)
		}
		want := clipSeconds() * 25
		if path == "index_2.m3u8" {
			want = 0
		}
		if err := dec.Check(want); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}

	pl := parseMedia(t, o.get(t, ep, "index_1_iframes.m3u8"))
	if want := clipSeconds() / 2; len(pl.segs) != want {
		t.Fatalf("%d I-frames, want %d (one per 2 s ingest segment)", len(pl.segs), want)
	}
	for _, s := range pl.segs[:3] {
		file := filepath.Join(dir, s.uri)
		if err := os.WriteFile(file, o.get(t, ep, s.uri), 0o644); err != nil {
			t.Fatal(err)
		}
		dec, err := mediatest.Decode(context.Background(), file, 10)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Frames != 1 || len(dec.Errors) > 0 {
			t.Errorf("%s: %d frames, errors %q; want 1 frame", s.uri, dec.Frames, dec.Errors)
		}
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
