package hls

import (
	"testing"

	"boxcar/internal/configstore"
)

func TestRoute(t *testing.T) {
	hls, err := settingsOf(hlsEndpoint(func(p *configstore.HLSPackage) {}), "ch1")
	if err != nil {
		t.Fatal(err)
	}
	under, err := settingsOf(func() *configstore.OriginEndpoint {
		ep := hlsEndpoint(nil)
		ep.ManifestName = "my_live"
		return ep
	}(), "ch1")
	if err != nil {
		t.Fatal(err)
	}
	cmaf, err := settingsOf(cmafEndpoint(nil,
		configstore.HLSManifest{ID: "a", ManifestName: "index"},
		configstore.HLSManifest{ID: "b", ManifestName: "other"}), "ch_1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ep   *endpoint
		path string
		want object
		ok   bool
	}{
		{hls, "index.m3u8", object{kind: objMultivariant}, true},
		{hls, "index_1.m3u8", object{kind: objMedia, track: 1}, true},
		{hls, "index_12_iframes.m3u8", object{kind: objIFrames, track: 12}, true},
		{hls, "index_1_34.ts", object{kind: objSegment, track: 1, number: 34}, true},
		{hls, "index_1_0.ts", object{kind: objSegment, track: 1, number: 0}, true},
		{hls, "index_2_iframe_77.ts", object{kind: objIFrame, track: 2, number: 77}, true},
		{hls, "index_1_18446744073709551615.ts", object{kind: objSegment, track: 1, number: 18446744073709551615}, true},
		{under, "my_live.m3u8", object{kind: objMultivariant}, true},
		{under, "my_live_3_9.ts", object{kind: objSegment, track: 3, number: 9}, true},
		{cmaf, "a/index.m3u8", object{kind: objMultivariant}, true},
		{cmaf, "b/other_3.m3u8", object{kind: objMedia, manifest: 1, track: 3}, true},
		{cmaf, "b/other_3_iframes.m3u8", object{kind: objIFrames, manifest: 1, track: 3}, true},
		{cmaf, "ch_1_3_17.mp4", object{kind: objSegment, track: 3, number: 17}, true},
		{cmaf, "ch_1_3_init0.mp4", object{kind: objInit, track: 3, number: 0}, true},
		{cmaf, "ch_1_3_init2.mp4", object{kind: objInit, track: 3, number: 2}, true},

		{hls, "index_1_18446744073709551616.ts", object{}, false}, // overflows
		{hls, "index_01_3.ts", object{}, false},                   // one name per object
		{hls, "index_1_03.ts", object{}, false},
		{hls, "index_0.m3u8", object{}, false},
		{hls, "index_-1.m3u8", object{}, false},
		{hls, "index_+1.m3u8", object{}, false},
		{hls, "index_1.ts", object{}, false},
		{hls, "index_1_2_3.ts", object{}, false},
		{hls, "index_1_iframes_2.ts", object{}, false},
		{hls, "index_1_iframe_.ts", object{}, false},
		{hls, "other.m3u8", object{}, false},
		{hls, "index.mpd", object{}, false},
		{hls, "a/index.m3u8", object{}, false},
		{hls, "index_1_2.mp4", object{}, false},
		{hls, "", object{}, false},
		{cmaf, "index.m3u8", object{}, false},
		{cmaf, "c/index.m3u8", object{}, false},
		{cmaf, "a/other.m3u8", object{}, false},
		{cmaf, "a/b/index.m3u8", object{}, false},
		{cmaf, "a/ch_1_3_17.mp4", object{}, false},
		{cmaf, "ch_1_3_17.ts", object{}, false},
		{cmaf, "ch_1_3_init.mp4", object{}, false},
		{cmaf, "ch_1_3_init01.mp4", object{}, false},
		{cmaf, "ch_2_3_1.mp4", object{}, false},
	}
	for _, tc := range tests {
		got, ok := route(tc.ep, tc.path)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("route(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

// TestNamesRoundTrip: every name a playlist writes routes back to the
// object it names.
func TestNamesRoundTrip(t *testing.T) {
	hls, _ := settingsOf(hlsEndpoint(nil), "ch1")
	cmaf, _ := settingsOf(cmafEndpoint(func(p *configstore.CMAFPackage) { p.SegmentPrefix = "seg_x" },
		configstore.HLSManifest{ID: "m", ManifestName: "index"}), "ch1")
	for _, id := range []int{1, 9, 10, 123456789} {
		for _, n := range []uint64{0, 1, 99, 1<<63 + 5} {
			checks := []struct {
				ep   *endpoint
				path string
				want object
			}{
				{hls, string(appendPlaylistName(nil, "index", id, false)), object{kind: objMedia, track: id}},
				{hls, string(appendPlaylistName(nil, "index", id, true)), object{kind: objIFrames, track: id}},
				{hls, string(appendSegmentName(nil, "", "index", id, n, extTS)), object{kind: objSegment, track: id, number: n}},
				{hls, string(appendIFrameName(nil, "index", id, n)), object{kind: objIFrame, track: id, number: n}},
				{cmaf, "m/" + string(appendPlaylistName(nil, "index", id, false)), object{kind: objMedia, track: id}},
				{cmaf, string(appendSegmentName(nil, "", "seg_x", id, n, extMP4)), object{kind: objSegment, track: id, number: n}},
				{cmaf, string(appendInitName(nil, "", "seg_x", id, int(n%1000))), object{kind: objInit, track: id, number: n % 1000}},
			}
			for _, c := range checks {
				if got, ok := route(c.ep, c.path); !ok || got != c.want {
					t.Errorf("route(%q) = %+v, %v; want %+v", c.path, got, ok, c.want)
				}
			}
		}
	}
}

// FuzzRoute: routing never panics, and whatever it accepts is the
// canonical name of what it returns.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"index.m3u8", "index_1.m3u8", "index_1_iframes.m3u8", "index_1_34.ts", "index_2_iframe_7.ts",
		"m/index.m3u8", "m/index_3.m3u8", "ch1_3_17.mp4", "ch1_3_init0.mp4", "index_01_3.ts", "a/b/c", "index__.ts"} {
		f.Add(s)
	}
	hls, _ := settingsOf(hlsEndpoint(nil), "ch1")
	cmaf, _ := settingsOf(cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index"}), "ch1")
	f.Fuzz(func(t *testing.T, path string) {
		for _, ep := range []*endpoint{hls, cmaf} {
			o, ok := route(ep, path)
			if !ok {
				continue
			}
			var name []byte
			dir := ""
			if ep.container == containerCMAF && o.kind != objSegment && o.kind != objInit {
				dir = ep.manifests[o.manifest].id + "/"
			}
			switch o.kind {
			case objMultivariant:
				name = append([]byte(dir+ep.manifests[o.manifest].name), extPlaylist...)
			case objMedia, objIFrames:
				name = appendPlaylistName([]byte(dir), ep.manifests[o.manifest].name, o.track, o.kind == objIFrames)
			case objSegment:
				ext := extTS
				if ep.container == containerCMAF {
					ext = extMP4
				}
				name = appendSegmentName(nil, "", ep.prefix, o.track, o.number, ext)
			case objIFrame:
				name = appendIFrameName(nil, ep.prefix, o.track, o.number)
			case objInit:
				name = appendInitName(nil, "", ep.prefix, o.track, int(o.number))
			}
			if string(name) != path {
				t.Errorf("route(%q) = %+v, whose name is %q", path, o, name)
			}
		}
	})
}
