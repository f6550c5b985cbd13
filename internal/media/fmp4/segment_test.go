package fmp4

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/media"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// H.264 NAL units for hand-made samples; the SPS/PPS are x264's for 320x240.
var (
	testSPS = mustHex("6764000dacd94141fb011000000300100000030320f1429960")
	testPPS = mustHex("68ebe3cb22c0")
	testAUD = []byte{0x09, 0xf0}
	testIDR = []byte{0x65, 0x88, 0x84, 0x00, 0x10, 0x20}
	testP   = []byte{0x41, 0x9a, 0x02, 0x03}
	testB   = []byte{0x01, 0x9e, 0x04, 0x05}
)

func testTracks() []InitTrack {
	return []InitTrack{
		{
			TrackID: 1, Timescale: 12800, SampleEntry: "avc1", LengthSize: 4,
			Info: media.TrackInfo{Kind: media.KindVideo, Codec: media.CodecH264, Timescale: media.VideoTimescale,
				Width: 320, Height: 240, SPS: [][]byte{testSPS}, PPS: [][]byte{testPPS}},
		},
		{
			TrackID: 2, Timescale: 48000, SampleEntry: "mp4a",
			Info: media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAAC, Timescale: 48000,
				SampleRate: 48000, Channels: 2, AudioConfig: []byte{0x11, 0x90}},
		},
	}
}

// parseSegmentCase is one hand-made segment and what ParseSegment makes of it.
type parseSegmentCase struct {
	name string
	init []InitTrack // testTracks() when nil
	seg  []byte
	want []TrackSamples
}

