package dash

import (
	"context"
	"errors"
	"fmt"
	"io"
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

	"github.com/Eyevinn/dash-mpd/mpd"

	"boxcar/internal/clock"
	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/mediatest"
	"boxcar/internal/packager"
	"boxcar/internal/store"
)

// clip is an ffmpeg-made H.264+AAC ladder as ingest segments: rendition r0
// carries 640x360 video and the audio, r1 320x180 video with 4:3 pixels;
// every rendition has one segment per 2 s GOP.
type clip struct {
	// segments[i] are the ingest segments of slot i, one per rendition.
	segments [][]*live.IngestSegment
	// durations[i] is slot i's video duration.
	durations []time.Duration
}

// encodeClip runs ffmpeg (testsrc2 + sine, 2 s GOPs with B-frames) into an
// fMP4 HLS ladder and demuxes it with fmp4.ParseInit/ParseSegment.
func encodeClip(t testing.TB, seconds int) *clip {
	t.Helper()
	mediatest.RequireFFmpeg(t)
	dir := t.TempDir()
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds),
		"-filter_complex", "[0:v]split=2[a][b];[b]scale=320:180,setsar=4/3[b2]",
		"-map", "[a]", "-map", "[b2]", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-b:v:0", "800k", "-b:v:1", "300k", "-c:a", "aac", "-b:a", "64k",
		"-f", "hls", "-hls_time", "2", "-hls_segment_type", "fmp4", "-hls_playlist_type", "vod",
		"-var_stream_map", "v:0,a:0 v:1",
		"-hls_segment_filename", filepath.Join(dir, "s%v_%d.m4s"), "-hls_fmp4_init_filename", "init.mp4",
		filepath.Join(dir, "p%v.m3u8"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	c := &clip{}
	for r := 0; r < 2; r++ {
		initBytes, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("init_%d.mp4", r)))
		if err != nil {
			t.Fatal(err)
		}
		init, err := fmp4.ParseInit(initBytes)
		if err != nil {
			t.Fatalf("parse init %d: %v", r, err)
		}
		for i := 0; ; i++ {
			data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("s%d_%d.m4s", r, i)))
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			tracks, err := fmp4.ParseSegment(data, init)
			if err != nil {
				t.Fatalf("parse segment %d of rendition %d: %v", i, r, err)
			}
			seg := &live.IngestSegment{Input: 1, Rendition: fmt.Sprintf("r%d", r), Name: fmt.Sprintf("s%d_%d.m4s", r, i),
				TargetDuration: 2 * time.Second}
			for k, ts := range tracks {
				var it *fmp4.InitTrack
				for j := range init {
					if init[j].TrackID == ts.TrackID {
						it = &init[j]
					}
				}
				info := it.Info
				if ts.Info != nil {
					info = *ts.Info
				}
				key := fmt.Sprintf("%c%d", info.Kind.String()[0], k)
				seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: key, Info: info, Samples: ts.Samples})
				if info.Kind == media.KindVideo {
					first, last := ts.Samples[0], ts.Samples[len(ts.Samples)-1]
					seg.Duration = mediaDuration(last.DTS+int64(last.Duration)-first.DTS, info.Timescale)
				}
			}
			if r == 0 {
				c.segments = append(c.segments, nil)
				c.durations = append(c.durations, seg.Duration)
			}
			if i < len(c.segments) {
				c.segments[i] = append(c.segments[i], seg)
			}
		}
	}
	// The last GOP may be short; drop it so every slot is a full segment.
	if n := len(c.segments); n > 1 {
		c.segments, c.durations = c.segments[:n-1], c.durations[:n-1]
	}
	return c
}

// origin is a channel fed from a clip and served over HTTP the way egress
// serves it (CORS, status codes, cache headers), plus /time.
type origin struct {
	URL      string
	p        *Packager
	manager  *live.Manager
	timeline *live.Timeline
	store    store.Store
	clock    clock.Clock

	eps map[string]*configstore.OriginEndpoint

	mu    sync.Mutex
	trace []traced
}

