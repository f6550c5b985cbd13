package hls

import (
	"context"
	"net/url"
	"testing"

	"boxcar/internal/configstore"
	"boxcar/internal/live/livetest"
	"boxcar/internal/packager"
)

// benchChannel is livetest's ladder (3 and 1 Mbps video, AAC) with 100
// ingest segments of 2 s: 33 output segments of 6 s, so a 180 s window
// lists 30 of them.
func benchChannel(b *testing.B) *livetest.Builder {
	lb := livetest.New(b, "ch1")
	lb.Declare(1)
	lb.Segments(1, 100)
	return lb
}

func benchPackage(b *testing.B, lb *livetest.Builder, ep *configstore.OriginEndpoint, path string) {
	p := New()
	req := &packager.Request{Endpoint: ep, Path: path, Snapshot: lb.Timeline.Snapshot(), Media: lb.Store}
	ctx := context.Background()
	if _, err := p.Package(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Package(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMediaPlaylist builds a TS media playlist of 30 segments with
// PDT, as the egress layer does once per snapshot.
func BenchmarkMediaPlaylist(b *testing.B) {
	lb := benchChannel(b)
	for _, c := range []struct {
		name string
		ep   *configstore.OriginEndpoint
		path string
	}{
		{"ts", hlsEndpoint(func(p *configstore.HLSPackage) {
			p.PlaylistWindowSeconds = 180
			p.ProgramDateTimeIntervalSeconds = 6
		}), "index_1.m3u8"},
		{"cmaf", cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 180}), "m/index_1.m3u8"},
		{"ts_iframes", hlsEndpoint(func(p *configstore.HLSPackage) {
			p.PlaylistWindowSeconds = 180
			p.IncludeIframeOnlyStream = true
		}), "index_1_iframes.m3u8"},
		{"cmaf_iframes", cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 180, IncludeIframeOnlyStream: true}), "m/index_1_iframes.m3u8"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPackage(b, lb, c.ep, c.path) })
	}
}

// BenchmarkMultivariant builds the multivariant playlist (bit rates
// measured over a 30-segment window).
func BenchmarkMultivariant(b *testing.B) {
	lb := benchChannel(b)
	for _, c := range []struct {
		name string
		ep   *configstore.OriginEndpoint
		path string
	}{
		{"ts_muxed", hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 180 }), "index.m3u8"},
		{"ts_group_iframes", hlsEndpoint(func(p *configstore.HLSPackage) {
			p.PlaylistWindowSeconds = 180
			p.UseAudioRenditionGroup = true
			p.IncludeIframeOnlyStream = true
		}), "index.m3u8"},
		{"cmaf", cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 180}), "m/index.m3u8"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPackage(b, lb, c.ep, c.path) })
	}
}

// BenchmarkTSSegment packages a 2 s segment of 3 Mbps H.264 with its AAC
// from the in-memory store, each time from scratch (the packager keeps no
// segment cache; the egress layer caches by URL).
func BenchmarkTSSegment(b *testing.B) {
	lb := livetest.New(b, "ch1", livetest.Rendition{Name: "main", Video: true, Audio: true, Bitrate: 3_000_000})
	lb.Segments(1, 10)
	ep := hlsEndpoint(func(p *configstore.HLSPackage) { p.SegmentDurationSeconds = 2 })
	p := New()
	req := &packager.Request{Endpoint: ep, Path: "index_1_5.ts", Snapshot: lb.Timeline.Snapshot(), Media: lb.Store}
	o, err := p.Package(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(o.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Package(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCMAFSegment serves the same segment as CMAF: stored bytes
// behind a styp.
func BenchmarkCMAFSegment(b *testing.B) {
	lb := livetest.New(b, "ch1", livetest.Rendition{Name: "main", Video: true, Audio: true, Bitrate: 3_000_000})
	lb.Segments(1, 10)
	ep := cmafEndpoint(func(p *configstore.CMAFPackage) { p.SegmentDurationSeconds = 2 }, configstore.HLSManifest{ID: "m", ManifestName: "index"})
	benchPackage(b, lb, ep, "ch1_1_5.mp4")
}

// BenchmarkLongTimeline: with 100 minutes retained (3000 ingest
// segments, as a startover window keeps), a live playlist and a segment
// lookup cost what they cost with a short timeline: only the window's end
// of the timeline is grouped.
func BenchmarkLongTimeline(b *testing.B) {
	lb := livetest.New(b, "ch1",
		livetest.Rendition{Name: "v", Video: true, Bitrate: 1000},
		livetest.Rendition{Name: "a", Audio: true})
	lb.Segments(1, 3000)
	ep := hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 180 })
	ep.StartoverWindowSeconds = 7200
	b.Run("media_playlist", func(b *testing.B) { benchPackage(b, lb, ep, "index_1.m3u8") })
	b.Run("multivariant", func(b *testing.B) { benchPackage(b, lb, ep, "index.m3u8") })
	b.Run("old_segment", func(b *testing.B) { benchPackage(b, lb, ep, "index_1_17.ts") })
	b.Run("timeshift_hour_ago", func(b *testing.B) {
		p := New()
		req := &packager.Request{Endpoint: ep, Path: "index_1.m3u8", Snapshot: lb.Timeline.Snapshot(), Media: lb.Store,
			Query: url.Values{"start": {"2026-01-01T00:40:00Z"}, "end": {"2026-01-01T00:50:00Z"}}}
		if _, err := p.Package(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := p.Package(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
