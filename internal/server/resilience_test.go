package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"

	"boxcar/internal/config"
	"boxcar/internal/mediatest"
	"boxcar/internal/server"
)

// TestMain lets the test binary run as a Boxcar server in a child process
// (BOXCAR_TEST_CHILD=serve), so tests can kill -9 a real server.
func TestMain(m *testing.M) {
	if os.Getenv("BOXCAR_TEST_CHILD") == "serve" {
		os.Exit(childServe())
	}
	os.Exit(m.Run())
}

func childServe() int {
	var args []string
	json.Unmarshal([]byte(os.Getenv("BOXCAR_TEST_ARGS")), &args)
	cfg, _, err := config.Load(args, os.Environ())
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// child is a Boxcar server in a child process.
type child struct {
	t       *testing.T
	cmd     *exec.Cmd
	url     string
	dataDir string
	addr    string
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startChild(t *testing.T, addr, dataDir string) *child {
	t.Helper()
	args, _ := json.Marshal([]string{"--listen", addr, "--data-dir", dataDir, "--log-level", "warn"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BOXCAR_TEST_CHILD=serve", "BOXCAR_TEST_ARGS="+string(args),
		"BOXCAR_ADMIN_ACCESS_KEY_ID="+testKeyID, "BOXCAR_ADMIN_SECRET_ACCESS_KEY="+testSecret)
	cmd.Stderr = &testLog{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, url: "http://" + addr, dataDir: dataDir, addr: addr}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return c
}

func (c *child) waitReady(timeout time.Duration) time.Duration {
	start := time.Now()
	waitFor(c.t, timeout, "the server to answer /readyz", func() bool {
		resp, err := http.Get(c.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return time.Since(start)
}

func (c *child) api() *mediapackage.Client {
	return mediapackage.New(mediapackage.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.url),
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")})
}

// mediaPlaylist is a parsed HLS media playlist: its media sequence number
// and segment URIs in order.
type mediaPlaylist struct {
	seq    uint64
	uris   []string
	gaps   int
	discs  int
	target string
}

func parseMedia(body string) mediaPlaylist {
	var m mediaPlaylist
	for _, l := range splitLines(body) {
		switch {
		case strings.HasPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"):
			m.seq, _ = strconv.ParseUint(strings.TrimPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"), 10, 64)
		case strings.HasPrefix(l, "#EXT-X-TARGETDURATION:"):
			m.target = strings.TrimPrefix(l, "#EXT-X-TARGETDURATION:")
		case l == "#EXT-X-GAP":
			m.gaps++
		case l == "#EXT-X-DISCONTINUITY":
			m.discs++
		case l != "" && l[0] != '#':
			m.uris = append(m.uris, l)
		}
	}
	return m
}

func (m mediaPlaylist) last() uint64 { return m.seq + uint64(len(m.uris)) - 1 }

// fetchMedia returns the first media playlist of an HLS endpoint and its
// URL.
func fetchMedia(t *testing.T, multivariantURL string) (mediaPlaylist, string) {
	t.Helper()
	code, body, _ := get(t, multivariantURL)
	if code != http.StatusOK {
		return mediaPlaylist{}, ""
	}
	base := multivariantURL[:strings.LastIndexByte(multivariantURL, '/')+1]
	u := base + firstMediaPlaylist(body)
	code, media, _ := get(t, u)
	if code != http.StatusOK {
		return mediaPlaylist{}, u
	}
	return parseMedia(media), u
}

// TestOriginKill9 kills a server mid-stream and starts it again: every
// segment URL of the window before is served with the same bytes, media
// sequence numbers continue, and a player that was playing resumes.
func TestOriginKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end resilience takes minutes")
	}
	players := mediatest.NewPlayers(t)
	addr, dir := freePort(t), t.TempDir()
	c := startChild(t, addr, dir)
	c.waitReady(30 * time.Second)
	api := c.api()
	ctx := context.Background()
	ch, err := api.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String("ha")})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := api.CreateOriginEndpoint(ctx, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("ha"), Id: aws.String("hls"),
		HlsPackage: &types.HlsPackage{SegmentDurationSeconds: aws.Int32(2), PlaylistWindowSeconds: aws.Int32(60)}})
	if err != nil {
		t.Fatal(err)
	}
	ie := ch.HlsIngest.IngestEndpoints[0]
	pushOpts := mediatest.PushOptions{URL: aws.ToString(ie.Url), Username: aws.ToString(ie.Username), Password: aws.ToString(ie.Password),
		Renditions: 1, SegmentSeconds: 2, Realtime: true, ListSize: 6}
	push := mediatest.StartPush(ctx, t, pushOpts)
	url := aws.ToString(ep.Url)
	waitFor(t, 60*time.Second, "five segments", func() bool { m, _ := fetchMedia(t, url); return len(m.uris) >= 5 })

	var wg sync.WaitGroup
	var res *mediatest.PlayResult
	var playErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, playErr = players.Play(ctx, mediatest.PlayOptions{Player: mediatest.PlayerHLSJS, URL: url, Seconds: 45})
	}()
	time.Sleep(12 * time.Second)

	before, mediaURL := fetchMedia(t, url)
	base := mediaURL[:strings.LastIndexByte(mediaURL, '/')+1]
	sums := map[string][32]byte{}
	for _, u := range before.uris {
		code, body, _ := get(t, base+u)
		if code != http.StatusOK {
			t.Fatalf("before the kill: %s: %d", u, code)
		}
		sums[u] = sha256.Sum256([]byte(body))
	}

	// kill -9, then start again on the same data directory.
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
	killed := time.Now()
	c2 := startChild(t, addr, dir)
	var firstPlaylist time.Duration
	waitFor(t, 30*time.Second, "the playlist after the restart", func() bool {
		resp, err := http.Get(mediaURL)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			firstPlaylist = time.Since(killed)
			return true
		}
		return false
	})
	t.Logf("restart: first playlist served %v after the kill", firstPlaylist.Round(time.Millisecond))
	_ = c2

	after, _ := fetchMedia(t, url)
	if after.seq < before.seq {
		t.Fatalf("media sequence went back: %d after the restart, %d before", after.seq, before.seq)
	}
	for _, u := range before.uris {
		code, body, _ := get(t, base+u)
		if code != http.StatusOK {
			t.Fatalf("after the restart: %s: %d", u, code)
		}
		if sha256.Sum256([]byte(body)) != sums[u] {
			t.Fatalf("after the restart: %s changed", u)
		}
	}
	// Same numbering: a URI at a sequence number before is at it after.
	for i, u := range after.uris {
		seq := after.seq + uint64(i)
		if seq >= before.seq && seq <= before.last() && before.uris[seq-before.seq] != u {
			t.Fatalf("sequence %d was %s before the restart, %s after", seq, before.uris[seq-before.seq], u)
		}
	}
	// ffmpeg gives up when its PUTs fail; a real encoder reconnects. Start
	// it again if it stopped: its timestamps restart, which must be a
	// discontinuity, not a renumbering.
	select {
	case <-push.Done():
		t.Log("encoder stopped during the outage; restarting it")
		push = mediatest.StartPush(ctx, t, pushOpts)
	default:
	}
	waitFor(t, 30*time.Second, "new segments after the restart", func() bool {
		m, _ := fetchMedia(t, url)
		return m.last() >= before.last()+3
	})
	wg.Wait()
	push.Stop()
	if playErr != nil {
		t.Fatal(playErr)
	}
	t.Log(res.Summary())
	if len(res.FatalErrors) > 0 {
		t.Fatalf("player errors: %+v", res.FatalErrors)
	}
	// The player resumed: currentTime moved in the last 10 s of the run.
	n := len(res.Samples)
	if n < 20 {
		t.Fatalf("too few samples: %d", n)
	}
	lastT := res.Samples[n-1]
	var earlier mediatest.Sample
	for _, s := range res.Samples {
		if s.T <= lastT.T-10 {
			earlier = s
		}
	}
	if lastT.CurrentTime-earlier.CurrentTime < 5 {
		t.Fatalf("player did not resume: currentTime %.1f at %.1f s, %.1f at %.1f s", earlier.CurrentTime, earlier.T, lastT.CurrentTime, lastT.T)
	}
}

