package ts

import "testing"

// BenchmarkDemux demuxes a 2 s, 5 Mbit/s H.264 (1280x720, 30 fps) + AAC
// segment as an encoder would push it; MB/s is input throughput.
func BenchmarkDemux(b *testing.B) {
	dir := b.TempDir()
	path := dmxtFFmpeg(b, dir, "bench.ts",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=30:allf=t",
		"-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "5M", "-maxrate", "5M", "-bufsize", "5M", "-g", "60",
		"-c:a", "aac", "-b:a", "128k", "-t", "2", "-f", "mpegts")
	data := dmxtRead(b, path)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Demux(data, DemuxOptions{Anchor: -1}); err != nil {
			b.Fatal(err)
		}
	}
}
