// Command egress serves a synthetic live channel through egress.Handler
// on a local port, for load tests of the playback hot path
// (bench/egress.sh drives it with wrk next to nginx).
//
// The channel is a 2 s segment ladder fed straight into a live.Manager:
// a 3 Mbps and a 1 Mbps video rendition and a 128 kbps audio rendition
// with real codec configuration and filler payload. Three endpoints serve
// it: "bench" (hlsPackage, TS), "bench-cmaf" (cmafPackage) and
// "bench-dash" (dashPackage), with the real hls and dash packagers, or
// with -packager fixed a fixed packager that serves constant bodies (a
// 750,120-byte TS-sized segment, the stored CMAF fragments) to measure
// the HTTP layer alone.
//
// GET /paths lists the objects the load script requests, found by
// walking the playlists: the largest TS segment and its media playlist,
// the CMAF video and audio segments, the MPD, and every TS segment of the
// window. With -docroot the served segment bodies are written there as
// files, so a static server can serve identical bytes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"boxcar/internal/accesslog"
	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/dash"
	"boxcar/internal/egress"
	"boxcar/internal/hls"
	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/packager"
	"boxcar/internal/store"
)

const (
	channelID = "bench-channel"
	segDur    = 2 * time.Second
	// tsSize is a 2 s segment of 3 Mbps video in whole 188-byte packets.
	tsSize = 3990 * 188
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address`")
	addrFile := flag.String("addr-file", "", "write the address listened on to this `file`")
	docroot := flag.String("docroot", "", "write the segment bodies under this `directory` for a static server")
	segments := flag.Int("segments", 30, "segments in the live window")
	cacheBytes := flag.Int64("cache-bytes", 256<<20, "egress output cache bound (0 disables it)")
	accessLog := flag.String("access-log", "", "write the egress access log to this `file`")
	pkg := flag.String("packager", "real", "real (the hls and dash packagers) or fixed (constant bodies)")
	flag.Parse()
	if *pkg != "real" && *pkg != "fixed" {
		log.Fatalf("-packager %q: want real or fixed", *pkg)
	}
	if err := run(*addr, *addrFile, *docroot, *segments, *cacheBytes, *accessLog, *pkg == "real"); err != nil {
		log.Fatal(err)
	}
}

func run(addr, addrFile, docroot string, segments int, cacheBytes int64, accessLog string, real bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "boxcar-egress-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	st := store.NewMemory()
	clk := clock.NewFake(time.Now().Add(-time.Duration(segments) * segDur).Truncate(time.Second))
	m, err := live.Open(ctx, live.Options{DataDir: dir, Store: st, Clock: clk, Retention: func(string) time.Duration { return time.Hour }})
	if err != nil {
		return err
	}
	defer m.Close()
	tl := m.Timeline(channelID)
	if err := feed(ctx, m, tl, clk, segments); err != nil {
		return err
	}
	snap := tl.Snapshot()
	fp, err := newFixedPackager(ctx, st, snap)
	if err != nil {
		return err
	}
	eps, err := newEndpoints()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	addr = ln.Addr().String()
	reg := prometheus.NewRegistry()
	opts := egress.Options{
		Endpoints: eps,
		Timelines: m,
		Media:     st,
		HLS:       fp,
		DASH:      fp,
		Config:    config.EgressConfig{CacheBytes: cacheBytes},
		PublicURL: "http://" + addr,
		Registry:  reg,
	}
	if accessLog != "" {
		f, err := os.Create(accessLog)
		if err != nil {
			return err
		}
		defer f.Close()
		if opts.AccessLog, err = accesslog.New(f, accesslog.Options{Name: accessLog}); err != nil {
			return err
		}
	}
	if real {
		opts.HLS, opts.DASH = hls.New(), dash.New()
	}
	h, err := egress.New(opts)
	if err != nil {
		return err
	}
	paths := fixedPaths
	if real {
		if paths, err = discover(h); err != nil {
			return err
		}
	}
	if docroot != "" {
		if err := writeDocroot(h, docroot, paths); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.Handle(egress.Prefix, h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /paths", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		keys := make([]string, 0, len(paths))
		for k := range paths {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s=%s\n", k, paths[k])
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if addrFile != "" {
		if err := os.WriteFile(addrFile, []byte(addr+"\n"), 0o644); err != nil {
			return err
		}
	}
	log.Printf("egress bench: serving %d segments of channel %s on http://%s (pid %d)", len(snap.Segments), channelID, ln.Addr(), os.Getpid())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	runCtx, stopRun := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- opts.AccessLog.Run(runCtx) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		stopRun()
		<-ran
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopRun() // after the last request: Run flushes the access log
	if rerr := <-ran; err == nil {
		err = rerr
	}
	return err
}

// feed delivers n segments of the synthetic ladder.
func feed(ctx context.Context, m *live.Manager, tl *live.Timeline, clk *clock.Fake, n int) error {
	type rendition struct {
		name    string
		video   bool
		bitrate int
	}
	ladder := []rendition{{"channel_0", true, 3_000_000}, {"channel_1", true, 1_000_000}, {"channel_2", false, 0}}
	var rs []live.Rendition
	for _, r := range ladder {
		if r.video {
			rs = append(rs, live.Rendition{Name: r.name, Bandwidth: int64(r.bitrate) + 128000, Width: 640, Height: 360,
				Codecs: []string{"avc1.42c01e", "mp4a.40.2"}, FrameRate: 25, AudioGroup: "aac"})
		} else {
			rs = append(rs, live.Rendition{Name: r.name, Audio: true, GroupID: "aac", Language: "eng", Label: "English", Default: true, Autoselect: true})
		}
	}
	tl.SetRenditions(1, rs)
	step := int64(segDur.Seconds() * media.VideoTimescale)
	for i := 0; i < n; i++ {
		start := int64(i) * step
		for _, r := range ladder {
			seg := &live.IngestSegment{Input: 1, Rendition: r.name, Name: fmt.Sprintf("%s_%d.ts", r.name, i),
				Duration: segDur, TargetDuration: segDur}
			if r.video {
				seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "v0", Info: livetest.VideoInfo(),
					Samples: livetest.VideoSamples(start, segDur, 25, r.bitrate)})
			} else {
				seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "a0", Info: livetest.AudioInfo(),
					Samples: livetest.AudioSamples(start, segDur)})
			}
			if _, err := tl.Add(ctx, seg); err != nil {
				return fmt.Errorf("add %s: %w", seg.Name, err)
			}
		}
		clk.Advance(segDur)
		m.Tick(ctx, clk.Now())
	}
	if got := len(tl.Snapshot().Segments); got == 0 {
		return errors.New("the timeline published no segments")
	}
	return nil
}

// fixedPackager serves fixed segment bodies and manifests built from the
// snapshot, so the benchmark measures the HTTP layer and its cache.
type fixedPackager struct {
	ts, video, audio []byte
}

func newFixedPackager(ctx context.Context, st store.Store, snap *live.Snapshot) (*fixedPackager, error) {
	p := &fixedPackager{ts: make([]byte, tsSize)}
	for i := 0; i < tsSize; i += 188 {
		p.ts[i] = 0x47
	}
	seg := snap.Segments[len(snap.Segments)-1]
	for _, tr := range snap.Tracks {
		fr := seg.Frag(tr.ID)
		if fr == nil {
			continue
		}
		b, err := st.Get(ctx, fr.StoreKey)
		if err != nil {
			return nil, err
		}
		switch {
		case tr.Kind == media.KindAudio && p.audio == nil:
			p.audio = b
		case tr.Kind == media.KindVideo && tr.Rendition == "channel_0":
			p.video = b
		}
	}
	if p.video == nil || p.audio == nil {
		return nil, errors.New("no stored video or audio fragment")
	}
	return p, nil
}

func (p *fixedPackager) Package(ctx context.Context, req *packager.Request) (*packager.Object, error) {
	snap := req.Snapshot
	last := snap.Segments[len(snap.Segments)-1]
	seg := func(b []byte, ct string) *packager.Object {
		return &packager.Object{Body: b, ContentType: ct, Kind: packager.KindSegment, Immutable: true,
			MaxAge: 14 * 24 * time.Hour, LastModified: last.PDT}
	}
	switch req.Path {
	case "seg.ts":
		return seg(p.ts, "video/mp2t"), nil
	case "video.mp4":
		return seg(p.video, "video/mp4"), nil
	case "audio.mp4":
		return seg(p.audio, "audio/mp4"), nil
	case "index.m3u8":
		var b strings.Builder
		fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:%d\n", snap.Segments[0].Seq)
		for _, s := range snap.Segments {
			fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n#EXTINF:2.000,\nindex_1_%d.ts?m=1767225600\n", s.PDT.UTC().Format("2006-01-02T15:04:05.000Z"), s.Seq)
		}
		return &packager.Object{Body: []byte(b.String()), ContentType: "application/vnd.apple.mpegurl", Kind: packager.KindManifest,
			MaxAge: time.Second, LastSequence: last.Seq, LastModified: snap.Updated}, nil
	case "index.mpd":
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011" availabilityStartTime="%s" publishTime="%s" minimumUpdatePeriod="PT2S" minBufferTime="PT2S" timeShiftBufferDepth="PT60S" suggestedPresentationDelay="PT6S">
<Period id="0" start="PT0S">
`, snap.Segments[0].PDT.UTC().Format(time.RFC3339), snap.Updated.UTC().Format(time.RFC3339))
		for _, a := range []string{`<AdaptationSet mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">`, `<AdaptationSet mimeType="audio/mp4" lang="eng" segmentAlignment="true">`} {
			b.WriteString(a + "\n<SegmentTemplate timescale=\"90000\" media=\"index_$RepresentationID$_$Number$.mp4\" initialization=\"index_$RepresentationID$_init.mp4\" startNumber=\"1\">\n<SegmentTimeline>\n")
			for _, s := range snap.Segments {
				fmt.Fprintf(&b, "<S t=\"%d\" d=\"%d\"/>\n", s.Start, s.Duration)
			}
			b.WriteString("</SegmentTimeline>\n</SegmentTemplate>\n<Representation id=\"1\" bandwidth=\"3128000\"/>\n</AdaptationSet>\n")
		}
		b.WriteString("</Period>\n</MPD>\n")
		return &packager.Object{Body: []byte(b.String()), ContentType: "application/dash+xml", Kind: packager.KindManifest,
			MaxAge: time.Second, LastSequence: last.Seq, LastModified: snap.Updated}, nil
	}
	return nil, packager.ErrNotFound
}

