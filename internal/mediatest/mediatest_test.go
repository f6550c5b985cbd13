package mediatest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// Bounds for the harness's own live sources (1-second segments on
// loopback). They leave room for a machine busy with other tests: this test
// proves the harness, it does not measure it. playSeconds is also the
// start-up deadline; minAdvance (a few segments) proves real playback, and
// the stall bound with Check's end-of-watch check catches a player that
// stops.
const (
	playSeconds = 16
	minAdvance  = 4
	maxStall    = 5
)

// TestPlayersOnLiveSources proves the harness before Boxcar serves anything:
// ffmpeg pushes a live HLS ladder and a live DASH ladder to a plain CORS
// origin, and hls.js, Shaka and dash.js play them and switch renditions,
// ffmpeg decodes the HLS ladder without errors, and a page with its own
// player plays.
//
// Shaka plays the HLS ladder: on ffmpeg's live MPD (whose representations
// start at different segment numbers) it sometimes keeps only one variant.
// ffmpeg does not judge the live MPD: its DASH demuxer (5.1) re-reads
// segments after a refresh of a live SegmentTimeline MPD (DTS going back),
// even within the window.
func TestPlayersOnLiveSources(t *testing.T) {
	if testing.Short() {
		t.Skip("plays in headless Chromium for about a minute")
	}
	players := NewPlayers(t)
	RequireFFmpeg(t)
	ctx := t.Context()

	hlsOrigin := ServeDir(t, t.TempDir(), DirServerOptions{Username: "encoder", Password: "s3cret"})
	StartPush(ctx, t, PushOptions{
		URL:            hlsOrigin.URL + "/live/channel",
		Username:       "encoder",
		Password:       "s3cret",
		Renditions:     3,
		SegmentSeconds: 1,
		Realtime:       true,
		Persistent:     true,
		HLSFlags:       []string{"delete_segments"},
	})
	dashOrigin := ServeDir(t, t.TempDir(), DirServerOptions{})
	StartPush(ctx, t, PushOptions{
		URL:            dashOrigin.URL + "/live/channel",
		Format:         FormatDASH,
		Renditions:     2,
		SegmentSeconds: 1,
		Realtime:       true,
		Persistent:     true,
		UTCTimingURL:   dashOrigin.URL + "/time",
	})
	hlsURL := hlsOrigin.URL + "/live/channel.m3u8"
	dashURL := dashOrigin.URL + "/live/channel.mpd"
	waitFor(t, 30*time.Second, "3 HLS segments per rendition", func() bool {
		return countMatches(filepath.Join(hlsOrigin.Dir, "live", "channel_2.m3u8"), `#EXTINF`) >= 3 &&
			fileExists(filepath.Join(hlsOrigin.Dir, "live", "channel.m3u8"))
	})
	waitFor(t, 30*time.Second, "3 DASH segments", func() bool {
		return len(glob(filepath.Join(dashOrigin.Dir, "live", "channel_0_*.m4s"))) >= 3 &&
			fileExists(filepath.Join(dashOrigin.Dir, "live", "channel.mpd"))
	})

	t.Run("live", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			opts PlayOptions
		}{
			{"hlsjs", PlayOptions{Player: PlayerHLSJS, URL: hlsURL, Switch: true}},
			{"shaka", PlayOptions{Player: PlayerShaka, URL: hlsURL, Switch: true}},
			{"dashjs", PlayOptions{Player: PlayerDashJS, URL: dashURL, Switch: true}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.opts.Seconds = playSeconds
				play(t, players, tc.opts, minAdvance, maxStall)
			})
		}
		t.Run("ffmpeg-hls", func(t *testing.T) {
			t.Parallel()
			decode(t, hlsURL, 6)
		})
	})

	// A page with its own player, as Boxcar's demo page has: hls.js next to
	// a few lines of script, on the same origin as the stream.
	page := filepath.Join(hlsOrigin.Dir, "page")
	copyFile(t, filepath.Join(ModuleRoot(t), "e2e", "node_modules", "hls.js", "dist", "hls.min.js"), filepath.Join(page, "hls.min.js"))
	writeFile(t, filepath.Join(page, "index.html"), `<!doctype html><html><body>
<video id="v" muted autoplay playsinline></video>
<script src="hls.min.js"></script>
<script>const h = new Hls(); h.loadSource("../live/channel.m3u8"); h.attachMedia(document.getElementById("v"));</script>
</body></html>`)
	t.Run("page", func(t *testing.T) {
		play(t, players, PlayOptions{PageURL: hlsOrigin.URL + "/page/index.html", Seconds: 12}, 3, maxStall)
	})
}

func play(t *testing.T, players *Players, o PlayOptions, minAdvance, maxStall float64) {
	t.Helper()
	o.Screenshot = filepath.Join(t.TempDir(), "end.png")
	res, err := players.Play(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	for _, e := range res.Errors {
		t.Logf("player error: %s", e)
	}
	if err := res.Check(minAdvance, maxStall); err != nil {
		t.Error(err)
	}
	if fi, err := os.Stat(o.Screenshot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot: %v", err)
	}
}

func decode(t *testing.T, url string, seconds int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(seconds)*time.Second+time.Minute)
	defer cancel()
	res, err := Decode(ctx, url, seconds)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("decoded %d frames, %.1f s in %v", res.Frames, res.Seconds, res.Wall.Round(time.Millisecond))
	// On a live MPD ffmpeg may start audio a segment before video, and -t
	// counts from the earlier one: allow a segment's worth of frames less.
	if err := res.Check((seconds - 1) * 25); err != nil {
		t.Error(err)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func glob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}

func countMatches(name, expr string) int {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	return len(regexp.MustCompile(expr).FindAllIndex(b, -1))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
