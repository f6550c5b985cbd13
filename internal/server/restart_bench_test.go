package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/live/livetest"
	"boxcar/internal/server"
	"boxcar/internal/store"
)

// BenchmarkRestart measures how long a restarted origin takes to serve its
// first playlist, and every channel's, with channels × a full 5-minute DVR
// index (150 two-second segments of a video and an audio track each).
//
//	go test -run '^$' -bench BenchmarkRestart -benchtime 5x ./internal/server
func BenchmarkRestart(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("channels=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			buildDataDir(b, dir, n, 150)
			b.ResetTimer()
			var first, all time.Duration
			for i := 0; i < b.N; i++ {
				f, a := restartOnce(b, dir, n)
				first += f
				all += a
			}
			b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-first-playlist")
			b.ReportMetric(float64(all.Milliseconds())/float64(b.N), "ms-all-playlists")
		})
	}
}

// restartOnce starts a server on dir and returns the time to its first
// served playlist and to every channel's.
func restartOnce(b *testing.B, dir string, channels int) (first, all time.Duration) {
	start := time.Now()
	cfg, _, err := config.Load([]string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error", "--insecure-no-auth"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(cfg, server.Options{LogOutput: os.Stderr})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Ready()
	playlist := func(ch int) bool {
		resp, err := http.Get(fmt.Sprintf("%s/out/v1/ep%d/index_1.m3u8", srv.PublicURL(), ch))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	deadline := start.Add(time.Minute)
	for !playlist(0) {
		if time.Now().After(deadline) {
			b.Fatalf("no playlist a minute after the restart")
		}
		time.Sleep(time.Millisecond)
	}
	first = time.Since(start)
	for ch := 1; ch < channels; ch++ {
		if !playlist(ch) {
			b.Fatalf("channel %d: no playlist after the restart", ch)
		}
	}
	all = time.Since(start)
	cancel()
	<-done
	return first, all
}

// buildDataDir writes a data directory holding channels with segs
// segments each, and an HLS endpoint per channel.
func buildDataDir(b *testing.B, dir string, channels, segs int) {
	ctx := context.Background()
	cs, err := configstore.OpenBolt(filepath.Join(dir, "config.db"))
	if err != nil {
		b.Fatal(err)
	}
	for ch := 0; ch < channels; ch++ {
		id := fmt.Sprintf("ch%d", ch)
		if err := cs.CreateChannel(ctx, &configstore.Channel{ID: id}); err != nil {
			b.Fatal(err)
		}
		err := cs.CreateEndpoint(ctx, &configstore.OriginEndpoint{ID: fmt.Sprintf("ep%d", ch), ChannelID: id, ManifestName: "index", Origination: "ALLOW",
			HLSPackage: &configstore.HLSPackage{SegmentDurationSeconds: 2, PlaylistWindowSeconds: 300}})
		if err != nil {
			b.Fatal(err)
		}
	}
	cs.Close()

	mem := store.NewMemory()
	clk := clock.NewFake(livetest.Epoch)
	m, err := live.Open(ctx, live.Options{DataDir: dir, Store: mem, Clock: clk,
		Retention: func(string) time.Duration { return time.Hour }})
	if err != nil {
		b.Fatal(err)
	}
	for s := 0; s < segs; s++ {
		start := int64(s) * 180000
		for ch := 0; ch < channels; ch++ {
			seg := &live.IngestSegment{Input: 1, Rendition: "channel", TargetDuration: 2 * time.Second, Tracks: []live.IngestTrack{
				{Key: "v0", Info: livetest.VideoInfo(), Samples: livetest.VideoSamples(start, 2*time.Second, 25, 1_000_000)},
				{Key: "a0", Info: livetest.AudioInfo(), Samples: livetest.AudioSamples(start, 2*time.Second)},
			}}
			if _, err := m.Timeline(fmt.Sprintf("ch%d", ch)).Add(ctx, seg); err != nil {
				b.Fatal(err)
			}
		}
		clk.Advance(2 * time.Second)
		m.Tick(ctx, clk.Now())
	}
	m.Close()
	keys, _ := mem.List(ctx, "")
	for _, k := range keys {
		data, _ := mem.Get(ctx, k)
		p := filepath.Join(dir, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
