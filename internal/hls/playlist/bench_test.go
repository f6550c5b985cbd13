package playlist

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses a live media playlist of 1000 two-second segments
// with program date-times, as an encoder re-uploads it every segment.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5000\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T%02d:%02d:%02d.000+0000\nchannel_1_%d.ts\n", i/1800, i/30%60, i*2%60, 5000+i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
