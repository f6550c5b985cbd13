package control

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"

	"boxcar/internal/configstore"
)

// benchChannels is how many channels are stored before each benchmark.
const benchChannels = 10000

// benchEnv is a server on a bbolt store holding benchChannels channels,
// called through the AWS SDK over loopback HTTP: the numbers include
// request signing, SigV4 verification, JSON and the store.
func benchEnv(b *testing.B) *testEnv {
	b.Helper()
	e := newEnv(b)
	for i := range benchChannels {
		id := fmt.Sprintf("bench%05d", i)
		ch := &configstore.Channel{
			ARN: e.api.channelARN(id), ID: id, Description: "benchmark channel", CreatedAt: "2024-05-01T00:00:00+00:00",
			HLSIngest: configstore.HLSIngest{IngestEndpoints: []configstore.IngestEndpoint{e.api.newIngestEndpoint(id), e.api.newIngestEndpoint(id)}},
			Tags:      map[string]string{"team": "bench"},
		}
		if err := e.store.CreateChannel(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	return e
}

func BenchmarkCreateChannel(b *testing.B) {
	e := benchEnv(b)
	i := 0
	for b.Loop() {
		if _, err := e.admin.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String(fmt.Sprintf("new%07d", i))}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDescribeChannel(b *testing.B) {
	e := benchEnv(b)
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("bench%05d", (i*7919)%benchChannels)
		if _, err := e.admin.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String(id)}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchmarkList(b *testing.B, pageSize int32) {
	e := benchEnv(b)
	var token *string
	for b.Loop() {
		out, err := e.admin.ListChannels(ctx, &mediapackage.ListChannelsInput{MaxResults: aws.Int32(pageSize), NextToken: token})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Channels) == 0 {
			b.Fatal("empty page")
		}
		token = out.NextToken // walk the whole list, then start over
	}
}

func BenchmarkListChannels100(b *testing.B)  { benchmarkList(b, 100) }
func BenchmarkListChannels1000(b *testing.B) { benchmarkList(b, 1000) }

// benchmarkServer measures the server alone: one request signed up front
// (valid for the 5-minute skew), served straight into a recorder, without
// the SDK client, HTTP transport or response decoding.
func benchmarkServer(b *testing.B, path string) {
	e := benchEnv(b)
	mux := http.NewServeMux()
	e.api.Register(mux)
	req := httptest.NewRequest("GET", path, nil)
	req.Host = "boxcar.example.com"
	sign(b, req, adminKey, adminSecret, nil, time.Now())
	for b.Loop() {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkServerDescribeChannel(b *testing.B)  { benchmarkServer(b, "/channels/bench04242") }
func BenchmarkServerListChannels1000(b *testing.B) { benchmarkServer(b, "/channels?maxResults=1000") }
