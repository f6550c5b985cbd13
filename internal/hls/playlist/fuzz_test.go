package playlist

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.m3u8"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T22:00:07.088+0000\na.ts\n",
		"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-DEFINE:NAME=\"b\",VALUE=\"x\"\n#EXTINF:6,\n{$b}/a.ts\n#EXT-X-BYTERANGE:10@5\n",
		"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1x1\na\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pl, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if pl != nil || !errors.As(err, &se) || se.Line < 0 || se.Msg == "" {
				t.Fatalf("got %v, %#v", pl, err)
			}
			return
		}
		switch p := pl.(type) {
		case *Media:
			if len(p.Segments) > MaxSegments {
				t.Fatalf("%d segments", len(p.Segments))
			}
			for i, s := range p.Segments {
				if s.Duration < 0 || s.URI == "" || len(s.Tags)+len(s.DateRanges) > MaxSegmentTags {
					t.Fatalf("segment %d: %+v", i, s)
				}
				if s.ByteRange != nil && (s.ByteRange.Offset < 0 || s.ByteRange.Length < 0) {
					t.Fatalf("segment %d: range %+v", i, s.ByteRange)
				}
			}
		case *Multivariant:
			if len(p.Variants) > MaxVariants {
				t.Fatalf("%d variants", len(p.Variants))
			}
			for _, v := range p.Variants {
				if v.Bandwidth < 0 || v.Width < 0 || v.Height < 0 {
					t.Fatalf("variant %+v", v)
				}
			}
		default:
			t.Fatalf("got %T", pl)
		}
	})
}
