package ts

import (
	"testing"

	"boxcar/internal/media"
)

// muxtBenchSegment is 2 s of 25 fps 3 Mbps H.264 (a 60 kB IDR frame, then
// P/B frames) and 128 kbps 48 kHz AAC.
func muxtBenchSegment() []MuxTrack {
	const idr, total = 60_000, 3_000_000 / 8 * 2
	video := muxtVideo(50, 25, 50, 1_000_000_000, func(i int) int {
		if i == 0 {
			return idr
		}
		return (total - idr) / 49
	})
	audio := muxtAAC(94, 128_000/8*1024/48000, media.Rescale(1_000_000_000, media.VideoTimescale, 48000))
	return []MuxTrack{video, audio}
}

func muxtBytes(tracks []MuxTrack) int64 {
	var n int64
	for _, t := range tracks {
		for _, s := range t.Samples {
			n += int64(len(s.Data))
		}
	}
	return n
}

func BenchmarkMux(b *testing.B) {
	tracks := muxtBenchSegment()
	b.SetBytes(muxtBytes(tracks))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Mux(tracks, MuxOptions{Sequence: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMux reuses the output buffer, as a packager with a buffer
// pool would.
func BenchmarkAppendMux(b *testing.B) {
	tracks := muxtBenchSegment()
	r, err := Mux(tracks, MuxOptions{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(r.Data))
	b.SetBytes(muxtBytes(tracks))
	b.ReportAllocs()
	for b.Loop() {
		r, err := AppendMux(buf[:0], tracks, MuxOptions{Sequence: 1})
		if err != nil {
			b.Fatal(err)
		}
		buf = r.Data
	}
}