// TestFailoverAligned runs two encoder pipelines with aligned timestamps
// into a channel's two ingest endpoints and kills the active one while
// hls.js and Shaka play: no stall longer than a segment, no error, no gap,
// no discontinuity.
func TestFailoverAligned(t *testing.T) {
	testFailover(t, 0)
}

// TestFailoverUnaligned does the same with pipelines whose timestamps
// differ: one discontinuity, playback continues.
func TestFailoverUnaligned(t *testing.T) {
	testFailover(t, 1000)
}

func testFailover(t *testing.T, offset2 float64) {
	if testing.Short() {
		t.Skip("end-to-end failover takes minutes")
	}
	players := mediatest.NewPlayers(t)
	o := startOrigin(t, t.TempDir(), nil)
	ie := o.createChannel(t, "ha")
	hls := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("ha"), Id: aws.String("hls"),
		HlsPackage: &types.HlsPackage{SegmentDurationSeconds: aws.Int32(2), PlaylistWindowSeconds: aws.Int32(60)}})
	dash := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("ha"), Id: aws.String("dash"),
		DashPackage: &types.DashPackage{SegmentDurationSeconds: aws.Int32(2), ManifestWindowSeconds: aws.Int32(60),
			MinBufferTimeSeconds: aws.Int32(6), MinUpdatePeriodSeconds: aws.Int32(2), SuggestedPresentationDelaySeconds: aws.Int32(10),
			UtcTiming: types.UtcTimingHttpIso}})
	ctx := context.Background()
	opts := func(i int, offset float64) mediatest.PushOptions {
		return mediatest.PushOptions{URL: aws.ToString(ie[i].Url), Username: aws.ToString(ie[i].Username), Password: aws.ToString(ie[i].Password),
			Renditions: 1, SegmentSeconds: 2, Realtime: true, OutputTSOffset: offset}
	}
	// Both pipelines start together, as two encoders fed the same source.
	push1 := mediatest.StartPush(ctx, t, opts(0, 0))
	push2 := mediatest.StartPush(ctx, t, opts(1, offset2))
	defer push2.Stop()
	url := aws.ToString(hls.Url)
	waitFor(t, 60*time.Second, "five segments", func() bool { m, _ := fetchMedia(t, url); return len(m.uris) >= 5 })
	if st := status(t, o, "ha"); st.ActiveInput != 1 && st.ActiveInput != 2 {
		t.Fatalf("active input %d", st.ActiveInput)
	}
	active := status(t, o, "ha").ActiveInput
	killActive := push1
	if active == 2 {
		killActive = push2
	}
	before, _ := fetchMedia(t, url)

	// Watch the playlist's newest segment to measure the failover: the
	// longest wait for a new segment around the kill, against the
	// segment duration.
	watchCtx, stopWatch := context.WithCancel(ctx)
	intervals := make(chan time.Duration, 1)
	go func() {
		var last uint64
		var lastAt time.Time
		var longest time.Duration
		for watchCtx.Err() == nil {
			m, _ := fetchMedia(t, url)
			if n := m.last(); len(m.uris) > 0 && n != last {
				now := time.Now()
				if !lastAt.IsZero() && now.Sub(lastAt) > longest {
					longest = now.Sub(lastAt)
				}
				last, lastAt = n, now
			}
			time.Sleep(50 * time.Millisecond)
		}
		intervals <- longest
	}()

	var wg sync.WaitGroup
	results := make([]*mediatest.PlayResult, 2)
	errs := make([]error, 2)
	ended := make([]time.Time, 2) // when each Play returned
	for i, p := range []struct{ player, url string }{{mediatest.PlayerHLSJS, url}, {mediatest.PlayerShaka, aws.ToString(dash.Url)}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = players.Play(ctx, mediatest.PlayOptions{Player: p.player, URL: p.url, Seconds: 36})
			ended[i] = time.Now()
		}()
	}
	time.Sleep(14 * time.Second)
	killedAt := time.Now()
	killActive.Kill()
	t.Logf("killed the pipeline of input %d", active)
	wg.Wait()
	stopWatch()
	t.Logf("failover: the longest wait for a new segment was %v (segments are 2 s; failover after %v of silence)",
		(<-intervals).Round(10*time.Millisecond), 3*time.Second)
	if active == 2 {
		push1.Stop()
	}

	st := status(t, o, "ha")
	if st.ActiveInput == active || st.InputSwitches != 1 {
		t.Fatalf("after the kill: active input %d (was %d), %d switches", st.ActiveInput, active, st.InputSwitches)
	}
	after, _ := fetchMedia(t, url)
	if after.last() < before.last()+8 {
		t.Fatalf("the playlist did not go on after the failover: last sequence %d, %d before", after.last(), before.last())
	}
	if after.gaps != 0 {
		t.Fatalf("the playlist has %d gaps after the failover", after.gaps)
	}
	wantDiscs := 0
	if offset2 != 0 {
		wantDiscs = 1
	}
	if after.discs != wantDiscs {
		t.Fatalf("the playlist has %d discontinuities after the failover, want %d", after.discs, wantDiscs)
	}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Log(res.Summary())
		// No stall longer than one segment (2 s; the harness samples every
		// 0.5 s), and still advancing at the end of the watch.
		if err := res.Check(8, 2.5); err != nil {
			t.Error(err)
		}
		// That judges the failover only if the player was already playing
		// when the pipeline died. Its clock started at the latest
		// WallSeconds before Play returned.
		if before := killedAt.Sub(ended[i]).Seconds() + res.WallSeconds - res.StartupSeconds; res.Started && before <= 0 {
			t.Errorf("%s started playing up to %.1f s after the kill (start-up %.1f s, %v waiting for a browser slot): it did not watch the failover",
				res.Player, -before, res.StartupSeconds, res.SlotWait.Round(100*time.Millisecond))
		}
	}
}

// ingestStatus is the part of the ingest status view the tests read.
type ingestStatus struct {
	ActiveInput   int `json:"activeInput"`
	InputSwitches int `json:"inputSwitches"`
	Segments      int `json:"segments"`
	Gaps          int `json:"gaps"`
}

func status(t *testing.T, o *origin, channel string) ingestStatus {
	t.Helper()
	// The status route needs SigV4; sign with the SDK's signer through a
	// presigned-style request is overkill here: use the admin key via a
	// signed http request.
	req, _ := http.NewRequest(http.MethodGet, o.url+"/boxcar/v1/channels/"+channel+"/ingest_status", nil)
	resp, err := signedDo(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st ingestStatus
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest status: %s", resp.Status)
	}
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}