// endpoints is a fixed set of origin endpoints.
type endpoints map[string]*configstore.OriginEndpoint

func (e endpoints) Endpoint(ctx context.Context, id string) (*configstore.OriginEndpoint, error) {
	ep, ok := e[id]
	if !ok {
		return nil, configstore.ErrNotFound
	}
	c := *ep
	return &c, nil
}

func (e endpoints) Version() uint64 { return 1 }

func newEndpoints() (endpoints, error) {
	arn := "arn:aws:mediapackage:us-east-1:000000000000:origin_endpoints/"
	return endpoints{
		"bench": {ARN: arn + "bench", ID: "bench", ChannelID: channelID, ManifestName: "index", Origination: "ALLOW",
			HLSPackage: &configstore.HLSPackage{SegmentDurationSeconds: 2, PlaylistWindowSeconds: 60, AdTriggers: []string{}}},
		"bench-dash": {ARN: arn + "bench-dash", ID: "bench-dash", ChannelID: channelID, ManifestName: "index", Origination: "ALLOW",
			DASHPackage: &configstore.DASHPackage{SegmentDurationSeconds: 2, ManifestWindowSeconds: 60, AdTriggers: []string{}}},
		"bench-cmaf": {ARN: arn + "bench-cmaf", ID: "bench-cmaf", ChannelID: channelID, ManifestName: "index", Origination: "ALLOW",
			CMAFPackage: &configstore.CMAFPackage{SegmentDurationSeconds: 2, HLSManifests: []configstore.HLSManifest{{ID: "cmaf", ManifestName: "index", PlaylistWindowSeconds: 60, AdTriggers: []string{}}}}},
	}, nil
}

