package ts

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
	"boxcar/internal/testutil"
)

// muxtPlayReport is the part of e2e/play.mjs's report the test judges.
type muxtPlayReport struct {
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

// TestMuxBrowserPlayback serves muxed segments as an HLS VOD playlist and
// plays it to the end with hls.js in headless Chromium (e2e/play.mjs).
func TestMuxBrowserPlayback(t *testing.T) {
	if testing.Short() {
		t.Skip("browser playback in -short mode")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "e2e", "play.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	node := testutil.Need(t, testutil.E2EModules)
	testutil.Need(t, testutil.Chromium)

	dir := t.TempDir()
	segs := muxtSource(t, dir, append(append(muxtLavfi(48000), muxtX264...), "-c:a", "aac", "-t", "6")...)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var pl strings.Builder
	pl.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:40\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	for i, seg := range segs {
		r, err := Mux(seg, MuxOptions{Sequence: uint64(40 + i)})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("seg%d.ts", i)
		if err := os.WriteFile(filepath.Join(out, name), r.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		var dur int64
		for _, s := range seg[0].Samples {
			dur += int64(s.Duration)
		}
		fmt.Fprintf(&pl, "#EXTINF:%.5f,\n%s\n", float64(dur)/media.VideoTimescale, name)
	}
	pl.WriteString("#EXT-X-ENDLIST\n")
	if err := os.WriteFile(filepath.Join(out, "index.m3u8"), []byte(pl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(out))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if strings.HasSuffix(r.URL.Path, ".ts") {
			w.Header().Set("Content-Type", "video/mp2t")
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()

	report, err := exec.Command(node, script, "--player", "hlsjs", "--url", srv.URL+"/index.m3u8", "--seconds", "90", "--until-ended").Output()
	if err != nil {
		t.Fatalf("play.mjs: %v", err)
	}
	var r muxtPlayReport
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("play.mjs report: %v\n%s", err, report)
	}
	if r.HarnessError != "" || len(r.FatalErrors) > 0 || len(r.Samples) == 0 {
		t.Fatalf("harness error %q, fatal errors %v", r.HarnessError, r.FatalErrors)
	}
	for _, e := range r.Errors {
		// The source's video starts one B-frame delay (80 ms) after its
		// audio: hls.js skips that hole at time 0, as it should.
		if e.Details == "bufferSeekOverHole" && strings.Contains(e.Message, "seeking from 0 to") {
			continue
		}
		t.Errorf("hls.js reported %s: %s", e.Details, e.Message)
	}
	last := r.Samples[len(r.Samples)-1]
	if last.CurrentTime < 5.5 || last.VideoWidth != 320 || last.DecodedFrames == 0 {
		t.Errorf("played to %.2f s of 6, video width %d, %d frames decoded", last.CurrentTime, last.VideoWidth, last.DecodedFrames)
	}
}
