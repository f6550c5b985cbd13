package dash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/packager"
)

func TestEncryptionUnsupported(t *testing.T) {
	f := newFixture(t)
	f.b.Segments(1, 3)
	f.ep.DASHPackage.Encryption = &configstore.DASHEncryption{SPEKEKeyProvider: &configstore.SPEKEKeyProvider{
		URL: "https://keys.example", ResourceID: "r", RoleARN: "arn:aws:iam::1:role/x", SystemIDs: []string{"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"},
	}}
	// Every object, not just the MPD: clear media must never leave an
	// endpoint that asked for encryption.
	for _, path := range []string{"index.mpd", "index_1_init0.mp4", "index_1_1.mp4", "index_3_1.mp4", "nonsense"} {
		if _, err := f.get(path); !errors.Is(err, packager.ErrEncryptionUnsupported) {
			t.Errorf("%s: got %v, want ErrEncryptionUnsupported", path, err)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	f := newFixture(t)
	f.ep.DASHPackage.ManifestWindowSeconds = 20
	f.b.Segments(1, 30)
	_, _ = f.manifest()
	cases := []struct {
		path string
		want string
	}{
		{"index.mpd", ""},
		{"index_1_init0.mp4", ""},
		{"index_3_init0.mp4", ""},
		{"index_1_30.mp4", ""},
		{"index_1_31.mp4", "notfound"},    // not published yet
		{"index_1_2.mp4", "notfound"},     // left the window (and its grace)
		{"index_9_30.mp4", "notfound"},    // no such track
		{"index_1_init1.mp4", "notfound"}, // no such configuration
		{"index_1_x.mp4", "badrequest"},
		{"index.m3u8", "notfound"},
		{"other.mpd", "notfound"},
	}
	for _, tc := range cases {
		_, err := f.get(tc.path)
		switch tc.want {
		case "":
			if err != nil {
				t.Errorf("%s: %v", tc.path, err)
			}
		case "notfound":
			if !isNotFound(err) {
				t.Errorf("%s: got %v, want ErrNotFound", tc.path, err)
			}
		case "badrequest":
			if !isBadRequest(err) {
				t.Errorf("%s: got %v, want BadRequest", tc.path, err)
			}
		}
	}
}

func TestNotDASHOrEmpty(t *testing.T) {
	f := newFixture(t)
	if _, err := f.get("index.mpd"); !isNotFound(err) {
		t.Errorf("MPD of a channel without media: got %v, want ErrNotFound", err)
	}
	f.b.Segments(1, 2)
	hls := &configstore.OriginEndpoint{ID: "h", ManifestName: "index", HLSPackage: &configstore.HLSPackage{}}
	req := f.request("index.mpd")
	req.Endpoint = hls
	if _, err := f.p.Package(context.Background(), req); !isNotFound(err) {
		t.Errorf("HLS endpoint: got %v, want ErrNotFound", err)
	}
	f.ep.DASHPackage.SegmentTemplateFormat = "BOGUS"
	if _, err := f.get("index.mpd"); err == nil || isNotFound(err) || isBadRequest(err) {
		t.Errorf("corrupt format setting: got %v, want a plain error", err)
	}
}

// TestTimeAddressing: $Time$ names a segment by its track's decode time;
// anything else is not found.
func TestTimeAddressing(t *testing.T) {
	f := newFixture(t)
	f.ep.DASHPackage.SegmentTemplateFormat = "TIME_WITH_TIMELINE"
	f.b.Segments(1, 6)
	_, _ = f.manifest() // fetches every listed $Time$ URL
	for _, path := range []string{"index_1_180001.mp4", "index_3_180000.mp4", "index_3_96255.mp4"} {
		if _, err := f.get(path); !isNotFound(err) {
			t.Errorf("%s: got %v, want ErrNotFound", path, err)
		}
	}
	for _, path := range []string{"index_1_180000.mp4", "index_3_96256.mp4"} {
		if _, err := f.get(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestSegmentBytes: a media segment is a styp followed by the stored
// fragments byte for byte.
func TestSegmentBytes(t *testing.T) {
	f := newFixture(t)
	f.ep.DASHPackage.SegmentDurationSeconds = 4
	f.b.Segments(1, 6)
	o := f.mustGet("index_2_2.mp4")
	snap := f.b.Timeline.Snapshot()
	var want []byte
	for _, seq := range []uint64{3, 4} {
		b, err := f.b.Store.Get(context.Background(), snap.Segment(seq).Frag(2).StoreKey)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, b...)
	}
	if !bytes.Equal(o.Body[24:], want) || string(o.Body[4:8]) != "styp" {
		t.Errorf("segment body is not styp + the stored fragments of timeline segments 3 and 4")
	}
	if got := o.LastModified; !got.Equal(snap.Segment(4).PDT.Add(2 * time.Second)) {
		t.Errorf("LastModified: got %s, want the segment's end", got)
	}
}

// TestUTCTimingAndProfiles covers the utcTiming and profile settings.
func TestUTCTimingAndProfiles(t *testing.T) {
	cases := []struct {
		utc, uri, profile string
		wantUTC           string // scheme=value, "" for none
		wantProfiles      string
	}{
		{"", "", "", "urn:mpeg:dash:utc:http-xsdate:2014=http://boxcar.test/time", "urn:mpeg:dash:profile:isoff-live:2011"},
		{"NONE", "", "NONE", "", "urn:mpeg:dash:profile:isoff-live:2011"},
		{"HTTP-HEAD", "", "HBBTV_1_5", "urn:mpeg:dash:utc:http-head:2014=http://boxcar.test/time", "urn:mpeg:dash:profile:isoff-live:2011,urn:hbbtv:dash:profile:isoff-live:2012"},
		{"HTTP-ISO", "https://t.example/iso", "DVB_DASH_2014", "urn:mpeg:dash:utc:http-iso:2014=https://t.example/iso", "urn:mpeg:dash:profile:isoff-live:2011,urn:dvb:dash:profile:dvb-dash:2014"},
		{"HTTP-XSDATE", "https://t.example/x", "HYBRIDCAST", "urn:mpeg:dash:utc:http-xsdate:2014=https://t.example/x", "urn:mpeg:dash:profile:isoff-live:2011"},
	}
	f := newFixture(t)
	f.b.Segments(1, 2)
	for _, tc := range cases {
		t.Run(tc.utc+"_"+tc.profile, func(t *testing.T) {
			d := f.ep.DASHPackage
			d.UTCTiming, d.UTCTimingURI, d.Profile = tc.utc, tc.uri, tc.profile
			m, _ := f.manifest()
			got := ""
			for _, u := range m.UTCTimings {
				got += fmt.Sprintf("%s=%s", u.SchemeIdUri, u.Value)
			}
			if got != tc.wantUTC {
				t.Errorf("UTCTiming: got %q, want %q", got, tc.wantUTC)
			}
			if string(m.Profiles) != tc.wantProfiles {
				t.Errorf("profiles: got %q, want %q", m.Profiles, tc.wantProfiles)
			}
		})
	}
}

// TestManifestObject covers the MPD's caching metadata.
func TestManifestObject(t *testing.T) {
	f := newFixture(t)
	f.ep.DASHPackage.SegmentDurationSeconds = 6
	f.ep.DASHPackage.MinUpdatePeriodSeconds = 2
	f.b.Segments(1, 9)
	o := f.mustGet("index.mpd")
	if o.MaxAge != 2*time.Second {
		t.Errorf("MaxAge: got %s, want min(half of 6 s, minimumUpdatePeriod 2 s)", o.MaxAge)
	}
	if o.LastSequence != 3 {
		t.Errorf("LastSequence: got %d, want 3", o.LastSequence)
	}
	if !strings.HasPrefix(string(o.Body), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("MPD does not start with an XML declaration")
	}
}
