package playlist

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const head = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n" // lines 1-2
	tests := []struct {
		name   string
		in     string
		line   int
		tag    string // the message names this tag or thing
		tooBig bool
	}{
		{"empty", "", 0, "#EXTM3U", false},
		{"no header", "#EXT-X-TARGETDURATION:6\n", 1, "#EXTM3U", false},
		{"only header", "#EXTM3U\n", 0, "TARGETDURATION", false},
		{"bad duration", head + "#EXTINF:abc,\na.ts\n", 3, "#EXTINF", false},
		{"negative duration", head + "#EXTINF:-1,\na.ts\n", 3, "#EXTINF", false},
		{"exponent duration", head + "#EXTINF:1e3,\na.ts\n", 3, "#EXTINF", false},
		{"two EXTINF", head + "#EXTINF:1,\n#EXTINF:1,\na.ts\n", 4, "#EXTINF", false},
		{"URI without EXTINF", head + "a.ts\n", 3, "#EXTINF", false},
		{"EXTINF without URI", head + "#EXTINF:1,\n", 3, "#EXTINF", false},
		{"missing target duration", "#EXTM3U\n#EXTINF:1,\na.ts\n", 0, "#EXT-X-TARGETDURATION", false},
		{"two target durations", head + "#EXT-X-TARGETDURATION:6\n", 3, "#EXT-X-TARGETDURATION", false},
		{"bad target duration", "#EXTM3U\n#EXT-X-TARGETDURATION:six\n", 2, "#EXT-X-TARGETDURATION", false},
		{"two versions", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-VERSION:4\n", 3, "#EXT-X-VERSION", false},
		{"bad version", "#EXTM3U\n#EXT-X-VERSION:x\n", 2, "#EXT-X-VERSION", false},
		{"media sequence after a segment", head + "#EXTINF:1,\na\n#EXT-X-MEDIA-SEQUENCE:3\n", 5, "#EXT-X-MEDIA-SEQUENCE", false},
		{"bad media sequence", head + "#EXT-X-MEDIA-SEQUENCE:-3\n", 3, "#EXT-X-MEDIA-SEQUENCE", false},
		{"media sequence over 2^64", head + "#EXT-X-MEDIA-SEQUENCE:18446744073709551616\n", 3, "#EXT-X-MEDIA-SEQUENCE", false},
		{"bad playlist type", head + "#EXT-X-PLAYLIST-TYPE:LIVE\n", 3, "#EXT-X-PLAYLIST-TYPE", false},
		{"bad byte range", head + "#EXT-X-BYTERANGE:12@x\n", 3, "#EXT-X-BYTERANGE", false},
		{"byte range without offset after another resource", head + "#EXTINF:1,\n#EXT-X-BYTERANGE:10\na\n", 5, "#EXT-X-BYTERANGE", false},
		{"bad date", head + "#EXT-X-PROGRAM-DATE-TIME:yesterday\n", 3, "#EXT-X-PROGRAM-DATE-TIME", false},
		{"date without zone", head + "#EXT-X-PROGRAM-DATE-TIME:2026-11-24T22:00:07\n", 3, "#EXT-X-PROGRAM-DATE-TIME", false},
		{"key without method", head + "#EXT-X-KEY:URI=\"k\"\n", 3, "METHOD", false},
		{"key without URI", head + "#EXT-X-KEY:METHOD=AES-128\n", 3, "URI", false},
		{"key with bad IV", head + "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xZZ\n", 3, "IV", false},
		{"map without URI", head + "#EXT-X-MAP:BYTERANGE=\"1@0\"\n", 3, "URI", false},
		{"unclosed quote", head + "#EXT-X-MAP:URI=\"init.mp4\n", 3, "quoted", false},
		{"attribute without value", head + "#EXT-X-MAP:URI\n", 3, "URI", false},
		{"garbage after a quoted value", head + "#EXT-X-MAP:URI=\"a\"x\n", 3, "#EXT-X-MAP", false},
		{"daterange without ID", head + "#EXT-X-DATERANGE:START-DATE=\"2026-11-24T22:00:07Z\"\n", 3, "ID", false},
		{"daterange bad hex", head + "#EXT-X-DATERANGE:ID=\"a\",SCTE35-OUT=FC30\n", 3, "SCTE35-OUT", false},
		{"daterange negative duration", head + "#EXT-X-DATERANGE:ID=\"a\",DURATION=-1\n", 3, "DURATION", false},
		{"daterange bad start", head + "#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"now\"\n", 3, "START-DATE", false},
		{"bad bitrate", head + "#EXT-X-BITRATE:fast\n", 3, "#EXT-X-BITRATE", false},
		{"mixed kinds", head + "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", 3, "#EXT-X-STREAM-INF", false},
		{"mixed kinds the other way", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXTINF:1,\n", 4, "#EXTINF", false},
		{"variant without URI", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", 2, "#EXT-X-STREAM-INF", false},
		{"two variants without URI", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\na\n", 3, "#EXT-X-STREAM-INF", false},
		{"variant without bandwidth", "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"avc1.640028\"\na\n", 2, "BANDWIDTH", false},
		{"variant bad bandwidth", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1.5\na\n", 2, "BANDWIDTH", false},
		{"variant bad resolution", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=1920\na\n", 2, "RESOLUTION", false},
		{"variant unquoted codecs", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=avc1\na\n", 2, "CODECS", false},
		{"URI without STREAM-INF", "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"a\"\na.m3u8\n", 3, "#EXT-X-STREAM-INF", false},
		{"i-frame variant without URI", "#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1\n", 2, "URI", false},
		{"rendition bad type", "#EXTM3U\n#EXT-X-MEDIA:TYPE=TEXT,GROUP-ID=\"a\",NAME=\"a\"\n", 2, "TYPE", false},
		{"rendition without name", "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\"\n", 2, "NAME", false},
		{"rendition bad default", "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"a\",DEFAULT=TRUE\n", 2, "DEFAULT", false},
		{"start without offset", head + "#EXT-X-START:PRECISE=YES\n", 3, "TIME-OFFSET", false},
		{"line too long", head + "#EXTINF:1,\n" + strings.Repeat("a", MaxLineLength+1) + "\n", 4, "line", true},
		{"too many attributes", head + "#EXT-X-DATERANGE:ID=\"a\"" + strings.Repeat(",X-A=1", 0) + manyAttrs(MaxAttributes+1) + "\n", 3, "attributes", true},
		{"too many segment tags", head + strings.Repeat("#EXT-X-FOO\n", MaxSegmentTags+1), 2 + MaxSegmentTags + 1, "tags", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := Parse([]byte(tc.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, %v; want a *SyntaxError", pl, err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			if !strings.Contains(se.Msg, tc.tag) {
				t.Errorf("message %q does not name %s", se.Msg, tc.tag)
			}
			if errors.Is(err, ErrTooLarge) != tc.tooBig {
				t.Errorf("errors.Is(err, ErrTooLarge) = %v for %v", !tc.tooBig, err)
			}
		})
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(",X-A")
		b.WriteString(strings.Repeat("B", i%10))
		b.WriteString(string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + string(rune('0'+i/100)))
		b.WriteString("=1")
	}
	return b.String()
}

func TestParseLimits(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		_, err := Parse(make([]byte, MaxSize+1))
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("segments", func(t *testing.T) {
		b := []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n")
		for range MaxSegments + 1 {
			b = append(b, "#EXTINF:1,\na\n"...)
		}
		_, err := Parse(b)
		var se *SyntaxError
		if !errors.Is(err, ErrTooLarge) || !errors.As(err, &se) || se.Line != 2+2*(MaxSegments+1) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("variants", func(t *testing.T) {
		b := []byte("#EXTM3U\n")
		for range MaxVariants + 1 {
			b = append(b, "#EXT-X-STREAM-INF:BANDWIDTH=1\na\n"...)
		}
		if _, err := Parse(b); !errors.Is(err, ErrTooLarge) {
			t.Errorf("got %v", err)
		}
	})
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse([]byte("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:1,\na.ts\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T22:00:07Z\n#EXTINF:abc,\nb.ts\n"))
	// The message format is part of the API: ingest shows it to operators.
	if got, want := err.Error(), `playlist: line 7: #EXTINF: duration "abc" is not a number`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