func parseSegmentCases() []parseSegmentCase {
	idr, p, b := nals(4, testIDR), nals(4, testP), nals(4, testB)
	prefix := cat(
		mkBox("styp", []byte("msdh"), u32(0), []byte("msdhmsix")),
		mkFull("sidx", 1, 0, u32(1), u32(12800), u64(0), u64(0), u16(0), u16(0)),
		mkFull("prft", 1, 0, u32(1), u64(0), u64(0)),
		mkFull("emsg", 1, 0, u32(1000), u64(0), u32(0), u32(1), []byte("urn:x\x00\x00"), []byte("hi")),
		mkBox("free", []byte("padding")),
	)
	withInit := func(mod func([]InitTrack)) []InitTrack {
		tr := testTracks()
		mod(tr)
		return tr
	}
	video := func(samples ...media.Sample) []TrackSamples {
		return []TrackSamples{{TrackID: 1, Samples: samples}}
	}
	return []parseSegmentCase{
		{
			name: "tfhd defaults, first sample flags, trun v0 offsets",
			seg: fragSpec{
				trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration | tfhdDefaultFlags,
				defDur: 512, defFlags: flagsNonSync, tfdtVersion: 1, tfdt: 128000,
				trunFlags: trunFirstSampleFlags | trunSampleSize | trunSampleCompositionTO, firstFlags: flagsSync,
				recs:    [][]uint32{{uint32(len(idr)), 1024}, {uint32(len(p)), 2048}, {uint32(len(b)), 0}},
				payload: cat(idr, p, b),
			}.build(0),
			want: video(
				media.Sample{DTS: 900000, PTSOffset: 7200, Duration: 3600, Sync: true, Data: idr},
				media.Sample{DTS: 903600, PTSOffset: 14400, Duration: 3600, Data: p},
				media.Sample{DTS: 907200, Duration: 3600, Data: b},
			),
		},
		{
			name: "trun v1 negative offsets, per-sample fields, tfdt v0",
			seg: fragSpec{
				trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof, tfdt: 12800, trunVersion: 1,
				trunFlags: trunSampleDuration | trunSampleSize | trunSampleFlags | trunSampleCompositionTO,
				recs: [][]uint32{
					{512, uint32(len(idr)), flagsSync, 0},
					{256, uint32(len(b)), flagsNonSync, uint32(0xfffffe00)}, // -512
				},
				payload: cat(idr, b),
			}.build(0),
			want: video(
				media.Sample{DTS: 90000, Duration: 3600, Sync: true, Data: idr},
				media.Sample{DTS: 93600, PTSOffset: -3600, Duration: 1800, Data: b},
			),
		},
		{
			name: "trex defaults only",
			init: withInit(func(tr []InitTrack) {
				tr[0].Defaults = SampleDefaults{Duration: 512, Size: uint32(len(p)), Flags: flagsNonSync}
			}),
			seg: fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof, recs: [][]uint32{{}, {}}, payload: cat(p, p)}.build(0),
			want: video(
				media.Sample{DTS: 0, Duration: 3600, Data: p},
				media.Sample{DTS: 3600, Duration: 3600, Data: p},
			),
		},
		{
			name: "explicit base_data_offset after styp, sidx, prft, emsg, free",
			seg: cat(prefix, fragSpec{
				trackID: 1, tfhdFlags: tfhdBaseDataOffset | tfhdDefaultDuration, defDur: 512,
				trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(idr))}}, payload: idr,
			}.build(len(prefix))),
			want: video(media.Sample{Duration: 3600, Sync: true, Data: idr}),
		},
		{
			name: "two moofs",
			seg: cat(
				fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512, tfdt: 512,
					trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(idr))}}, payload: idr}.build(0),
				fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512, tfdt: 1024,
					trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(p))}}, payload: p}.build(0),
			),
			want: video(
				media.Sample{DTS: 3600, Duration: 3600, Sync: true, Data: idr},
				media.Sample{DTS: 7200, Duration: 3600, Data: p},
			),
		},
		{
			name: "2-byte NAL lengths and AUDs rewritten",
			init: withInit(func(tr []InitTrack) { tr[0].LengthSize = 2 }),
			seg: fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512,
				trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(nals(2, testAUD, testIDR)))}, {uint32(len(nals(2, testP)))}},
				payload: cat(nals(2, testAUD, testIDR), nals(2, testP))}.build(0),
			want: video(
				media.Sample{DTS: 0, Duration: 3600, Sync: true, Data: idr},
				media.Sample{DTS: 3600, Duration: 3600, Data: p},
			),
		},
		{
			name: "in-band parameter sets lifted into Info (avc3 without them in the init)",
			init: withInit(func(tr []InitTrack) {
				tr[0].SampleEntry, tr[0].Info.SPS, tr[0].Info.PPS, tr[0].Info.Width, tr[0].Info.Height = "avc3", nil, nil, 16, 16
			}),
			seg: fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512,
				trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(nals(4, testAUD, testSPS, testPPS, testIDR)))}},
				payload: nals(4, testAUD, testSPS, testPPS, testIDR)}.build(0),
			want: []TrackSamples{{TrackID: 1, Samples: []media.Sample{{Duration: 3600, Sync: true, Data: idr}},
				Info: &testTracks()[0].Info}},
		},
		{
			name: "in-band parameter sets equal to the init's stripped",
			seg: fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512,
				trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(nals(4, testSPS, testPPS, testIDR)))}},
				payload: nals(4, testSPS, testPPS, testIDR)}.build(0),
			want: video(media.Sample{Duration: 3600, Sync: true, Data: idr}),
		},
		{
			name: "IDR flagged non-sync and P flagged sync follow the bitstream",
			seg: fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512,
				trunFlags: trunSampleSize | trunSampleFlags,
				recs:      [][]uint32{{uint32(len(idr)), flagsNonSync}, {uint32(len(p)), flagsSync}},
				payload:   cat(idr, p)}.build(0),
			want: video(
				media.Sample{Duration: 3600, Sync: true, Data: idr},
				media.Sample{DTS: 3600, Duration: 3600, Data: p},
			),
		},
		{
			name: "audio all sync",
			seg: fragSpec{trackID: 2, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration | tfhdDefaultFlags,
				defDur: 1024, defFlags: flagsNonSync, tfdtVersion: 1, tfdt: 48000 * 3600 * 24 * 365,
				trunFlags: trunSampleSize, recs: [][]uint32{{3}, {2}}, payload: []byte{1, 2, 3, 4, 5}}.build(0),
			want: []TrackSamples{{TrackID: 2, Samples: []media.Sample{
				{DTS: 48000 * 3600 * 24 * 365, Duration: 1024, Sync: true, Data: []byte{1, 2, 3}},
				{DTS: 48000*3600*24*365 + 1024, Duration: 1024, Sync: true, Data: []byte{4, 5}},
			}}},
		},
		{
			name: "muxed moof, implicit bases",
			seg: func() []byte {
				mk := func(off uint32) []byte {
					return mkBox("moof", mkFull("mfhd", 0, 0, u32(1)),
						mkBox("traf", mkFull("tfhd", 0, tfhdDefaultDuration, u32(1), u32(512)), mkFull("tfdt", 0, 0, u32(0)),
							mkFull("trun", 0, trunDataOffset|trunSampleSize, u32(1), u32(off), u32(uint32(len(idr))))),
						mkBox("traf", mkFull("tfhd", 0, tfhdDefaultDuration, u32(2), u32(1024)), mkFull("tfdt", 0, 0, u32(0)),
							mkFull("trun", 0, trunSampleSize, u32(2), u32(2), u32(1))))
				}
				moof := mk(uint32(len(mk(0)) + 8))
				return cat(moof, mkBox("mdat", idr, []byte{7, 8, 9}))
			}(),
			want: []TrackSamples{
				{TrackID: 1, Samples: []media.Sample{{Duration: 3600, Sync: true, Data: idr}}},
				{TrackID: 2, Samples: []media.Sample{{Duration: 1024, Sync: true, Data: []byte{7, 8}}, {DTS: 1024, Duration: 1024, Sync: true, Data: []byte{9}}}},
			},
		},
	}
}

