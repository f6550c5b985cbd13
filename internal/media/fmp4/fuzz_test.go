package fmp4

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/media"
)

func addTestdataSeeds(f *testing.F, add func([]byte)) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.m*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

func FuzzParseInit(f *testing.F) {
	addTestdataSeeds(f, func(b []byte) { f.Add(b) })
	for _, tr := range testTracks() {
		if b, err := WriteInit(tr.TrackID, tr.Info); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tracks, err := ParseInit(data)
		if err != nil {
			return
		}
		for _, tr := range tracks {
			if tr.Info.Timescale == 0 || tr.Timescale == 0 || tr.Info.Codec.Kind() != tr.Info.Kind {
				t.Fatalf("ParseInit returned an inconsistent track: %+v", tr)
			}
			out, err := WriteInit(tr.TrackID, tr.Info)
			if err != nil {
				continue // e.g. avc3 without parameter sets
			}
			if _, err := ParseInit(out); err != nil {
				t.Fatalf("ParseInit of WriteInit(%+v): %v", tr.Info, err)
			}
		}
	})
}

func FuzzParseSegment(f *testing.F) {
	var inits [][]InitTrack
	for _, name := range []string{"h264_aac_init.mp4", "hevc_init.mp4", "ac3.mp4", "eac3.mp4"} {
		tracks, err := ParseInit(readTestdata(f, name))
		if err != nil {
			f.Fatal(err)
		}
		inits = append(inits, tracks)
	}
	for i, name := range []string{"h264_aac_0.m4s", "hevc_0.m4s", "ac3.mp4", "eac3.mp4"} {
		f.Add(uint8(i), readTestdata(f, name))
	}
	// Small hand-made segments let mutations reach the box headers.
	for _, tc := range parseSegmentCases() {
		if tc.init == nil {
			f.Add(uint8(len(inits)), tc.seg)
		}
	}
	inits = append(inits, testTracks())
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		init := inits[int(which)%len(inits)]
		got, err := ParseSegment(data, init)
		if err != nil {
			return
		}
		for _, ts := range got {
			var tr *InitTrack
			for i := range init {
				if init[i].TrackID == ts.TrackID {
					tr = &init[i]
				}
			}
			if tr == nil || len(ts.Samples) == 0 {
				t.Fatalf("ParseSegment returned track %d with %d samples", ts.TrackID, len(ts.Samples))
			}
			for i, s := range ts.Samples {
				if len(s.Data) == 0 {
					t.Fatalf("track %d sample %d is empty", ts.TrackID, i)
				}
				if tr.Info.Kind == media.KindVideo && !lengthPrefixed(s.Data) {
					t.Fatalf("track %d sample %d is not length-prefixed", ts.TrackID, i)
				}
				if tr.Info.Kind == media.KindAudio && (!s.Sync || s.PTSOffset != 0) {
					t.Fatalf("audio sample %d: %+v", i, s)
				}
			}
		}
	})
}

func FuzzParseFragment(f *testing.F) {
	addTestdataSeeds(f, func(b []byte) { f.Add(b) })
	for _, tc := range parseSegmentCases() {
		f.Add(tc.seg)
	}
	for _, samples := range [][]media.Sample{
		{{DTS: 900000, PTSOffset: 7200, Duration: 3600, Sync: true, Data: nals(4, testIDR)}, {DTS: 903600, Duration: 3600, Data: nals(4, testP)}},
		{{DTS: 1 << 40, PTSOffset: -5, Duration: 1024, Sync: true, Data: []byte{1, 2, 3}}},
	} {
		b, err := WriteFragment(3, 1, samples)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		id, samples, err := ParseFragment(data)
		if err != nil {
			return
		}
		if len(samples) == 0 {
			return
		}
		for i := 1; i < len(samples); i++ {
			if samples[i].DTS != samples[i-1].DTS+int64(samples[i-1].Duration) || samples[i-1].Duration == 0 {
				return // a tfdt jump between moofs or a zero duration: WriteFragment wants DTS to increase
			}
		}
		frag, err := WriteFragment(1, id, samples)
		if err != nil {
			t.Fatalf("WriteFragment of parsed samples: %v", err)
		}
		id2, back, err := ParseFragment(frag)
		if err != nil || id2 != id {
			t.Fatalf("ParseFragment of our fragment: track %d, %v", id2, err)
		}
		if diff := cmp.Diff(samples, back); diff != "" {
			t.Fatalf("round trip (-parsed +again):\n%s", diff)
		}
	})
}
