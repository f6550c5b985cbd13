package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file reads the few tags ingest needs from an uploaded playlist
// (RFC 8216bis §4). It stands in for internal/hls/playlist, which was not
// available when ingest was written; parsePlaylist is the only function to
// change when it is.

// maxListed bounds the segments of one uploaded media playlist (a 24-hour
// EVENT playlist of 6 s segments has 14400).
const maxListed = 20000

var errPlaylist = errors.New("ingest: malformed playlist")

// cueTags are the ad-marker tags handed to the timeline raw (standards.md
// §1.7 and EXT-X-DATERANGE).
var cueTags = []string{
	"#EXT-X-CUE-OUT-CONT", "#EXT-X-CUE-OUT", "#EXT-X-CUE-IN", "#EXT-X-CUE-CONT", "#EXT-X-CUE:",
	"#EXT-X-DATERANGE", "#EXT-OATCLS-SCTE35", "#EXT-X-OATCLS-SCTE35", "#EXT-X-ASSET",
	"#EXT-X-SCTE35", "#EXT-X-SPLICEPOINT-SCTE35",
}

func isCue(line string) bool {
	for _, t := range cueTags {
		if strings.HasPrefix(line, t) {
			return true
		}
	}
	return false
}

// parsePlaylist reads a multivariant or media playlist.
func parsePlaylist(b []byte) (*parsedPlaylist, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	lines := strings.Split(string(b), "\n")
	if len(lines) == 0 || strings.TrimRight(lines[0], "\r \t") != "#EXTM3U" {
		return nil, fmt.Errorf("%w: first line is not #EXTM3U", errPlaylist)
	}
	var (
		multi    multivariantPlaylist
		med      mediaPlaylist
		isMulti  bool
		isMedia  bool
		cur      mediaSegment
		inf      bool
		pendingV *variant
		mapURI   string
	)
	for n, raw := range lines[1:] {
		line := strings.TrimRight(raw, "\r \t")
		if line == "" {
			continue
		}
		lineNo := n + 2
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: line %d: %s", errPlaylist, lineNo, fmt.Sprintf(format, args...))
		}
		tag, val, _ := strings.Cut(line, ":")
		switch {
		case !strings.HasPrefix(line, "#"):
			// A URI line.
			switch {
			case pendingV != nil:
				pendingV.uri = line
				multi.variants = append(multi.variants, *pendingV)
				pendingV = nil
			case inf:
				cur.uri = line
				cur.mapURI = mapURI
				if len(med.segments) >= maxListed {
					return nil, bad("more than %d segments", maxListed)
				}
				med.segments = append(med.segments, cur)
				cur, inf = mediaSegment{}, false
			default:
				return nil, bad("URI %q without #EXTINF or #EXT-X-STREAM-INF", line)
			}
		case tag == "#EXT-X-STREAM-INF":
			isMulti = true
			a, err := attrs(val)
			if err != nil {
				return nil, bad("%v", err)
			}
			v := variant{audio: a["AUDIO"]}
			v.bandwidth, _ = strconv.ParseInt(a["BANDWIDTH"], 10, 64)
			v.averageBandwidth, _ = strconv.ParseInt(a["AVERAGE-BANDWIDTH"], 10, 64)
			if c := a["CODECS"]; c != "" {
				for _, x := range strings.Split(c, ",") {
					v.codecs = append(v.codecs, strings.TrimSpace(x))
				}
			}
			if w, h, ok := strings.Cut(a["RESOLUTION"], "x"); ok {
				v.width, _ = strconv.Atoi(w)
				v.height, _ = strconv.Atoi(h)
			}
			v.frameRate, _ = strconv.ParseFloat(a["FRAME-RATE"], 64)
			pendingV = &v
		case tag == "#EXT-X-MEDIA":
			isMulti = true
			a, err := attrs(val)
			if err != nil {
				return nil, bad("%v", err)
			}
			if a["TYPE"] == "AUDIO" && a["URI"] != "" {
				multi.media = append(multi.media, alternative{
					uri: a["URI"], groupID: a["GROUP-ID"], name: a["NAME"], language: a["LANGUAGE"],
					isDefault: a["DEFAULT"] == "YES", autoselect: a["AUTOSELECT"] == "YES",
				})
			}
		case tag == "#EXT-X-TARGETDURATION":
			isMedia = true
			s, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return nil, bad("bad #EXT-X-TARGETDURATION %q", val)
			}
			med.target = time.Duration(s) * time.Second
		case tag == "#EXT-X-MEDIA-SEQUENCE":
			isMedia = true
			s, err := strconv.ParseUint(val, 10, 63)
			if err != nil {
				return nil, bad("bad #EXT-X-MEDIA-SEQUENCE %q", val)
			}
			med.mediaSeq = s
		case tag == "#EXTINF":
			isMedia = true
			d, _, _ := strings.Cut(val, ",")
			f, err := strconv.ParseFloat(strings.TrimSpace(d), 64)
			if err != nil || f < 0 || f > 3600 || math.IsNaN(f) {
				return nil, bad("bad #EXTINF duration %q", d)
			}
			cur.duration = time.Duration(f * float64(time.Second))
			inf = true
		case tag == "#EXT-X-DISCONTINUITY":
			cur.disc = true
		case tag == "#EXT-X-PROGRAM-DATE-TIME":
			t, err := time.Parse(time.RFC3339Nano, val)
			if err != nil {
				if t, err = time.Parse("2006-01-02T15:04:05.999999999Z0700", val); err != nil {
					return nil, bad("bad #EXT-X-PROGRAM-DATE-TIME %q", val)
				}
			}
			cur.pdt = t
		case tag == "#EXT-X-MAP":
			a, err := attrs(val)
			if err != nil || a["URI"] == "" {
				return nil, bad("#EXT-X-MAP without URI")
			}
			if a["BYTERANGE"] != "" {
				return nil, bad("#EXT-X-MAP with BYTERANGE is not supported: upload the init segment as its own object")
			}
			mapURI = a["URI"]
		case tag == "#EXT-X-KEY":
			a, err := attrs(val)
			if err != nil {
				return nil, bad("%v", err)
			}
			if m := a["METHOD"]; m != "NONE" && med.keyMethod == "" {
				med.keyMethod = m
			}
		case tag == "#EXT-X-BYTERANGE":
			return nil, bad("#EXT-X-BYTERANGE is not supported: upload each segment as its own object")
		case tag == "#EXT-X-ENDLIST":
			med.ended = true
		case isCue(line):
			cur.cues = append(cur.cues, []byte(line))
		}
	}
	switch {
	case isMulti && isMedia:
		return nil, fmt.Errorf("%w: mixes multivariant and media playlist tags", errPlaylist)
	case isMulti:
		return &parsedPlaylist{multi: &multi}, nil
	case isMedia:
		return &parsedPlaylist{media: &med}, nil
	}
	return nil, fmt.Errorf("%w: neither #EXT-X-STREAM-INF nor #EXTINF", errPlaylist)
}

// attrs parses an attribute list (RFC 8216bis §4.2): NAME=VALUE pairs,
// values quoted or not; quotes are removed.
func attrs(s string) (map[string]string, error) {
	m := make(map[string]string)
	for s != "" {
		name, rest, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("bad attribute list near %q", s)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted string in attribute %s", name)
			}
			v, rest = rest[1:1+end], rest[2+end:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			v, rest = rest[:end], rest[end:]
		}
		m[strings.TrimSpace(name)] = v
		s = strings.TrimPrefix(rest, ",")
	}
	return m, nil
}
