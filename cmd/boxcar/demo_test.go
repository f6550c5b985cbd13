package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"boxcar/internal/demo/clip"
	"boxcar/internal/mediatest"
	"boxcar/internal/testutil"
)

type syncBuffer = testutil.Buffer

var (
	pageRE    = regexp.MustCompile(`Watch it in a browser:\s+(http://\S+/)\n`)
	hlsRE     = regexp.MustCompile(`HLS, TS segments\s+(http://\S+)\n`)
	dataDirRE = regexp.MustCompile(`Data: (\S+) \(removed on exit\)`)
)

// TestDemo runs `boxcar demo` on an ephemeral port as a user would and
// watches it: hls.js plays its HLS URL, the page at / plays in Chromium
// with hls.js and with dash.js (a screenshot goes to
// artifacts/demo-page.png), the page shows the wall-clock time of the frame
// playing and lists each rendition with its own track and bit rates (see
// checkPage; artifacts/demo-page-full.png), and cancelling stops everything
// and removes the temporary data directory.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("plays in headless Chromium for about half a minute")
	}
	players := mediatest.NewPlayers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	begin := time.Now()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0"}, nil, &stdout, &stderr) }()
	defer func() {
		if t.Failed() {
			t.Logf("demo stdout:\n%s\ndemo stderr:\n%s", stdout.String(), stderr.String())
		}
	}()

	var page, hlsURL, dataDir string
	waitFor(t, done, 60*time.Second, "the demo's URLs", func() bool {
		out := stdout.String()
		m1, m2, m3 := pageRE.FindStringSubmatch(out), hlsRE.FindStringSubmatch(out), dataDirRE.FindStringSubmatch(out)
		if m1 == nil || m2 == nil || m3 == nil {
			return false
		}
		page, hlsURL, dataDir = m1[1], m2[1], m3[1]
		return true
	})
	if strings.Contains(page, ":0/") {
		t.Fatalf("the demo prints port 0: %s", page)
	}
	// Time to a manifest a player can start with: measured for the
	// record, not asserted (the machine is shared).
	waitFor(t, done, 60*time.Second, "a playable HLS manifest", func() bool { return playable(hlsURL) })
	t.Logf("first playable HLS manifest %v after start", time.Since(begin).Round(10*time.Millisecond))

	shot := filepath.Join(testutil.ModuleRoot(t), "artifacts", "demo-page.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	// Each play watches 20 s, start-up included (the three share a loaded
	// machine): playback must start, advance a few segments, never stall
	// for more than 4 s and still advance at the end.
	var wg sync.WaitGroup
	for _, o := range []mediatest.PlayOptions{
		{Player: mediatest.PlayerHLSJS, URL: hlsURL, Seconds: 20},
		{Player: "page/hls.js", PageURL: page, Seconds: 20, Screenshot: shot},
		// The page's DASH tab, with dash.js.
		{Player: "page/dash.js", PageURL: page + "#dash", Seconds: 20},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := players.Play(ctx, o)
			if err != nil {
				t.Error(err)
				return
			}
			t.Log(res.Summary())
			if err := res.Check(4, 4); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// One more browser, after the players: what the page shows.
	checkPage(ctx, t, page, filepath.Join(filepath.Dir(shot), "demo-page-full.png"))

	body := get(t, strings.TrimSuffix(page, "/")+"/demo/status")
	for _, want := range []string{`"activeInput":1`, `"playback":{"hls":"/out/v1/hls/index.m3u8"`, `"failures":0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/demo/status lacks %s: %s", want, body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo returned %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30 s of cancel")
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("temporary data directory %s still there (%v)", dataDir, err)
	}
	if _, err := http.Get(page); err == nil {
		t.Errorf("%s still answers after the demo stopped", page)
	}
}

// playable reports whether an HLS multivariant playlist and its first
// media playlist are served, the latter with at least three segments.
func playable(multivariant string) bool {
	body, ok := fetch(multivariant)
	if !ok {
		return false
	}
	var media string
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			media = l
			break
		}
	}
	if media == "" {
		return false
	}
	body, ok = fetch(multivariant[:strings.LastIndexByte(multivariant, '/')+1] + media)
	return ok && strings.Count(body, "#EXTINF") >= 3
}

func fetch(url string) (string, bool) {
	resp, err := http.Get(url)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err == nil && resp.StatusCode == http.StatusOK
}

func get(t *testing.T, url string) string {
	t.Helper()
	body, ok := fetch(url)
	if !ok {
		t.Fatalf("GET %s failed: %s", url, body)
	}
	return body
}

// waitFor polls cond until it holds, failing the test on timeout or when
// the command ends first.
func waitFor(t *testing.T, done <-chan error, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("the command ended (%v) while waiting for %s", err, what)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// pageView mirrors the report of testdata/page_clock.mjs: for each player
// tab of the demo page, the box over the picture and the status panel.
type pageView struct {
	Error string `json:"error"`
	Tabs  []struct {
		Kind   string `json:"kind"`
		Player string `json:"player"`
		Error  string `json:"error"`
		// Frame is the wall-clock time of the frame playing, Now the
		// page's clock, BrowserNow the browser's when they were read; ms
		// since the epoch. Frame is nil when the page shows none.
		Frame      *float64 `json:"frame"`
		Now        float64  `json:"now"`
		BrowserNow float64  `json:"browserNow"`
		Shown      struct {
			Frame, Now, Latency, Picture string
		} `json:"shown"`
		Status []panelRow `json:"status"`
	} `json:"tabs"`
}

// panelRow is one row of the page's status panel: its heading and the
// lines of its value.
type panelRow struct {
	Head  string   `json:"head"`
	Lines []string `json:"lines"`
}

// shownTimeRE is how the page shows a wall-clock time.
var shownTimeRE = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d UTC$`)

// Bounds of a plausible frame time: a frame plays after its segment was
// pushed, and a player cannot lag much more than the window (30 s) behind
// the live edge. Generous, as the machine may be loaded: they tell a wall
// clock from the clip's loop position, the epoch or a time zone error, not
// a fast player from a slow one.
const (
	minLatency = -1 * time.Second
	maxLatency = 2 * time.Minute
)

// checkPage opens the demo page in Chromium and checks, for each player
// tab, that the box over the picture shows the wall-clock time of the
// frame playing (a time near now, not the clip's position) and the page's
// clock; and that the status panel lists the renditions in the encoder's
// order, each with the track that carries it and the bit rates the ingest
// status reports for it.
func checkPage(ctx context.Context, t *testing.T, page, screenshot string) {
	t.Helper()
	root := testutil.ModuleRoot(t)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("testdata", "page_clock.mjs"), filepath.Join(root, "e2e"), page, screenshot)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	// Chromium runs in node's process group: kill them all on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("page_clock.mjs: %v\n%s\n%s", err, out, stderr.String())
	}
	var v pageView
	if err := json.Unmarshal(out, &v); err != nil || v.Error != "" || len(v.Tabs) == 0 {
		t.Fatalf("page_clock.mjs: report %s (%v)", out, err)
	}
	for _, tab := range v.Tabs {
		if tab.Frame == nil {
			t.Errorf("%s tab (%s): the box over the picture shows no frame time: %+v (%s)", tab.Kind, tab.Player, tab.Shown, tab.Error)
			continue
		}
		frame, now := time.UnixMilli(int64(*tab.Frame)), time.UnixMilli(int64(tab.BrowserNow))
		t.Logf("%s tab (%s): shows pushed %s, now %s, latency %s", tab.Kind, tab.Player, tab.Shown.Frame, tab.Shown.Now, tab.Shown.Latency)
		if lat := now.Sub(frame); lat < minLatency || lat > maxLatency {
			t.Errorf("%s tab: frame time %s is %v before the browser's clock %s, want between %v and %v",
				tab.Kind, frame.UTC().Format(time.RFC3339Nano), lat, now.UTC().Format(time.RFC3339Nano), minLatency, maxLatency)
		}
		if got, want := tab.Shown.Frame, frame.UTC().Format("15:04:05.0")+" UTC"; got != want {
			t.Errorf("%s tab: shows pushed %q, want %q", tab.Kind, got, want)
		}
		if d := time.Duration(tab.Now-tab.BrowserNow) * time.Millisecond; !shownTimeRE.MatchString(tab.Shown.Now) || d.Abs() > 30*time.Second {
			t.Errorf("%s tab: shows now %q, %v from the browser's clock", tab.Kind, tab.Shown.Now, d)
		}
	}
	checkPanel(t, page, v.Tabs[0].Status)
}

