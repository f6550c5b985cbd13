package hls

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/packager"
)

func TestEncryptionUnsupported(t *testing.T) {
	b := ladder(t)
	b.Segments(1, 8)
	p := New()
	hls := hlsEndpoint(func(p *configstore.HLSPackage) {
		p.Encryption = &configstore.HLSEncryption{EncryptionMethod: "AES_128", SPEKEKeyProvider: &configstore.SPEKEKeyProvider{URL: "https://keys.example"}}
	})
	cmaf := cmafEndpoint(func(p *configstore.CMAFPackage) {
		p.Encryption = &configstore.CMAFEncryption{EncryptionMethod: "SAMPLE_AES", SPEKEKeyProvider: &configstore.SPEKEKeyProvider{URL: "https://keys.example"}}
	}, configstore.HLSManifest{ID: "m", ManifestName: "index"})
	for _, c := range []struct {
		ep    *configstore.OriginEndpoint
		paths []string
	}{
		{hls, []string{"index.m3u8", "index_1.m3u8", "index_1_1.ts", "nonsense"}},
		{cmaf, []string{"m/index.m3u8", "m/index_1.m3u8", "ch1_1_1.mp4", "ch1_1_init0.mp4"}},
	} {
		for _, path := range c.paths {
			o, err := fetchErr(p, b, c.ep, path)
			if !errors.Is(err, packager.ErrEncryptionUnsupported) {
				t.Errorf("%s: got %v, %v; want ErrEncryptionUnsupported", path, o, err)
			}
		}
	}
}

func TestNotFound(t *testing.T) {
	b := ladder(t)
	b.Segments(1, 9)
	b.Skip(1, 3)
	b.Segments(1, 6)
	p := New()
	hls := hlsEndpoint(func(p *configstore.HLSPackage) { p.IncludeIframeOnlyStream = false })
	cmaf := cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index"})
	for _, c := range []struct {
		ep   *configstore.OriginEndpoint
		path string
	}{
		{hls, "index_9.m3u8"},            // no such track
		{hls, "index_1_iframes.m3u8"},    // I-frames not enabled
		{hls, "index_3_iframes.m3u8"},    // audio has none
		{hls, "index_1_99.ts"},           // not yet
		{hls, "index_1_4.ts"},            // the gap
		{hls, "index_9_1.ts"},            // no such track
		{hls, "index_1_iframe_999.ts"},   // no such segment
		{hls, "index_1_iframe_11.ts"},    // inside the gap
		{hls, "index_3_iframe_1.ts"},     // audio
		{cmaf, "ch1_1_init1.mp4"},        // no second configuration
		{cmaf, "ch1_1_0.mp4"},            // before the first
		{cmaf, "m/index_1_iframes.m3u8"}, // not enabled
		{cmaf, "x/index.m3u8"},
		{hlsEndpoint(nil), "index.mpd"},
	} {
		if o, err := fetchErr(p, b, c.ep, c.path); !isNotFound(err) {
			t.Errorf("%s: got %v, %v; want ErrNotFound", c.path, o, err)
		}
	}
	// An endpoint of another kind, and a request without a snapshot.
	dash := &configstore.OriginEndpoint{ID: "d", DASHPackage: &configstore.DASHPackage{}}
	if _, err := fetchErr(p, b, dash, "index.m3u8"); !isNotFound(err) {
		t.Errorf("DASH endpoint: %v, want ErrNotFound", err)
	}
	if _, err := p.Package(context.Background(), &packager.Request{Endpoint: hls, Path: "index.m3u8"}); !isNotFound(err) {
		t.Errorf("no snapshot: %v, want ErrNotFound", err)
	}
	// Nothing complete yet: no playlist.
	empty := ladder(t)
	empty.Segments(1, 2)
	for _, path := range []string{"index.m3u8", "index_1.m3u8"} {
		if _, err := fetchErr(p, empty, hls, path); !isNotFound(err) {
			t.Errorf("empty channel %s: %v, want ErrNotFound", path, err)
		}
	}
}

