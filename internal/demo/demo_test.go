package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"

	"boxcar/internal/demo"
	"boxcar/internal/demo/clip"
	"boxcar/internal/testutil"
)

// startDemo runs a demo on an ephemeral port until the test ends.
func startDemo(t *testing.T, args ...string) demo.Info {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan demo.Info, 1)
	done := make(chan error, 1)
	var out lockedBuffer
	go func() {
		done <- demo.Run(ctx, demo.Options{
			Args: append([]string{"--listen", "127.0.0.1:0"}, args...), Stdout: &out, Stderr: &out,
			Started: func(i demo.Info) { started <- i },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	select {
	case info := <-started:
		return info
	case err := <-done:
		t.Fatalf("demo ended: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("demo did not start:\n%s", out.String())
	}
	return demo.Info{}
}

// TestRoutes: the page only at the root, the player libraries, and the
// public status of the demo channel.
func TestRoutes(t *testing.T) {
	info := startDemo(t)
	base := strings.TrimSuffix(info.PageURL, "/")
	for _, c := range []struct {
		path, contentType string
		status            int
		contains          string
	}{
		{"/", "text/html; charset=utf-8", 200, "/demo/vendor/hls.min.js"},
		{"/index.html", "", 404, ""},
		{"/demo/vendor/hls.min.js", "text/javascript; charset=utf-8", 200, ""},
		{"/demo/vendor/dash.all.min.js", "text/javascript; charset=utf-8", 200, ""},
		{"/demo/vendor/LICENSE-hls.js.txt", "text/plain; charset=utf-8", 200, "Apache License"},
		{"/demo/vendor/nope.js", "", 404, ""},
		{"/demo/status", "application/json", 200, `"playback":{"hls":"/out/v1/hls/index.m3u8","cmaf":"/out/v1/cmaf/index/index.m3u8","dash":"/out/v1/dash/index.mpd"}`},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("GET %s: %d, want %d", c.path, resp.StatusCode, c.status)
			continue
		}
		if c.contentType != "" && resp.Header.Get("Content-Type") != c.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, resp.Header.Get("Content-Type"), c.contentType)
		}
		if !strings.Contains(string(b), c.contains) {
			t.Errorf("GET %s: body lacks %q", c.path, c.contains)
		}
	}
	// Once the push has delivered, the status shows the channel's ingest;
	// it always lists the clip's renditions with their encoder targets,
	// which the page shows beside the ingest status's bit rates.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Ingest *struct {
				ActiveInput int `json:"activeInput"`
				Segments    int `json:"segments"`
			} `json:"ingest"`
			Clip []struct {
				Width, Height, TargetBitrate int
			} `json:"clip"`
		}
		resp, err := http.Get(base + "/demo/status")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, r := range clip.Renditions() {
			want = append(want, fmt.Sprintf("%dx%d %d", r.Width, r.Height, r.Bitrate))
		}
		var got []string
		for _, r := range st.Clip {
			got = append(got, fmt.Sprintf("%dx%d %d", r.Width, r.Height, r.TargetBitrate))
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Fatalf("status lists the clip as %v, want %v", got, want)
		}
		if st.Ingest != nil && st.Ingest.ActiveInput == 1 && st.Ingest.Segments > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ingest status after 30 s: %+v", st.Ingest)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestProgramDateTime: the HLS and CMAF playlists the page plays carry the
// encoder's program date-time on every segment, the wall-clock time from
// which the page draws when the frame playing was pushed.
func TestProgramDateTime(t *testing.T) {
	begin := time.Now()
	info := startDemo(t)
	for _, multivariant := range []string{info.HLS, info.CMAF} {
		var media string
		deadline := time.Now().Add(30 * time.Second)
		for {
			media = mediaPlaylist(t, multivariant)
			if strings.Count(media, "#EXTINF") >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no media playlist with segments after 30 s:\n%s", multivariant, media)
			}
			time.Sleep(200 * time.Millisecond)
		}
		now := time.Now()
		var pdts []time.Time
		for _, l := range strings.Split(media, "\n") {
			if v, ok := strings.CutPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:"); ok {
				pdt, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					t.Fatalf("%s: %q: %v", multivariant, l, err)
				}
				pdts = append(pdts, pdt)
			}
		}
		if got, want := len(pdts), strings.Count(media, "#EXTINF"); got != want {
			t.Errorf("%s: %d EXT-X-PROGRAM-DATE-TIME for %d segments, want one each:\n%s", multivariant, got, want, media)
			continue
		}
		// The head start is stamped as if the encoder had started that
		// long before the demo; the newest segment is pushed once its
		// media time has passed.
		if newest := pdts[len(pdts)-1]; newest.Before(begin.Add(-time.Minute)) || newest.After(now) {
			t.Errorf("%s: newest segment's program date-time %v, want between %v and %v",
				multivariant, newest.Format(time.RFC3339Nano), begin.Add(-time.Minute).Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		}
	}
}

// mediaPlaylist returns the first media playlist a multivariant playlist
// names, "" when either is not there yet.
func mediaPlaylist(t *testing.T, multivariant string) string {
	t.Helper()
	body := getText(t, multivariant)
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			u, err := url.Parse(multivariant)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := u.Parse(l)
			if err != nil {
				t.Fatal(err)
			}
			return getText(t, ref.String())
		}
	}
	return ""
}

// getText returns a 200 response's body, "" for another status.
func getText(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}

// TestAPIKey: the printed admin key works with the AWS SDK, and the
// channel and endpoints are there.
func TestAPIKey(t *testing.T) {
	info := startDemo(t)
	api := mediapackage.New(mediapackage.Options{
		Region: info.Region, BaseEndpoint: aws.String(info.APIEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(info.AccessKeyID, info.SecretAccessKey, ""),
	})
	chans, err := api.ListChannels(context.Background(), &mediapackage.ListChannelsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chans.Channels) != 1 || aws.ToString(chans.Channels[0].Id) != demo.ChannelID {
		t.Errorf("channels %+v, want %s", chans.Channels, demo.ChannelID)
	}
	eps, err := api.ListOriginEndpoints(context.Background(), &mediapackage.ListOriginEndpointsInput{ChannelId: aws.String(demo.ChannelID)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range eps.OriginEndpoints {
		ids = append(ids, aws.ToString(e.Id))
	}
	if strings.Join(ids, ",") != "cmaf,dash,hls" {
		t.Errorf("endpoints %v, want cmaf, dash, hls", ids)
	}
	if !info.Temporary || info.DataDir == "" {
		t.Errorf("data dir %q temporary %v, want a temporary one", info.DataDir, info.Temporary)
	}
}

// TestKeptDataDir: with --data-dir the demo keeps its data, and a second
// run finds its channel and endpoints instead of failing to create them.
func TestKeptDataDir(t *testing.T) {
	dir := t.TempDir()
	var first demo.Info
	t.Run("first", func(t *testing.T) { first = startDemo(t, "--data-dir", dir) })
	t.Run("second", func(t *testing.T) {
		second := startDemo(t, "--data-dir", dir)
		if second.Temporary || second.DataDir != dir {
			t.Errorf("data dir %q temporary %v, want %s kept", second.DataDir, second.Temporary, dir)
		}
		if second.Ingest != first.Ingest {
			t.Errorf("ingest endpoints changed across runs: %+v, then %+v", first.Ingest, second.Ingest)
		}
	})
}

type lockedBuffer = testutil.Buffer
