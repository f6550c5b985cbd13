package server_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"boxcar/internal/config"
	"boxcar/internal/server"
	"boxcar/internal/testutil"
)

// answerWithin bounds every wait for the server in these tests: generous
// for a loaded machine, far below "forever".
const answerWithin = 5 * time.Second

// dialRaw opens a TCP connection to the origin.
func dialRaw(t *testing.T, o *origin) net.Conn {
	t.Helper()
	u, err := url.Parse(o.url)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAnswer reads one response from c within answerWithin.
func readAnswer(t *testing.T, c net.Conn, br *bufio.Reader) *http.Response {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(answerWithin))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within %s: %v", answerWithin, err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("response body: %v", err)
	}
	resp.Body.Close()
	return resp
}

// expectClosed checks that the server closes c within answerWithin: a
// read ends in EOF or a reset, not a timeout.
func expectClosed(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(answerWithin))
	n, err := io.Copy(io.Discard, br)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open %s after the response (%d more bytes read)", answerWithin, n)
	}
}

// trickle writes one byte of body every interval until the connection
// fails or stop is closed.
func trickle(c net.Conn, interval time.Duration, stop <-chan struct{}) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}
}

// TestWithheldBodyDoesNotHoldConnection: a request whose headers promise a
// body that never comes, or comes a byte at a time, is answered at once
// when its handler does not need the body (or, for the API, which reads
// the body before checking the signature, within http.bodyTimeout), and
// its connection is closed. net/http on its own would wait for up to
// 256 KiB of that body before answering, with no deadline.
func TestWithheldBodyDoesNotHoldConnection(t *testing.T) {
	// Default limits: routes that do not read the body must not wait for
	// it at all, whatever http.bodyTimeout is.
	o := startOrigin(t, t.TempDir(), nil)
	// The API reads the body before it checks the signature, so it
	// answers when http.bodyTimeout expires.
	api := startOrigin(t, t.TempDir(), func(c *config.Config) { c.HTTP.BodyTimeout = time.Second })
	ie := o.createChannel(t, "hostile")
	ingest, err := url.Parse(aws.ToString(ie[0].Url))
	if err != nil {
		t.Fatal(err)
	}
	routes := []struct {
		name, method, path string
		o                  *origin
		want               int // 0: any 4xx
	}{
		{"healthz GET with body", "GET", "/healthz", o, 200},
		{"playback POST", "POST", "/out/v1/x/index.m3u8", o, 405},
		{"playback GET with body", "GET", "/out/v1/x/index.m3u8", o, 404},
		{"unsigned API call", "POST", "/channels", api, 0},
		{"unauthenticated ingest PUT", "PUT", ingest.Path + "/seg1.ts", o, 401},
	}
	for _, rt := range routes {
		for _, mode := range []string{"withheld", "trickled"} {
			t.Run(rt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				c := dialRaw(t, rt.o)
				// 100 bytes trickled one per 100 ms would take 10 s.
				fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", rt.method, rt.path)
				if mode == "trickled" {
					stop := make(chan struct{})
					defer close(stop)
					go trickle(c, 100*time.Millisecond, stop)
				}
				br := bufio.NewReader(c)
				resp := readAnswer(t, c, br)
				if rt.want != 0 && resp.StatusCode != rt.want || rt.want == 0 && resp.StatusCode/100 != 4 {
					t.Errorf("status %d, want %d", resp.StatusCode, rt.want)
				}
				if !resp.Close {
					t.Errorf("response does not close the connection: Connection %q", resp.Header.Get("Connection"))
				}
				expectClosed(t, c, br)
			})
		}
	}
}

// TestReadBodyKeepsConnection: a body read to its end leaves the
// connection open for the next request, and ingest bodies are not held to
// http.bodyTimeout (ingest sets its own deadlines: encoders open uploads
// before the media exists).
func TestReadBodyKeepsConnection(t *testing.T) {
	o := startOrigin(t, t.TempDir(), func(c *config.Config) { c.HTTP.BodyTimeout = time.Second })
	ie := o.createChannel(t, "slowpush")

	t.Run("API call with a complete body", func(t *testing.T) {
		c := dialRaw(t, o)
		br := bufio.NewReader(c)
		for i := range 2 {
			// Signed (badly): the API reads the body to check the
			// signature. An unsigned call is refused before its body.
			fmt.Fprintf(c, "POST /channels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
				"Authorization: AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20261202/us-east-1/mediapackage/aws4_request, SignedHeaders=host, Signature=00\r\n"+
				"Content-Length: 2\r\n\r\n{}")
			resp := readAnswer(t, c, br)
			if resp.StatusCode != http.StatusForbidden || resp.Close {
				t.Fatalf("request %d: status %d, close %v; want 403 on a kept connection", i, resp.StatusCode, resp.Close)
			}
		}
	})
	t.Run("ingest body slower than http.bodyTimeout", func(t *testing.T) {
		u, err := url.Parse(aws.ToString(ie[0].Url))
		if err != nil {
			t.Fatal(err)
		}
		auth := base64.StdEncoding.EncodeToString([]byte(aws.ToString(ie[0].Username) + ":" + aws.ToString(ie[0].Password)))
		c := dialRaw(t, o)
		const body = "not a transport stream"
		fmt.Fprintf(c, "PUT %s/seg1.ts HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n", u.Path, auth, len(body))
		for i := range len(body) { // 2.2 s, over twice http.bodyTimeout
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte{body[i]}); err != nil {
				t.Fatalf("upload cut after %d bytes: %v", i, err)
			}
		}
		resp := readAnswer(t, c, bufio.NewReader(c))
		// The whole body arrived and was judged: not a timeout.
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("status %d, want 415 (the body was received and is not media)", resp.StatusCode)
		}
	})
}