// fixedPaths are the objects of the fixed packager.
var fixedPaths = map[string]string{
	"ts":        "/out/v1/bench/seg.ts",
	"cmafvideo": "/out/v1/bench/video.mp4",
	"cmafaudio": "/out/v1/bench/audio.mp4",
	"playlist":  "/out/v1/bench/index.m3u8",
	"mpd":       "/out/v1/bench-dash/index.mpd",
}

// fetch GETs path from h.
func fetch(h http.Handler, path string) ([]byte, error) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, w.Code, strings.TrimSpace(w.Body.String()))
	}
	return w.Body.Bytes(), nil
}

// uris returns the URIs a playlist lists (lines and URI attributes),
// resolved against its path.
func uris(base string, playlist []byte) []string {
	b, _ := url.Parse(base)
	var out []string
	add := func(u string) {
		r, err := url.Parse(u)
		if err == nil {
			out = append(out, b.ResolveReference(r).RequestURI())
		}
	}
	for _, line := range strings.Split(string(playlist), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case !strings.HasPrefix(line, "#"):
			add(line)
		case strings.Contains(line, `URI="`):
			u := line[strings.Index(line, `URI="`)+5:]
			if i := strings.IndexByte(u, '"'); i >= 0 {
				add(u[:i])
			}
		}
	}
	return out
}

