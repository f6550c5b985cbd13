package dash

import (
	"context"
	"testing"

	"boxcar/internal/live/livetest"
)

// benchLadder is three video renditions and one audio rendition, light
// enough that building 40 segments of it is quick.
var benchLadder = []livetest.Rendition{
	{Name: "v0", Video: true, Bitrate: 300_000},
	{Name: "v1", Video: true, Bitrate: 200_000},
	{Name: "v2", Video: true, Bitrate: 100_000},
	{Name: "a0", Audio: true},
}

// BenchmarkMPD builds the MPD of a 60 s window of 2 s segments (30 groups)
// with 3 video and 1 audio Representations: what the HTTP layer's cache
// misses cost.
func BenchmarkMPD(b *testing.B) {
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		b.Run(format, func(b *testing.B) {
			f := newFixture(b, benchLadder...)
			f.ep.DASHPackage.SegmentTemplateFormat = format
			f.b.Segments(1, 40)
			req := f.request("index.mpd")
			if _, err := f.p.Package(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var size int
			for b.Loop() {
				o, err := f.p.Package(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				size = len(o.Body)
			}
			b.ReportMetric(float64(size), "bytes/mpd")
		})
	}
}

// BenchmarkMPDRetained is BenchmarkMPD with ten minutes of media retained
// behind the 60 s window (live.DefaultRetention): the groups outside the
// window still cost their grouping.
func BenchmarkMPDRetained(b *testing.B) {
	f := newFixture(b, benchLadder...)
	f.b.Segments(1, 300)
	req := f.request("index.mpd")
	if _, err := f.p.Package(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.p.Package(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSegment serves one media segment (the stored fragments behind
// a styp) from the memory store.
func BenchmarkSegment(b *testing.B) {
	f := newFixture(b, benchLadder...)
	f.b.Segments(1, 40)
	req := f.request("index_1_35.mp4")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.p.Package(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