// expectRefused checks that c is answered 503 or closed without an
// answer, within answerWithin.
func expectRefused(t *testing.T, c net.Conn) {
	t.Helper()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(answerWithin))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("connection over the cap neither answered nor closed within %s", answerWithin)
	case err != nil:
		// Closed before the 503 could be read: refused all the same.
	case resp.StatusCode != http.StatusServiceUnavailable || !resp.Close:
		t.Fatalf("connection over the cap: status %d, close %v; want 503 and close", resp.StatusCode, resp.Close)
	default:
		expectClosed(t, c, br)
	}
}

// expectServed checks that c gets a 200 for /healthz.
func expectServed(t *testing.T, c net.Conn) {
	t.Helper()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp := readAnswer(t, c, bufio.NewReader(c)); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
}

// TestConnectionCaps: connections over http.maxConns, or over
// http.maxConnsPerIP from one address, are refused at once and counted;
// a closed connection frees its place.
func TestConnectionCaps(t *testing.T) {
	t.Run("global", func(t *testing.T) {
		o := startOrigin(t, t.TempDir(), func(c *config.Config) { c.HTTP.MaxConns, c.HTTP.EvictWaitingAfter = 3, 0 })
		held := make([]net.Conn, 3)
		for i := range held {
			held[i] = dialRaw(t, o)
			expectServed(t, held[i]) // admitted, kept alive
		}
		expectRefused(t, dialRaw(t, o))
		if got := testutil.Metric(t, o.srv.Registry(), "boxcar_http_connections_refused_total", map[string]string{"reason": "max_conns"}); got != 1 {
			t.Errorf("refused max_conns = %v, want 1", got)
		}
		held[0].Close()
		waitFor(t, answerWithin, "the closed connection to free its place", func() bool {
			return testutil.Metric(t, o.srv.Registry(), "boxcar_http_connections", nil) == 2
		})
		expectServed(t, dialRaw(t, o))
	})
	t.Run("per address", func(t *testing.T) {
		o := startOrigin(t, t.TempDir(), func(c *config.Config) {
			c.HTTP.MaxConns, c.HTTP.MaxConnsPerIP, c.HTTP.EvictWaitingAfter = 100, 2, 0
		})
		for range 2 {
			expectServed(t, dialRaw(t, o))
		}
		expectRefused(t, dialRaw(t, o))
		if got := testutil.Metric(t, o.srv.Registry(), "boxcar_http_connections_refused_total", map[string]string{"reason": "max_conns_per_ip"}); got != 1 {
			t.Errorf("refused max_conns_per_ip = %v, want 1", got)
		}
		// Another address is not affected.
		u, _ := url.Parse(o.url)
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		c, err := d.Dial("tcp", u.Host)
		if err != nil {
			t.Skipf("cannot dial from 127.0.0.2 on this machine: %v", err)
		}
		defer c.Close()
		expectServed(t, c)
	})
}

// TestConnectionCapsEvictWaiting: at a cap, a new connection takes the
// place of the oldest one that has sent nothing (or sits idle between
// requests) for http.evictWaitingAfter, so clients that connect and say
// nothing cannot keep players out; connections with a request in progress
// are never evicted.
func TestConnectionCapsEvictWaiting(t *testing.T) {
	const wait = 300 * time.Millisecond
	evicted := func(t *testing.T, o *origin, reason string) float64 {
		return testutil.Metric(t, o.srv.Registry(), "boxcar_http_connections_evicted_total", map[string]string{"reason": reason})
	}
	t.Run("silent connections make room", func(t *testing.T) {
		o := startOrigin(t, t.TempDir(), func(c *config.Config) { c.HTTP.MaxConns, c.HTTP.EvictWaitingAfter = 3, wait })
		silent := make([]net.Conn, 3)
		for i := range silent {
			silent[i] = dialRaw(t, o) // connects, sends nothing
		}
		time.Sleep(2 * wait)
		expectServed(t, dialRaw(t, o))
		if got := evicted(t, o, "max_conns"); got != 1 {
			t.Errorf("evicted max_conns = %v, want 1", got)
		}
		// The oldest silent connection was closed.
		silent[0].SetReadDeadline(time.Now().Add(answerWithin))
		if _, err := silent[0].Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("the oldest silent connection is still open (read: %v)", err)
		}
		if got := testutil.Metric(t, o.srv.Registry(), "boxcar_http_connections", nil); got != 3 {
			t.Errorf("open connections = %v, want 3", got)
		}
	})
	t.Run("busy connections stay", func(t *testing.T) {
		o := startOrigin(t, t.TempDir(), func(c *config.Config) { c.HTTP.MaxConns, c.HTTP.EvictWaitingAfter = 3, wait })
		for range 3 {
			// A signed API call whose body trickles in: a request in
			// progress, read by its handler.
			c := dialRaw(t, o)
			fmt.Fprintf(c, "POST /channels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
				"Authorization: AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20261202/us-east-1/mediapackage/aws4_request, SignedHeaders=host, Signature=00\r\n"+
				"Content-Length: 100\r\n\r\n{")
		}
		time.Sleep(2 * wait)
		expectRefused(t, dialRaw(t, o))
		if got := evicted(t, o, "max_conns"); got != 0 {
			t.Errorf("evicted max_conns = %v, want 0", got)
		}
	})
	t.Run("per address", func(t *testing.T) {
		o := startOrigin(t, t.TempDir(), func(c *config.Config) {
			c.HTTP.MaxConns, c.HTTP.MaxConnsPerIP, c.HTTP.EvictWaitingAfter = 100, 2, wait
		})
		idle := dialRaw(t, o)
		expectServed(t, idle) // then idle between requests
		dialRaw(t, o)         // silent
		time.Sleep(2 * wait)
		expectServed(t, dialRaw(t, o))
		if got := evicted(t, o, "max_conns_per_ip"); got != 1 {
			t.Errorf("evicted max_conns_per_ip = %v, want 1", got)
		}
	})
}

