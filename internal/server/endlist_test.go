package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"

	"boxcar/internal/mediatest"
)

// outputWatch polls every output manifest of a channel (the HLS and CMAF
// multivariant playlists, every media and I-frame playlist they name, and
// the MPD) every 200 ms and records when the output first ended: an
// #EXT-X-ENDLIST in any playlist, or a static MPD.
type outputWatch struct {
	hls  []string // multivariant playlist URLs
	mpd  string
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	polls    int
	endedAt  time.Time // first poll that saw an end, zero if none
	endedWhy string
	errs     []string
}

func watchOutput(mpdURL string, hls ...string) *outputWatch {
	w := &outputWatch{hls: hls, mpd: mpdURL, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func fetchText(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (w *outputWatch) run() {
	defer close(w.done)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		why := w.poll()
		w.mu.Lock()
		w.polls++
		if why != "" && w.endedAt.IsZero() {
			w.endedAt, w.endedWhy = time.Now(), why
		}
		w.mu.Unlock()
	}
}

// poll fetches every manifest once and says which one ended, if any.
func (w *outputWatch) poll() string {
	for _, u := range w.hls {
		code, body, err := fetchText(u)
		if err != nil || code != http.StatusOK {
			w.fail(fmt.Sprintf("%s: %d %v", u, code, err))
			continue
		}
		base := u[:strings.LastIndexByte(u, '/')+1]
		for _, l := range splitLines(body) {
			uri := ""
			switch {
			case l != "" && l[0] != '#':
				uri = l
			case strings.HasPrefix(l, "#EXT-X-I-FRAME-STREAM-INF:") || strings.HasPrefix(l, "#EXT-X-MEDIA:"):
				if i := strings.Index(l, `URI="`); i >= 0 {
					uri = l[i+5:]
					uri = uri[:strings.IndexByte(uri, '"')]
				}
			}
			if uri == "" {
				continue
			}
			code, media, err := fetchText(base + uri)
			if err != nil || code != http.StatusOK {
				w.fail(fmt.Sprintf("%s: %d %v", base+uri, code, err))
				continue
			}
			if strings.Contains(media, "#EXT-X-ENDLIST") {
				return base + uri + " has #EXT-X-ENDLIST"
			}
		}
	}
	code, body, err := fetchText(w.mpd)
	if err != nil || code != http.StatusOK {
		w.fail(fmt.Sprintf("%s: %d %v", w.mpd, code, err))
		return ""
	}
	m, err := mpd.MPDFromBytes([]byte(body))
	if err != nil {
		w.fail(fmt.Sprintf("%s: %v", w.mpd, err))
		return ""
	}
	if m.GetType() != "dynamic" {
		return "the MPD is " + m.GetType()
	}
	return ""
}

func (w *outputWatch) fail(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) < 20 {
		w.errs = append(w.errs, s)
	}
}

// ended returns when and why the output first ended.
func (w *outputWatch) ended() (time.Time, string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.endedAt, w.endedWhy, w.polls
}

// reset forgets an end seen so far.
func (w *outputWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.endedAt, w.endedWhy = time.Time{}, ""
}

func (w *outputWatch) close() []string {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errs
}

// extinfs returns the #EXTINF durations of a media playlist.
func extinfs(body string) []float64 {
	var out []float64
	for _, l := range splitLines(body) {
		if v, ok := strings.CutPrefix(l, "#EXTINF:"); ok {
			v, _, _ = strings.Cut(v, ",")
			d, _ := strconv.ParseFloat(v, 64)
			out = append(out, d)
		}
	}
	return out
}

// TestCleanStopOfOnePipeline reproduces what an operator does to a
// redundant channel: two aligned ffmpeg pipelines push the same source to
// the channel's two ingest endpoints while hls.js (HLS) and Shaka (DASH)
// play. The active pipeline is stopped cleanly (SIGINT: ffmpeg closes a
// short last segment and PUTs its playlist with #EXT-X-ENDLIST). No output
// manifest may end, the players keep playing, and the switch leaves no
// hole, overlap or discontinuity. Then the other pipeline stops and the
// output ends within a target duration; a pipeline that starts again
// makes it live again.
func TestCleanStopOfOnePipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end clean stop takes about two minutes")
	}
	players := mediatest.NewPlayers(t)
	o := startOrigin(t, t.TempDir(), nil)
	ie := o.createChannel(t, "ha")
	hls := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("ha"), Id: aws.String("hls"),
		HlsPackage: &types.HlsPackage{SegmentDurationSeconds: aws.Int32(2), PlaylistWindowSeconds: aws.Int32(60), IncludeIframeOnlyStream: aws.Bool(true)}})
	cmaf := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("ha"), Id: aws.String("cmaf"),
		CmafPackage: &types.CmafPackageCreateOrUpdateParameters{SegmentDurationSeconds: aws.Int32(2),
			HlsManifests: []types.HlsManifestCreateOrUpdateParameters{{Id: aws.String("main"), IncludeIframeOnlyStream: aws.Bool(true)}}}})
	dash := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("ha"), Id: aws.String("dash"),
		DashPackage: &types.DashPackage{SegmentDurationSeconds: aws.Int32(2), ManifestWindowSeconds: aws.Int32(60),
			MinBufferTimeSeconds: aws.Int32(6), MinUpdatePeriodSeconds: aws.Int32(2), SuggestedPresentationDelaySeconds: aws.Int32(10),
			UtcTiming: types.UtcTimingHttpIso}})
	ctx := context.Background()
	opts := func(i int) mediatest.PushOptions {
		return mediatest.PushOptions{URL: aws.ToString(ie[i].Url), Username: aws.ToString(ie[i].Username), Password: aws.ToString(ie[i].Password),
			Renditions: 1, SegmentSeconds: 2, Realtime: true}
	}
	pushes := []*mediatest.Push{mediatest.StartPush(ctx, t, opts(0)), mediatest.StartPush(ctx, t, opts(1))}
	defer func() {
		for _, p := range pushes {
			p.Kill()
		}
	}()
	hlsURL, cmafURL, mpdURL := aws.ToString(hls.Url), aws.ToString(cmaf.CmafPackage.HlsManifests[0].Url), aws.ToString(dash.Url)
	waitFor(t, 60*time.Second, "five segments", func() bool { m, _ := fetchMedia(t, hlsURL); return len(m.uris) >= 5 })
	watch := watchOutput(mpdURL, hlsURL, cmafURL)
	defer watch.close()
	active := status(t, o, "ha").ActiveInput
	if active != 1 && active != 2 {
		t.Fatalf("active input %d", active)
	}

	// Players watch for 40 s; the active pipeline stops 14 s in.
	var wg sync.WaitGroup
	results := make([]*mediatest.PlayResult, 2)
	errs := make([]error, 2)
	for i, p := range []struct{ player, url string }{{mediatest.PlayerHLSJS, hlsURL}, {mediatest.PlayerShaka, mpdURL}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = players.Play(ctx, mediatest.PlayOptions{Player: p.player, URL: p.url, Seconds: 40})
		}()
	}
	time.Sleep(14 * time.Second)
	stopped := time.Now()
	if err := pushes[active-1].Stop(); err != nil {
		t.Errorf("stopping pipeline %d: %v", active, err)
	}
	t.Logf("pipeline %d stopped cleanly (SIGINT) in %v", active, time.Since(stopped).Round(time.Millisecond))
	wg.Wait()
	if at, why, polls := watch.ended(); !at.IsZero() {
		t.Fatalf("the output ended %v after one of two pipelines stopped: %s", at.Sub(stopped).Round(time.Millisecond), why)
	} else {
		t.Logf("%d polls of every manifest, none ended", polls)
	}
	st := status(t, o, "ha")
	if st.ActiveInput == active || st.InputSwitches != 1 {
		t.Fatalf("after pipeline %d stopped: active input %d, %d switches", active, st.ActiveInput, st.InputSwitches)
	}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Log(res.Summary())
		// Playing through the stop and on to the end of the watch (Check
		// wants currentTime still advancing at the end): never stuck for
		// longer than two segments.
		if err := res.Check(6, 4); err != nil {
			t.Errorf("%s: %v", res.Player, err)
		}
	}
	// The switch left no hole, overlap or discontinuity, and no short
	// segment: every listed segment lasts its 2 s.
	for _, u := range []string{hlsURL, cmafURL} {
		m, mediaURL := fetchMedia(t, u)
		_, body, _ := get(t, mediaURL)
		if m.discs != 0 || m.gaps != 0 {
			t.Errorf("%s: %d discontinuities and %d gaps after a clean stop of one aligned pipeline:\n%s", mediaURL, m.discs, m.gaps, body)
		}
		for i, d := range extinfs(body) {
			if d < 1.95 || d > 2.05 {
				t.Errorf("%s: segment %d lasts %.3f s, want 2 s:\n%s", mediaURL, m.seq+uint64(i), d, body)
				break
			}
		}
	}

	// The other pipeline stops too: the output ends, within one target
	// duration of ffmpeg's last request.
	other := 3 - active
	if err := pushes[other-1].Stop(); err != nil {
		t.Errorf("stopping pipeline %d: %v", other, err)
	}
	exited := time.Now()
	deadline := exited.Add(2 * time.Second)
	for {
		if at, _, _ := watch.ended(); !at.IsZero() || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	at, why, _ := watch.ended()
	if at.IsZero() {
		t.Fatalf("both pipelines stopped, and the output had not ended %v later", time.Since(exited).Round(time.Millisecond))
	}
	t.Logf("both pipelines stopped: the output ended %v after the last one exited (%s)", at.Sub(exited).Round(time.Millisecond), why)
	// Every manifest ended, the MPD is static.
	time.Sleep(300 * time.Millisecond)
	for _, u := range []string{hlsURL, cmafURL} {
		_, mediaURL := fetchMedia(t, u)
		if _, body, _ := get(t, mediaURL); !strings.Contains(body, "#EXT-X-ENDLIST") {
			t.Errorf("%s has no #EXT-X-ENDLIST after both pipelines stopped:\n%s", mediaURL, body)
		}
	}
	_, body, _ := get(t, mpdURL)
	if m, err := mpd.MPDFromBytes([]byte(body)); err != nil || m.GetType() != "static" || m.MediaPresentationDuration == nil {
		t.Errorf("MPD after both pipelines stopped (%v):\n%s", err, body)
	}

	// One pipeline starts again: live again, after one discontinuity
	// and in a new DASH Period, numbering forward.
	before, _ := fetchMedia(t, hlsURL)
	watch.reset()
	pushes[0] = mediatest.StartPush(ctx, t, opts(0))
	waitFor(t, 60*time.Second, "the output live again with two new segments", func() bool {
		m, mediaURL := fetchMedia(t, hlsURL)
		_, body, _ := get(t, mediaURL)
		return !strings.Contains(body, "#EXT-X-ENDLIST") && m.last() >= before.last()+2
	})
	after, _ := fetchMedia(t, hlsURL)
	if after.discs != 1 || after.seq < before.seq {
		t.Errorf("after the restart: %d discontinuities, media sequence %d (was %d); want 1 and forward", after.discs, after.seq, before.seq)
	}
	_, body, _ = get(t, mpdURL)
	m, err := mpd.MPDFromBytes([]byte(body))
	if err != nil || m.GetType() != "dynamic" || len(m.Periods) != 2 {
		t.Errorf("MPD after the restart: want dynamic with a second Period (%v):\n%s", err, body)
	}
	if errs := watch.close(); len(errs) > 0 {
		t.Errorf("manifest requests failed while watching: %s", strings.Join(errs, "; "))
	}
}
