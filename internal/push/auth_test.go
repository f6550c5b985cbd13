package push_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"boxcar/internal/mediatest"
	"boxcar/internal/push"
)

// proxy sits between the pusher and Boxcar's ingest to change what the
// server says.
type proxy struct {
	target *url.URL
	rp     *httputil.ReverseProxy
	// onlyAlgorithm, when set, keeps only the Digest challenges of that
	// algorithm.
	onlyAlgorithm string
	// staleEvery, when set, answers every n-th authenticated request
	// with a fresh challenge marked stale=true instead of forwarding it.
	staleEvery int64

	authenticated atomic.Int64
	mu            sync.Mutex
	algorithms    map[string]int // algorithm= of the Digest answers seen
	stales        int
}

func newProxy(t *testing.T, target string) (*proxy, string) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: u, algorithms: map[string]int{}}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ModifyResponse = func(r *http.Response) error {
		if p.onlyAlgorithm == "" || r.StatusCode != http.StatusUnauthorized {
			return nil
		}
		var keep []string
		for _, v := range r.Header.Values("WWW-Authenticate") {
			if strings.Contains(v, "algorithm="+p.onlyAlgorithm+",") {
				keep = append(keep, v)
			}
		}
		r.Header["Www-Authenticate"] = keep
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Digest ") {
		alg := "MD5"
		if i := strings.Index(a, "algorithm="); i >= 0 {
			alg = strings.SplitN(a[i+len("algorithm="):], ",", 2)[0]
		}
		p.mu.Lock()
		p.algorithms[alg]++
		p.mu.Unlock()
		if n := p.authenticated.Add(1); p.staleEvery > 0 && n%p.staleEvery == 0 {
			p.answerStale(w, r)
			return
		}
	}
	p.rp.ServeHTTP(w, r)
}

// answerStale gets a fresh challenge from the server and passes it on
// marked stale, as a server does when the client's nonce expired.
func (p *proxy) answerStale(w http.ResponseWriter, r *http.Request) {
	req, _ := http.NewRequest(http.MethodPut, p.target.ResolveReference(&url.URL{Path: r.URL.Path}).String(), http.NoBody)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp.Body.Close()
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.HasPrefix(v, "Digest ") {
			v += ", stale=true"
		}
		w.Header().Add("WWW-Authenticate", v)
	}
	p.mu.Lock()
	p.stales++
	p.mu.Unlock()
	w.WriteHeader(http.StatusUnauthorized)
}

// TestPushDigest: Digest with MD5 only, and a server that declares nonces
// stale now and then; no upload may fail.
func TestPushDigest(t *testing.T) {
	for _, c := range []struct {
		name       string
		algorithm  string
		staleEvery int64
	}{
		{"MD5", "MD5", 0},
		{"SHA-256 with stale nonces", "", 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := startOrigin(t)
			in, _ := o.channel(t, "ch")
			p, proxyURL := newProxy(t, o.url)
			p.onlyAlgorithm, p.staleEvery = c.algorithm, c.staleEvery
			ingest := proxyURL + strings.TrimPrefix(aws.ToString(in.Url), o.url)
			var out bytes.Buffer
			err := push.Run(context.Background(), push.Options{
				URL: ingest, Username: aws.ToString(in.Username), Password: aws.ToString(in.Password),
				Auth: push.AuthDigest, Duration: 8 * time.Second, Status: &out,
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			want := "SHA-256"
			if c.algorithm != "" {
				want = c.algorithm
			}
			if len(p.algorithms) != 1 || p.algorithms[want] == 0 {
				t.Errorf("Digest answers by algorithm %v, want only %s", p.algorithms, want)
			}
			if c.staleEvery > 0 && p.stales == 0 {
				t.Error("the proxy never declared a nonce stale")
			}
		})
	}
}

// TestPushRefused: wrong or missing credentials fail every upload; the
// push says so with the server's status and message, counts repeats, and
// returns a StatusError.
func TestPushRefused(t *testing.T) {
	o := startOrigin(t)
	in, _ := o.channel(t, "ch")
	for _, c := range []struct {
		name, user, pass string
		wantOut          string
	}{
		{"wrong password", aws.ToString(in.Username), "wrong", "401 Unauthorized"},
		{"no credentials", "", "", "set a username and password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := push.Run(context.Background(), push.Options{
				URL: aws.ToString(in.Url), Username: c.user, Password: c.pass, Duration: 4 * time.Second, Status: &out,
			})
			var se *push.StatusError
			if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
				t.Fatalf("error %v, want a 401 StatusError", err)
			}
			if !strings.Contains(out.String(), c.wantOut) || !strings.Contains(out.String(), "more like the last") {
				t.Errorf("output does not report the 401 (%q) and its repeats:\n%s", c.wantOut, out.String())
			}
			if n := strings.Count(out.String(), "401"); n > 3 {
				t.Errorf("the same error printed %d times:\n%s", n, out.String())
			}
		})
	}
}

