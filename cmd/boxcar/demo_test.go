package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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
// artifacts/demo-page.png), and cancelling stops everything and removes the
// temporary data directory.
func TestDemo(t *testing.T) {
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

	shot := filepath.Join(mediatest.ModuleRoot(t), "artifacts", "demo-page.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
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
			if err := res.Check(10, 4); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

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