// traced is one request the origin answered.
type traced struct {
	at     time.Time
	path   string
	status int
	note   string
}

// traceOf returns the requests under endpoint id, oldest first.
func (o *origin) traceOf(id string) []traced {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []traced
	for _, r := range o.trace {
		if strings.HasPrefix(r.path, "/out/v1/"+id+"/") {
			out = append(out, r)
		}
	}
	return out
}

func (o *origin) record(r *http.Request, status int, note string) {
	o.mu.Lock()
	o.trace = append(o.trace, traced{at: time.Now(), path: r.URL.Path, status: status, note: note})
	o.mu.Unlock()
}

// newOrigin serves endpoints eps (all on channel ch1) until the test ends.
func newOrigin(t testing.TB, clk clock.Clock, eps ...*configstore.OriginEndpoint) *origin {
	t.Helper()
	st := store.NewMemory()
	m, err := live.Open(context.Background(), live.Options{DataDir: t.TempDir(), Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	o := &origin{p: New(), manager: m, timeline: m.Timeline("ch1"), store: st, clock: clk, eps: map[string]*configstore.OriginEndpoint{}}
	for _, ep := range eps {
		o.eps[ep.ID] = ep
	}
	// What the encoder's multivariant playlist would declare.
	o.timeline.SetRenditions(1, []live.Rendition{
		{Name: "r0", Bandwidth: 900_000, Codecs: []string{"avc1.64001e", "mp4a.40.2"}, Width: 640, Height: 360, FrameRate: 25},
		{Name: "r1", Bandwidth: 350_000, Codecs: []string{"avc1.64000d"}, Width: 320, Height: 180, FrameRate: 25},
	})
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Date")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.URL.Path == "/time" {
		h.Set("Content-Type", "text/plain")
		h.Set("Cache-Control", "no-store")
		fmt.Fprint(w, o.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
		return
	}
	id, path, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/out/v1/"), "/")
	ep := o.eps[id]
	if ep == nil {
		http.NotFound(w, r)
		return
	}
	prefix := "/out/v1/" + id + "/"
	obj, err := o.p.Package(r.Context(), &packager.Request{
		Endpoint: ep, Path: path, Query: r.URL.Query(), Snapshot: o.timeline.Snapshot(), Now: o.clock.Now(),
		Media: o.store, BaseURL: o.URL + prefix[:len(prefix)-1], PublicURL: o.URL,
	})
	if err != nil {
		h.Set("Cache-Control", "no-store")
		o.record(r, 0, err.Error())
		switch {
		case errors.Is(err, packager.ErrNotFound):
			http.Error(w, err.Error(), http.StatusNotFound)
		case isBadRequest(err):
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		return
	}
	o.record(r, http.StatusOK, "")
	h.Set("Content-Type", obj.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(obj.Body)))
	h.Set("Cache-Control", fmt.Sprintf("max-age=%d", int(obj.MaxAge.Seconds())))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(obj.Body)
	}
}

func (o *origin) mpdURL(id string) string {
	return o.URL + "/out/v1/" + id + "/" + o.eps[id].ManifestName + ".mpd"
}

// add places slot i of c on the timeline with program date-time pdt;
// disc flags a discontinuity before it, as ingest does when the encoder's
// media sequence restarts.
func (o *origin) add(t testing.TB, c *clip, i int, pdt time.Time, disc bool) {
	t.Helper()
	for _, seg := range c.looped(i) {
		seg.PDT, seg.Discontinuity = pdt, disc
		if _, err := o.timeline.Add(context.Background(), seg); err != nil {
			t.Errorf("add %s: %v", seg.Name, err)
		}
	}
	o.manager.Tick(context.Background(), o.clock.Now())
}

func dashEndpoint(id, format, layout string) *configstore.OriginEndpoint {
	return &configstore.OriginEndpoint{
		ID: id, ChannelID: "ch1", ManifestName: "index", Origination: "ALLOW",
		DASHPackage: &configstore.DASHPackage{
			SegmentDurationSeconds: 2, ManifestWindowSeconds: 60, MinBufferTimeSeconds: 4,
			MinUpdatePeriodSeconds: 2, SuggestedPresentationDelaySeconds: 8,
			SegmentTemplateFormat: format, ManifestLayout: layout, Profile: "NONE", UTCTiming: "HTTP-XSDATE",
		},
	}
}

// TestFFmpegDecodesDASH feeds a real H.264+AAC ladder (with B-frames)
// through the live timeline and has ffmpeg decode the DASH output over
// HTTP without a single error line.
func TestFFmpegDecodesDASH(t *testing.T) {
	c := encodeClip(t, 14)
	for _, tc := range []struct{ format, layout string }{
		{"NUMBER_WITH_TIMELINE", "FULL"},
		{"TIME_WITH_TIMELINE", "COMPACT"},
	} {
		t.Run(tc.format+"_"+tc.layout, func(t *testing.T) {
			clk := clock.NewFake(time.Now().Add(-time.Minute).Truncate(time.Second))
			o := newOrigin(t, clk, dashEndpoint("ep1", tc.format, tc.layout))
			pdt := clk.Now()
			for i := range c.segments {
				o.add(t, c, i, pdt, false)
				pdt = pdt.Add(c.durations[i])
				clk.Set(pdt)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			resp, err := http.Get(o.mpdURL("ep1"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m, err := mpd.MPDFromBytes(body)
			if err != nil {
				t.Fatalf("parse MPD: %v", err)
			}
			sars := map[uint32]string{}
			for _, as := range m.Periods[0].AdaptationSets {
				for _, r := range as.Representations {
					if r.Width > 0 {
						sars[r.Width] = string(r.Sar)
					}
				}
			}
			if sars[640] != "1:1" || sars[320] != "4:3" {
				t.Errorf("sar by width: got %v, want 640: 1:1 and 320: 4:3", sars)
			}
			res, err := mediatest.Decode(ctx, o.mpdURL("ep1"), 6)
			if err != nil {
				t.Fatalf("%v", err)
			}
			if err := res.Check(6 * 25 * 9 / 10); err != nil {
				t.Errorf("%v", err)
			}
			t.Logf("ffmpeg decoded %d frames (%.1f s) in %s", res.Frames, res.Seconds, res.Wall.Round(time.Millisecond))
		})
	}
}

// looped returns slot i of an endless stream made by repeating c, as an
// encoder with continuous timestamps would send it: every track's times
// move on by its own total duration at each repeat.
func (c *clip) looped(i int) []*live.IngestSegment {
	n := len(c.segments)
	loop, k := i/n, i%n
	var out []*live.IngestSegment
	for r, seg := range c.segments[k] {
		s := *seg
		s.Tracks = make([]live.IngestTrack, len(seg.Tracks))
		for j, tr := range seg.Tracks {
			off := int64(loop) * c.trackTotal(r, j)
			samples := make([]media.Sample, len(tr.Samples))
			for x, smp := range tr.Samples {
				smp.DTS += off
				samples[x] = smp
			}
			s.Tracks[j] = live.IngestTrack{Key: tr.Key, Info: tr.Info, Samples: samples}
		}
		s.Name = fmt.Sprintf("%s#%d", seg.Name, loop)
		out = append(out, &s)
	}
	return out
}

// trackTotal is the duration of track j of rendition r over the clip.
func (c *clip) trackTotal(r, j int) int64 {
	first := c.segments[0][r].Tracks[j].Samples[0]
	lastSeg := c.segments[len(c.segments)-1][r].Tracks[j].Samples
	last := lastSeg[len(lastSeg)-1]
	return last.DTS + int64(last.Duration) - first.DTS
}

func (c *clip) duration(i int) time.Duration { return c.durations[i%len(c.durations)] }

// fetchMPD gets and parses the MPD at url.
func fetchMPD(t testing.TB, url string) *mpd.MPD {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	m, err := mpd.MPDFromBytes(body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return m
}