// TestPushPlainOrigin pushes into a plain WebDAV-style directory server
// that wants Basic: auto mode falls back to Basic, the playlists slide, and
// segments that leave the window are deleted.
func TestPushPlainOrigin(t *testing.T) {
	dir := t.TempDir()
	srv := mediatest.ServeDir(t, dir, mediatest.DirServerOptions{Username: "enc", Password: "s3cret"})
	var out bytes.Buffer
	err := push.Run(context.Background(), push.Options{
		URL: srv.URL + "/live/channel", Username: "enc", Password: "s3cret",
		Duration: 16 * time.Second, WindowSegments: 3, DeleteOld: true, Status: &out,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	st := srv.Stats()
	// Each rendition's first request meets the challenge before auto
	// mode settles on Basic.
	if st.Rejected == 0 || st.Rejected > 5 {
		t.Errorf("%d requests rejected, want between 1 and 5 (first contacts)", st.Rejected)
	}
	// 8 segments per rendition, 3 kept: 5 deleted from each of 4.
	if st.Deletes != 4*5 {
		t.Errorf("%d deletes, want 20", st.Deletes)
	}
	for n := 1; n <= 4; n++ {
		segs, _ := filepath.Glob(filepath.Join(dir, "live", "channel_"+string(rune('0'+n))+"_*.ts"))
		if len(segs) != 3 {
			t.Errorf("rendition %d: %d segments left, want 3: %v", n, len(segs), segs)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "live", "channel_1.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pushed_channel_1.m3u8", pdtRE.ReplaceAll(b, []byte("#EXT-X-PROGRAM-DATE-TIME:<time>")))
	b, err = os.ReadFile(filepath.Join(dir, "live", "channel.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	// Bit rates depend on the TS muxer's overhead; the golden file keeps
	// the rest.
	golden(t, "pushed_channel.m3u8", bandwidthRE.ReplaceAll(b, []byte("$1=<bit/s>")))
}

var (
	pdtRE       = regexp.MustCompile(`#EXT-X-PROGRAM-DATE-TIME:\S+`)
	bandwidthRE = regexp.MustCompile(`(BANDWIDTH)=\d+`)
)

// TestPushVideoOnly: a clip without audio makes video renditions only, in
// either container.
func TestPushVideoOnly(t *testing.T) {
	clip, err := push.LoadFiles(testClip(t, "unaligned.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []push.SegmentType{push.SegmentTS, push.SegmentFMP4} {
		dir := t.TempDir()
		srv := mediatest.ServeDir(t, dir, mediatest.DirServerOptions{})
		var out bytes.Buffer
		if err := push.Run(context.Background(), push.Options{URL: srv.URL + "/channel", Clip: clip, SegmentType: st, Duration: 6 * time.Second, Status: &out}); err != nil {
			t.Fatalf("%v: %v\n%s", st, err, out.String())
		}
		b, err := os.ReadFile(filepath.Join(dir, "channel.m3u8"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "mp4a") || strings.Contains(string(b), "EXT-X-MEDIA") || strings.Count(string(b), "EXT-X-STREAM-INF") != 2 {
			t.Errorf("%v: multivariant playlist of a video-only clip:\n%s", st, b)
		}
	}
}