func TestObjects(t *testing.T) {
	b := ladder(t)
	s := b.Segments(1, 12)
	p := New()
	cmaf := cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index"})
	for _, c := range []struct {
		ep          *configstore.OriginEndpoint
		path        string
		contentType string
		kind        packager.Kind
	}{
		{hlsEndpoint(nil), "index.m3u8", typePlaylist, packager.KindManifest},
		{hlsEndpoint(nil), "index_2.m3u8", typePlaylist, packager.KindManifest},
		{cmaf, "m/index.m3u8", typePlaylist, packager.KindManifest},
		{cmaf, "m/index_3.m3u8", typePlaylist, packager.KindManifest},
		{cmaf, "ch1_1_2.mp4", typeVideoMP4, packager.KindSegment},
		{cmaf, "ch1_3_2.mp4", typeAudioMP4, packager.KindSegment},
		{cmaf, "ch1_1_init0.mp4", typeVideoMP4, packager.KindInit},
		{cmaf, "ch1_3_init0.mp4", typeAudioMP4, packager.KindInit},
	} {
		o := fetch(t, p, b, c.ep, c.path)
		if o.ContentType != c.contentType || o.Kind != c.kind {
			t.Errorf("%s: content type %q kind %v, want %q %v", c.path, o.ContentType, o.Kind, c.contentType, c.kind)
		}
		if c.kind == packager.KindManifest {
			if o.Immutable || o.MaxAge != 3*time.Second || !o.LastModified.Equal(s.Updated) || o.LastSequence != 4 {
				t.Errorf("%s: immutable %v max-age %v last-modified %v last-sequence %d; want false 3s %v 4",
					c.path, o.Immutable, o.MaxAge, o.LastModified, o.LastSequence, s.Updated)
			}
		} else if !o.Immutable || o.MaxAge != 1209600*time.Second {
			t.Errorf("%s: immutable %v max-age %v, want true 1209600s", c.path, o.Immutable, o.MaxAge)
		}
	}

	// A CMAF segment is a styp and the stored fragments of its group, byte
	// for byte; an init is the stored init.
	seg := fetch(t, p, b, cmaf, "ch1_1_2.mp4").Body
	want := fmp4.SegmentHeader()
	for seq := 4; seq <= 6; seq++ {
		f, err := b.Store.Get(context.Background(), s.Segment(uint64(seq)).Frag(1).StoreKey)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, f...)
	}
	if !bytes.Equal(seg, want) {
		t.Errorf("segment 2 of track 1: %d bytes, want the %d of styp and fragments 4-6", len(seg), len(want))
	}
	init, err := b.Store.Get(context.Background(), s.Track(1).Inits[0].StoreKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := fetch(t, p, b, cmaf, "ch1_1_init0.mp4").Body; !bytes.Equal(got, init) {
		t.Errorf("init of track 1 differs from the stored init")
	}
}

// TestIFrameByteRanges: each CMAF I-frame entry's byte range holds the
// fragment's moof, mdat header and exactly its keyframe.
func TestIFrameByteRanges(t *testing.T) {
	b := ladder(t)
	b.Segments(1, 12)
	p := New()
	ep := cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index", IncludeIframeOnlyStream: true})
	pl := parseMedia(t, fetch(t, p, b, ep, "m/index_1_iframes.m3u8").Body)
	if len(pl.segs) != 12 {
		t.Fatalf("%d I-frames, want 12", len(pl.segs))
	}
	for _, s := range pl.segs {
		var n, off int
		if _, err := fmt.Sscanf(s.byterange, "%d@%d", &n, &off); err != nil {
			t.Fatalf("BYTERANGE %q: %v", s.byterange, err)
		}
		seg := fetch(t, p, b, ep, strings.TrimPrefix(s.uri, "../")).Body
		if off+n > len(seg) || string(seg[off+4:off+8]) != "moof" {
			t.Fatalf("%s %s: range is not a moof inside the %d-byte segment", s.uri, s.byterange, len(seg))
		}
		moof := int(binary.BigEndian.Uint32(seg[off:]))
		mdat := int(binary.BigEndian.Uint32(seg[off+moof:]))
		_, samples, err := fmp4.ParseFragment(seg[off : off+moof+mdat])
		if err != nil {
			t.Fatal(err)
		}
		if want := moof + 8 + len(samples[0].Data); n != want || !samples[0].Sync {
			t.Errorf("%s %s: length %d, want %d (moof, mdat header, keyframe); sync %v", s.uri, s.byterange, n, want, samples[0].Sync)
		}
		if s.mapURI != "../ch1_1_init0.mp4" {
			t.Errorf("%s: map %q", s.uri, s.mapURI)
		}
	}
}
