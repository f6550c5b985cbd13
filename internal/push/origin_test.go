package push_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"

	"boxcar/internal/config"
	"boxcar/internal/server"
	"boxcar/internal/testutil"
)

// origin is a Boxcar server in the test process with an insecure API.
type origin struct {
	url string
	api *mediapackage.Client
	log *lockedLog
}

func startOrigin(t *testing.T) *origin {
	t.Helper()
	cfg, _, err := config.Load([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--insecure-no-auth", "--log-level", "warn"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := &lockedLog{}
	srv, err := server.New(cfg, server.Options{LogOutput: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Ready()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	return &origin{
		url: srv.PublicURL(),
		log: log,
		api: mediapackage.New(mediapackage.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(srv.PublicURL()),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		}),
	}
}

// channel creates a channel with an HLS (TS) endpoint "<id>-hls" whose
// window holds minutes, and returns its first ingest endpoint and the
// endpoint's playback URL.
func (o *origin) channel(t *testing.T, id string) (types.IngestEndpoint, string) {
	t.Helper()
	ctx := context.Background()
	ch, err := o.api.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := o.api.CreateOriginEndpoint(ctx, &mediapackage.CreateOriginEndpointInput{
		Id: aws.String(id + "-hls"), ChannelId: aws.String(id),
		StartoverWindowSeconds: aws.Int32(600),
		HlsPackage: &types.HlsPackage{
			SegmentDurationSeconds: aws.Int32(2),
			PlaylistWindowSeconds:  aws.Int32(300),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch.HlsIngest.IngestEndpoints[0], aws.ToString(ep.Url)
}

// status returns the channel's ingest status as JSON text.
func (o *origin) status(t *testing.T, id string) string {
	t.Helper()
	_, body := get(t, fmt.Sprintf("%s/boxcar/v1/channels/%s/ingest_status", o.url, id))
	return body
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func getBytes(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// lockedLog collects the server log.
type lockedLog = testutil.Buffer