// emfileListener fails its first accepts as a process out of file
// descriptors does.
type emfileListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.fails > 0
	l.fails--
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptOutOfFileDescriptors: accepts failing with EMFILE are logged
// at ERROR (once per interval, not once per failure), counted, and
// retried; serving resumes when descriptors are free again.
func TestAcceptOutOfFileDescriptors(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load([]string{"--listen", inner.Addr().String(), "--data-dir", t.TempDir(), "--log-level", "info", "--insecure-no-auth"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	srv, err := server.New(cfg, server.Options{LogOutput: logs, Listener: &emfileListener{Listener: inner, fails: 5}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-srv.Ready()

	client := &http.Client{Timeout: answerWithin}
	resp, err := client.Get(srv.PublicURL() + "/healthz")
	if err != nil {
		t.Fatalf("not served after the accept failures: %v", err)
	}
	resp.Body.Close()

	o := &origin{srv: srv}
	if got := testutil.Metric(t, o.srv.Registry(), "boxcar_http_accept_errors_total", map[string]string{"reason": "fd_exhausted"}); got != 5 {
		t.Errorf("accept errors fd_exhausted = %v, want 5", got)
	}
	var errorLines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, "too many open files") {
			errorLines = append(errorLines, l)
		}
	}
	if len(errorLines) != 1 {
		t.Errorf("%d ERROR lines naming too many open files, want 1 (rate-limited); log:\n%s", len(errorLines), logs.String())
	}
}

// TestMetricsAuth: /metrics is open by default and, when configured,
// needs the bearer token or the Basic credentials.
func TestMetricsAuth(t *testing.T) {
	const token = "metrics-token-0123456789abcdef"
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	for _, tc := range []struct {
		name string
		cfg  config.MetricsConfig
		auth string
		want int
	}{
		{"off", config.MetricsConfig{}, "", 200},
		{"token, none sent", config.MetricsConfig{BearerToken: token}, "", 401},
		{"token, wrong", config.MetricsConfig{BearerToken: token}, "Bearer " + token + "x", 401},
		{"token, right", config.MetricsConfig{BearerToken: token}, "Bearer " + token, 200},
		{"token, scheme in lower case", config.MetricsConfig{BearerToken: token}, "bearer " + token, 200},
		{"basic, none sent", config.MetricsConfig{Username: "prom", Password: "scrape-secret"}, "", 401},
		{"basic, wrong password", config.MetricsConfig{Username: "prom", Password: "scrape-secret"}, basic("prom", "scrape-secreT"), 401},
		{"basic, wrong user", config.MetricsConfig{Username: "prom", Password: "scrape-secret"}, basic("prum", "scrape-secret"), 401},
		{"basic, right", config.MetricsConfig{Username: "prom", Password: "scrape-secret"}, basic("prom", "scrape-secret"), 200},
		{"basic only, token sent", config.MetricsConfig{Username: "prom", Password: "scrape-secret"}, "Bearer " + token, 401},
		{"both, basic sent", config.MetricsConfig{BearerToken: token, Username: "prom", Password: "scrape-secret"}, basic("prom", "scrape-secret"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := startOrigin(t, t.TempDir(), func(c *config.Config) { c.Metrics = tc.cfg })
			req, _ := http.NewRequest(http.MethodGet, o.url+"/metrics", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 200 && !strings.Contains(string(b), "boxcar_http_connections ") {
				t.Errorf("metrics body lacks boxcar_http_connections:\n%.500s", b)
			}
			if tc.want == 401 {
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if strings.Contains(string(b), "boxcar_") {
					t.Error("401 body leaks metrics")
				}
			}
		})
	}
}