// checkPanel compares the page's status panel with the ingest status.
func checkPanel(t *testing.T, page string, rows []panelRow) {
	t.Helper()
	var st struct {
		Ingest struct {
			Tracks []struct {
				ID            int    `json:"id"`
				Rendition     string `json:"rendition"`
				Kind          string `json:"kind"`
				Width, Height int
			} `json:"tracks"`
			Renditions []struct {
				Name                        string `json:"name"`
				Audio                       bool   `json:"audio"`
				Bandwidth, AverageBandwidth int64
			} `json:"renditions"`
		} `json:"ingest"`
	}
	if err := json.Unmarshal([]byte(get(t, strings.TrimSuffix(page, "/")+"/demo/status")), &st); err != nil {
		t.Fatal(err)
	}
	var shown []string
	lines := map[string]string{}
	for _, r := range rows {
		if name, ok := strings.CutPrefix(r.Head, "rendition "); ok {
			name, _, _ = strings.Cut(name, " ")
			shown = append(shown, name)
			lines[name] = strings.Join(r.Lines, "\n")
		}
	}
	var want []string
	for _, r := range st.Ingest.Renditions {
		want = append(want, r.Name)
	}
	if strings.Join(shown, ",") != strings.Join(want, ",") || len(want) != 4 {
		t.Errorf("status panel lists renditions %v, want the ingest status's %v (three video, one audio)", shown, want)
	}
	targets := map[string]int{}
	for _, r := range clip.Renditions() {
		targets[fmt.Sprintf("%dx%d", r.Width, r.Height)] = r.Bitrate / 1000
	}
	for _, r := range st.Ingest.Renditions {
		got := lines[r.Name]
		var wants []string
		for _, tr := range st.Ingest.Tracks {
			if tr.Rendition != r.Name {
				continue
			}
			w := fmt.Sprintf("track %d · %s", tr.ID, tr.Kind)
			if tr.Kind == "video" {
				w += fmt.Sprintf(" h264 %dx%d", tr.Width, tr.Height)
				wants = append(wants, fmt.Sprintf("encoder target %d kbit/s, video only", targets[fmt.Sprintf("%dx%d", tr.Width, tr.Height)]))
			}
			wants = append(wants, w)
		}
		if !r.Audio {
			wants = append(wants, fmt.Sprintf("pushed %d kbit/s peak, %d average", (r.Bandwidth+500)/1000, (r.AverageBandwidth+500)/1000))
		}
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("status panel, rendition %s: %q lacks %q", r.Name, got, w)
			}
		}
	}
}
