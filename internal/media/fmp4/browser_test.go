package fmp4

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
	"boxcar/internal/testutil"
)

// playReport is the part of e2e/play.mjs's report the tests judge.
type playReport struct {
	HarnessError string `json:"harnessError"`
	FatalErrors  []any  `json:"fatalErrors"`
	Errors       []struct {
		Details string `json:"details"`
		Message string `json:"message"`
	} `json:"errors"`
	Samples []struct {
		CurrentTime   float64 `json:"currentTime"`
		VideoWidth    int     `json:"videoWidth"`
		DecodedFrames int     `json:"decodedFrames"`
	} `json:"samples"`
}

// needBrowser returns node after checking, as testutil.Need does, for
// Node.js with the e2e modules and for Chromium.
func needBrowser(t *testing.T) (node string) {
	t.Helper()
	node = testutil.Need(t, testutil.E2EModules)
	testutil.Need(t, testutil.Chromium)
	return node
}

// playInBrowser plays the VOD url with a player in headless Chromium
// through e2e/play.mjs until it ends, or at most seconds (a deadline
// generous enough for a loaded machine), and fails unless playback
// advanced past minTime without a fatal error.
func playInBrowser(t *testing.T, node, player, url string, seconds int, minTime float64) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "e2e", "play.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, script, "--player", player, "--url", url, "--seconds", fmt.Sprint(seconds), "--until-ended").Output()
	if err != nil {
		t.Fatalf("play.mjs: %v", err)
	}
	var r playReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("play.mjs report: %v\n%s", err, out)
	}
	if r.HarnessError != "" || len(r.FatalErrors) > 0 || len(r.Samples) == 0 {
		t.Fatalf("%s: harness error %q, fatal errors %v", player, r.HarnessError, r.FatalErrors)
	}
	for _, e := range r.Errors {
		// The source's video starts one B-frame delay (80 ms) after its
		// audio: players skip that hole at time 0, as they should.
		if e.Details == "bufferSeekOverHole" && strings.Contains(e.Message, "seeking from 0 to") {
			continue
		}
		t.Errorf("%s reported %s: %s", player, e.Details, e.Message)
	}
	last := r.Samples[len(r.Samples)-1]
	if last.CurrentTime < minTime || last.VideoWidth == 0 || last.DecodedFrames == 0 {
		t.Errorf("%s: played to %.2f s (want %.1f), video width %d, %d frames decoded",
			player, last.CurrentTime, minTime, last.VideoWidth, last.DecodedFrames)
	}
}

// serveDir serves dir over HTTP with the CORS and content type headers
// browser players need.
func serveDir(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		switch filepath.Ext(r.URL.Path) {
		case ".m3u8":
			w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		case ".mp4", ".m4s":
			w.Header().Set("Content-Type", "video/mp4")
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBrowserPlayback packages ffmpeg's H.264/AAC as Boxcar would serve it
// (WriteInit, SegmentHeader + WriteFragment per track, HLS with a
// separate audio rendition) and plays it with hls.js and Shaka in
// Chromium's MSE.
func TestBrowserPlayback(t *testing.T) {
	if testing.Short() {
		t.Skip("browser playback in -short mode")
	}
	node := needBrowser(t)
	dir := t.TempDir()
	initData, segs := ffmpegHLS(t, dir, []string{"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-bf", "2"}, "6")
	tracks, err := ParseInit(initData)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var codecs []string
	for _, tr := range tracks {
		kind := tr.Info.Kind.String()
		init, err := WriteInit(1, tr.Info)
		if err != nil {
			t.Fatal(err)
		}
		write(kind+"_init.mp4", init)
		codecs = append(codecs, codec.RFC6381(tr.Info))
		var pl strings.Builder
		fmt.Fprintf(&pl, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n"+
			"#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"%s_init.mp4\"\n", kind)
		for i, seg := range segs {
			got, err := ParseSegment(seg, tracks)
			if err != nil {
				t.Fatal(err)
			}
			for _, ts := range got {
				if ts.TrackID != tr.TrackID {
					continue
				}
				frag, err := WriteFragment(uint32(i+1), 1, ts.Samples)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s_%d.m4s", kind, i)
				write(name, append(SegmentHeader(), frag...))
				var dur int64
				for _, s := range ts.Samples {
					dur += int64(s.Duration)
				}
				fmt.Fprintf(&pl, "#EXTINF:%.5f,\n%s\n", float64(dur)/float64(tr.Info.Timescale), name)
			}
		}
		pl.WriteString("#EXT-X-ENDLIST\n")
		write(kind+".m3u8", []byte(pl.String()))
	}
	if len(tracks) != 2 || tracks[0].Info.Kind != media.KindVideo {
		t.Fatalf("want video and audio tracks, got %d", len(tracks))
	}
	write("main.m3u8", []byte("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"+
		"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Tone\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"1\",URI=\"audio.m3u8\"\n"+
		"#EXT-X-STREAM-INF:BANDWIDTH=1500000,CODECS=\""+strings.Join(codecs, ",")+"\",RESOLUTION=320x240,AUDIO=\"aud\"\n"+
		"video.m3u8\n"))
	srv := serveDir(t, out)
	for _, player := range []string{"hlsjs", "shaka"} {
		t.Run(player, func(t *testing.T) {
			playInBrowser(t, node, player, srv.URL+"/main.m3u8", 90, 5.5) // 6 s: to the end
		})
	}
}
