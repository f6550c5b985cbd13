package fmp4

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/google/go-cmp/cmp"

	"boxcar/internal/media"
)

func TestFragmentRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		seq     uint32
		trackID uint32
		samples []media.Sample
	}{
		{"single sample", 1, 1, []media.Sample{{DTS: 0, Duration: 3600, Sync: true, Data: []byte{0, 0, 0, 1, 0x65}}}},
		{"video with B-frames", 7, 1, []media.Sample{
			{DTS: 900000, PTSOffset: 7200, Duration: 3600, Sync: true, Data: nals(4, testIDR)},
			{DTS: 903600, PTSOffset: 14400, Duration: 3600, Data: nals(4, testP)},
			{DTS: 907200, PTSOffset: 0, Duration: 3600, Data: nals(4, testB)},
			{DTS: 910800, PTSOffset: 3600, Duration: 3600, Data: nals(4, testB)},
		}},
		{"negative composition offsets", 2, 3, []media.Sample{
			{DTS: 100, PTSOffset: -100, Duration: 50, Sync: true, Data: []byte{1}},
			{DTS: 150, PTSOffset: 20, Duration: 50, Data: []byte{2}},
		}},
		{"audio past 2^32", 1 << 31, 2, []media.Sample{
			{DTS: 1 << 40, Duration: 1024, Sync: true, Data: []byte{1, 2, 3}},
			{DTS: 1<<40 + 1024, Duration: 1024, Sync: true, Data: []byte{4, 5}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frag, err := WriteFragment(tc.seq, tc.trackID, tc.samples)
			if err != nil {
				t.Fatalf("WriteFragment: %v", err)
			}
			if len(frag) != FragmentSize(tc.samples) {
				t.Errorf("len = %d, FragmentSize = %d", len(frag), FragmentSize(tc.samples))
			}
			id, got, err := ParseFragment(frag)
			if err != nil {
				t.Fatalf("ParseFragment: %v", err)
			}
			if id != tc.trackID {
				t.Errorf("track %d, want %d", id, tc.trackID)
			}
			if diff := cmp.Diff(tc.samples, got); diff != "" {
				t.Errorf("samples (-want +got):\n%s", diff)
			}
			checkFragmentBoxes(t, frag, tc.seq, tc.trackID, tc.samples)
		})
	}
}

// checkFragmentBoxes decodes a fragment with mp4ff and checks the fields
// CMAF requires.
func checkFragmentBoxes(t *testing.T, frag []byte, seq, trackID uint32, samples []media.Sample) {
	t.Helper()
	f, err := mp4.DecodeFileSR(bits.NewFixedSliceReader(frag))
	if err != nil {
		t.Fatalf("mp4ff decode: %v", err)
	}
	if len(f.Segments) != 1 || len(f.Segments[0].Fragments) != 1 {
		t.Fatalf("mp4ff sees no single fragment")
	}
	moof := f.Segments[0].Fragments[0].Moof
	traf := moof.Traf
	if moof.Mfhd.SequenceNumber != seq || traf.Tfhd.TrackID != trackID || !traf.Tfhd.DefaultBaseIfMoof() ||
		traf.Tfdt.Version != 1 || traf.Tfdt.BaseMediaDecodeTime() != uint64(samples[0].DTS) {
		t.Errorf("moof header fields wrong: mfhd %d tfhd %+v tfdt %+v", moof.Mfhd.SequenceNumber, traf.Tfhd, traf.Tfdt)
	}
	fs, err := f.Segments[0].Fragments[0].GetFullSamples(nil)
	if err != nil {
		t.Fatalf("mp4ff samples: %v", err)
	}
	for i, s := range fs {
		if s.DecodeTime != uint64(samples[i].DTS) || s.PresentationTime() != samples[i].PTS() ||
			s.IsSync() != samples[i].Sync || string(s.Data) != string(samples[i].Data) {
			t.Errorf("mp4ff sample %d = %+v, want %+v", i, s, samples[i])
		}
	}
}