func TestParseSegment(t *testing.T) {
	for _, tc := range parseSegmentCases() {
		t.Run(tc.name, func(t *testing.T) {
			init := tc.init
			if init == nil {
				init = testTracks()
			}
			got, err := ParseSegment(tc.seg, init)
			if err != nil {
				t.Fatalf("ParseSegment: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSegment mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSegmentErrors(t *testing.T) {
	idr := nals(4, testIDR)
	good := fragSpec{trackID: 1, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 512,
		trunFlags: trunSampleSize, recs: [][]uint32{{uint32(len(idr))}}, payload: idr}
	with := func(mod func(*fragSpec)) []byte {
		f := good
		mod(&f)
		return f.build(0)
	}
	tests := []struct {
		name string
		seg  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"no moof", mkBox("mdat", idr), ErrMalformed},
		{"truncated", good.build(0)[:40], ErrMalformed},
		{"unknown track", with(func(f *fragSpec) { f.trackID = 9 }), ErrUnknownTrack},
		{"no tfdt", with(func(f *fragSpec) { f.noTfdt = true }), ErrMalformed},
		{"sample beyond data", with(func(f *fragSpec) { f.payload = idr[:4] }), ErrMalformed},
		{"zero-size sample", with(func(f *fragSpec) { f.recs = [][]uint32{{0}} }), ErrMalformed},
		{"bad NAL length", with(func(f *fragSpec) { f.payload = cat(u32(200), testIDR); f.recs = [][]uint32{{uint32(len(f.payload))}} }), ErrMalformed},
		{"sample count over limit", with(func(f *fragSpec) { f.trunFlags = 0; f.recs = make([][]uint32, maxSamples+1) }), ErrMalformed},
		{"tfdt out of range", with(func(f *fragSpec) { f.tfdtVersion, f.tfdt = 1, 1<<63 }), ErrMalformed},
		{"trun records cut short", cat(with(func(f *fragSpec) { f.recs = [][]uint32{{uint32(len(idr))}, {1}} })), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSegment(tc.seg, testTracks())
			if !errors.Is(err, tc.want) {
				t.Errorf("ParseSegment error = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestParseSegmentTestdata parses ffmpeg output committed under testdata.
func TestParseSegmentTestdata(t *testing.T) {
	tests := []struct {
		init   string
		segs   []string
		counts []int // samples per track, as ffprobe -count_packets counts them
	}{
		{"h264_aac_init.mp4", []string{"h264_aac_0.m4s", "h264_aac_1.m4s"}, []int{50, 95}},
		{"hevc_init.mp4", []string{"hevc_0.m4s"}, []int{25}},
		{"ac3.mp4", []string{"ac3.mp4"}, []int{7}},
		{"eac3.mp4", []string{"eac3.mp4"}, []int{7}},
	}
	for _, tc := range tests {
		t.Run(tc.init, func(t *testing.T) {
			tracks, err := ParseInit(readTestdata(t, tc.init))
			if err != nil {
				t.Fatalf("ParseInit: %v", err)
			}
			counts := make([]int, len(tracks))
			for _, name := range tc.segs {
				got, err := ParseSegment(readTestdata(t, name), tracks)
				if err != nil {
					t.Fatalf("ParseSegment %s: %v", name, err)
				}
				for _, ts := range got {
					if ts.Info != nil {
						t.Errorf("%s: track %d: unexpected Info update", name, ts.TrackID)
					}
					for i, tr := range tracks {
						if tr.TrackID == ts.TrackID {
							counts[i] += len(ts.Samples)
							if tr.Info.Kind == media.KindVideo && !ts.Samples[0].Sync {
								t.Errorf("%s: video does not start with a sync sample", name)
							}
						}
					}
				}
			}
			if diff := cmp.Diff(tc.counts, counts); diff != "" {
				t.Errorf("sample counts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseSegmentTimeRange: times whose rescaling could overflow are
// rejected, not wrapped.
func TestParseSegmentTimeRange(t *testing.T) {
	init := testTracks()
	init[1].Timescale = 1 // one tick per second, rescaled to 48 kHz
	for _, tc := range []struct {
		tfdt uint64
		ok   bool
	}{{1 << 39, true}, {1 << 40, false}, {1 << 61, false}} {
		seg := fragSpec{trackID: 2, tfhdFlags: tfhdDefaultBaseIsMoof | tfhdDefaultDuration, defDur: 1,
			tfdtVersion: 1, tfdt: tc.tfdt, trunFlags: trunSampleSize, recs: [][]uint32{{1}}, payload: []byte{1}}.build(0)
		got, err := ParseSegment(seg, init)
		if tc.ok && (err != nil || got[0].Samples[0].DTS != int64(tc.tfdt)*48000) {
			t.Errorf("tfdt %d: %v, %+v", tc.tfdt, err, got)
		}
		if !tc.ok && !errors.Is(err, ErrMalformed) {
			t.Errorf("tfdt %d: error %v, want ErrMalformed", tc.tfdt, err)
		}
	}
}