// discover walks the real packagers' playlists for the objects to load.
func discover(h http.Handler) (map[string]string, error) {
	paths := map[string]string{"mpd": "/out/v1/bench-dash/index.mpd"}
	if _, err := fetch(h, paths["mpd"]); err != nil {
		return nil, err
	}
	type media struct {
		playlist string
		segments []string
		size     int // of the newest segment
	}
	walk := func(multivariant string) ([]media, error) {
		mv, err := fetch(h, multivariant)
		if err != nil {
			return nil, err
		}
		var ms []media
		for _, u := range uris(multivariant, mv) {
			if !strings.Contains(u, ".m3u8") || strings.Contains(u, "iframe") {
				continue
			}
			pl, err := fetch(h, u)
			if err != nil {
				return nil, err
			}
			m := media{playlist: u}
			for _, s := range uris(u, pl) {
				if !strings.Contains(s, "init") {
					m.segments = append(m.segments, s)
				}
			}
			if len(m.segments) == 0 {
				continue
			}
			b, err := fetch(h, m.segments[len(m.segments)-1])
			if err != nil {
				return nil, err
			}
			m.size = len(b)
			ms = append(ms, m)
		}
		if len(ms) == 0 {
			return nil, fmt.Errorf("%s lists no media playlist with segments", multivariant)
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].size > ms[j].size })
		return ms, nil
	}
	ts, err := walk("/out/v1/bench/index.m3u8")
	if err != nil {
		return nil, err
	}
	paths["playlist"] = ts[0].playlist
	paths["ts"] = ts[0].segments[len(ts[0].segments)-1]
	paths["tsfirst"] = strings.Join(ts[0].segments, " ")
	cmaf, err := walk("/out/v1/bench-cmaf/cmaf/index.m3u8")
	if err != nil {
		return nil, err
	}
	paths["cmafplaylist"] = cmaf[0].playlist
	paths["cmafvideo"] = cmaf[0].segments[len(cmaf[0].segments)-1]
	last := cmaf[len(cmaf)-1]
	paths["cmafaudio"] = last.segments[len(last.segments)-1]
	return paths, nil
}

// writeDocroot writes the segment bodies h serves as files for a static
// server: seg.ts, video.mp4, audio.mp4.
func writeDocroot(h http.Handler, dir string, paths map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, key := range map[string]string{"seg.ts": "ts", "video.mp4": "cmafvideo", "audio.mp4": "cmafaudio"} {
		b, err := fetch(h, paths[key])
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