// TestWriteFragmentGaps: a fragment keeps every DTS; durations become the
// distance to the next sample.
func TestWriteFragmentGaps(t *testing.T) {
	in := []media.Sample{
		{DTS: 0, Duration: 10, Sync: true, Data: []byte{1}},
		{DTS: 15, Duration: 10, Sync: true, Data: []byte{2}}, // 5 after the previous end
		{DTS: 22, Duration: 10, Sync: true, Data: []byte{3}}, // 3 before it
	}
	frag, err := WriteFragment(1, 1, in)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := ParseFragment(frag)
	if err != nil {
		t.Fatal(err)
	}
	want := []media.Sample{
		{DTS: 0, Duration: 15, Sync: true, Data: []byte{1}},
		{DTS: 15, Duration: 7, Sync: true, Data: []byte{2}},
		{DTS: 22, Duration: 10, Sync: true, Data: []byte{3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
}

func TestAppendFragmentNoAlloc(t *testing.T) {
	samples := benchFragment()
	buf := make([]byte, 0, FragmentSize(samples))
	allocs := testing.AllocsPerRun(10, func() {
		var err error
		if buf, err = AppendFragment(buf[:0], 1, 1, samples); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendFragment allocates %v times with a large enough buffer", allocs)
	}
	prefix := []byte("prefix")
	out, err := AppendFragment(prefix, 1, 1, samples)
	if err != nil || string(out[:6]) != "prefix" {
		t.Fatalf("AppendFragment lost the prefix: %v", err)
	}
	if _, got, err := ParseFragment(out[6:]); err != nil || len(got) != len(samples) {
		t.Fatalf("ParseFragment of appended fragment: %d samples, %v", len(got), err)
	}
}

func TestWriteFragmentErrors(t *testing.T) {
	tests := []struct {
		name    string
		samples []media.Sample
	}{
		{"no samples", nil},
		{"negative DTS", []media.Sample{{DTS: -1, Duration: 1, Data: []byte{1}}}},
		{"same DTS", []media.Sample{{DTS: 5, Duration: 10, Data: []byte{1}}, {DTS: 5, Duration: 10, Data: []byte{1}}}},
		{"DTS going back", []media.Sample{{DTS: 5, Duration: 10, Data: []byte{1}}, {DTS: 4, Duration: 10, Data: []byte{1}}}},
		{"DTS step over 2^32", []media.Sample{{DTS: 0, Duration: 10, Data: []byte{1}}, {DTS: 1 << 32, Duration: 10, Data: []byte{1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WriteFragment(1, 1, tc.samples); err == nil {
				t.Errorf("WriteFragment succeeded, want an error")
			}
		})
	}
}

func TestParseFragmentErrors(t *testing.T) {
	one, _ := WriteFragment(1, 1, []media.Sample{{Duration: 1, Sync: true, Data: []byte{1}}})
	two, _ := WriteFragment(2, 2, []media.Sample{{Duration: 1, Sync: true, Data: []byte{1}}})
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"no moof", SegmentHeader()},
		{"truncated", one[:len(one)-1]},
		{"two tracks", cat(one, two)},
		{"garbage", []byte{0, 0, 0, 9, 'm', 'o', 'o', 'f', 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ParseFragment(tc.data); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseFragment error = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestParseFragmentTestdata reads ffmpeg's CMAF fragments (tfhd defaults,
// first-sample flags) as ParseFragment callers would: one track at a time.
func TestParseFragmentTestdata(t *testing.T) {
	id, samples, err := ParseFragment(readTestdata(t, "hevc_0.m4s"))
	if err != nil {
		t.Fatalf("ParseFragment: %v", err)
	}
	if id != 1 || len(samples) != 25 || !samples[0].Sync || samples[1].Sync || samples[1].DTS != 512 {
		t.Errorf("track %d, %d samples, first %+v", id, len(samples), samples[0].Sync)
	}
}

// benchFragment is 2 s of 25 fps, 3 Mbps video: a 60 kB IDR frame, then
// P/B frames filling 750 kB.
func benchFragment() []media.Sample {
	rng := rand.New(rand.NewPCG(1, 2))
	const frames, total, idr = 50, 3_000_000 / 8 * 2, 60_000
	samples := make([]media.Sample, frames)
	for i := range samples {
		size := (total - idr) / (frames - 1)
		if i == 0 {
			size = idr
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		copy(data, u32(uint32(size-4)))
		data[4] = 0x41
		if i == 0 {
			data[4] = 0x65
		}
		samples[i] = media.Sample{DTS: 1_000_000_000 + int64(i)*3600, PTSOffset: int32(i%3) * 3600, Duration: 3600,
			Sync: i == 0, Data: data}
	}
	return samples
}

func fragmentBytes(samples []media.Sample) int64 {
	var n int64
	for _, s := range samples {
		n += int64(len(s.Data))
	}
	return n
}

func BenchmarkWriteFragment(b *testing.B) {
	samples := benchFragment()
	b.SetBytes(fragmentBytes(samples))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteFragment(1, 1, samples); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendFragment(b *testing.B) {
	samples := benchFragment()
	buf := make([]byte, 0, FragmentSize(samples))
	b.SetBytes(fragmentBytes(samples))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFragment(buf[:0], 1, 1, samples); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFragment(b *testing.B) {
	samples := benchFragment()
	frag, err := WriteFragment(1, 1, samples)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frag)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseFragment(frag); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSegment(b *testing.B) {
	samples := benchFragment()
	frag, err := WriteFragment(1, 1, samples)
	if err != nil {
		b.Fatal(err)
	}
	init := testTracks()[:1]
	init[0].Timescale = media.VideoTimescale
	b.SetBytes(int64(len(frag)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSegment(frag, init); err != nil {
			b.Fatal(err)
		}
	}
}
