package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"

	"boxcar/internal/config"
	"boxcar/internal/server"
)

const (
	testKeyID  = "AKIDBOXCARTEST"
	testSecret = "boxcar-test-secret"
)

// origin is a Boxcar server running in the test process.
type origin struct {
	srv    *server.Server
	url    string
	api    *mediapackage.Client
	cancel context.CancelFunc
	done   chan error
}

// startOrigin runs a server on an ephemeral port with an admin key; mod
// adjusts the configuration.
func startOrigin(t *testing.T, dataDir string, mod func(*config.Config)) *origin {
	t.Helper()
	cfg, _, err := config.Load([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"},
		[]string{"BOXCAR_ADMIN_ACCESS_KEY_ID=" + testKeyID, "BOXCAR_ADMIN_SECRET_ACCESS_KEY=" + testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, server.Options{LogOutput: &testLog{t: t}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &origin{srv: srv, url: srv.PublicURL(), cancel: cancel, done: make(chan error, 1)}
	go func() { o.done <- srv.Run(ctx) }()
	<-srv.Ready()
	o.api = mediapackage.New(mediapackage.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(o.url),
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
	})
	t.Cleanup(o.stop)
	return o
}

func (o *origin) stop() {
	if o.cancel == nil {
		return
	}
	o.cancel()
	<-o.done
	o.cancel = nil
}

// testLog sends the server log to the test log.
type testLog struct{ t *testing.T }

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// createChannel creates a channel and returns its ingest endpoints.
func (o *origin) createChannel(t *testing.T, id string) []types.IngestEndpoint {
	t.Helper()
	out, err := o.api.CreateChannel(context.Background(), &mediapackage.CreateChannelInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.HlsIngest.IngestEndpoints
}

func (o *origin) createEndpoint(t *testing.T, in *mediapackage.CreateOriginEndpointInput) *mediapackage.CreateOriginEndpointOutput {
	t.Helper()
	out, err := o.api.CreateOriginEndpoint(context.Background(), in)
	if err != nil {
		t.Fatalf("create endpoint %s: %v", aws.ToString(in.Id), err)
	}
	return out
}

// get fetches a URL and returns status and body.
func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// waitFor polls until cond holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// segmentsIn counts the media segments a playlist lists.
func segmentsIn(playlist string) int {
	n := 0
	for _, l := range strings.Split(playlist, "\n") {
		if strings.HasPrefix(l, "#EXTINF") {
			n++
		}
	}
	return n
}
