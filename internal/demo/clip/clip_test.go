package clip

import (
	"bytes"
	"io/fs"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// maxClipBytes keeps the committed clip small enough to live in the repository.
const maxClipBytes = 2 << 20

type track struct {
	timescale uint32
	samples   []mp4.FullSample
	fragments int
	fragStart []int // sample index where each fragment starts
	init      *mp4.InitSegment
}

func decode(t *testing.T, name string) track {
	t.Helper()
	b, err := fs.ReadFile(FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if f.Init == nil || len(f.Init.Moov.Traks) != 1 {
		t.Fatalf("%s: want an init segment with one track", name)
	}
	trak := f.Init.Moov.Trak
	if trak.Edts != nil {
		t.Errorf("%s: has an edit list", name)
	}
	tr := track{timescale: trak.Mdia.Mdhd.Timescale, init: f.Init}
	trex := f.Init.Moov.Mvex.Trex
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			s, err := frag.GetFullSamples(trex)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(s) > 0 && s[0].DecodeTime != sum(tr.samples) {
				t.Errorf("%s: fragment %d starts at %d, want %d", name, tr.fragments, s[0].DecodeTime, sum(tr.samples))
			}
			tr.fragStart = append(tr.fragStart, len(tr.samples))
			tr.samples = append(tr.samples, s...)
			tr.fragments++
		}
	}
	return tr
}

func sum(s []mp4.FullSample) uint64 {
	var d uint64
	for _, x := range s {
		d += uint64(x.Dur)
	}
	return d
}

func TestVideoRenditions(t *testing.T) {
	for _, r := range Renditions() {
		t.Run(r.File, func(t *testing.T) {
			tr := decode(t, r.File)
			if tr.timescale != VideoTimescale {
				t.Fatalf("timescale %d, want %d", tr.timescale, VideoTimescale)
			}
			if got, want := len(tr.samples), Seconds*VideoTimescale/FrameDuration; got != want {
				t.Errorf("%d frames, want %d", got, want)
			}
			if got, want := sum(tr.samples), uint64(Seconds*VideoTimescale); got != want {
				t.Errorf("duration %d ticks, want %d", got, want)
			}
			for i, s := range tr.samples {
				if s.Dur != FrameDuration || s.CompositionTimeOffset != 0 {
					t.Errorf("frame %d: duration %d, composition offset %d; want %d and 0", i, s.Dur, s.CompositionTimeOffset, FrameDuration)
				}
				if want := i%GOPFrames == 0; s.IsSync() != want {
					t.Errorf("frame %d: sync %v, want %v", i, s.IsSync(), want)
				}
			}
			if got, want := tr.fragments, len(tr.samples)/GOPFrames; got != want {
				t.Errorf("%d fragments, want one per GOP: %d", got, want)
			}
			for i, start := range tr.fragStart {
				if start != i*GOPFrames {
					t.Errorf("fragment %d starts at frame %d, want %d", i, start, i*GOPFrames)
				}
			}
			avc := tr.init.Moov.Trak.Mdia.Minf.Stbl.Stsd.AvcX
			if avc == nil || int(avc.Width) != r.Width || int(avc.Height) != r.Height {
				t.Errorf("sample entry %+v, want avc1 %dx%d", avc, r.Width, r.Height)
			}
		})
	}
}

func TestAudio(t *testing.T) {
	tr := decode(t, AudioFile)
	if tr.timescale != AudioTimescale {
		t.Fatalf("timescale %d, want %d", tr.timescale, AudioTimescale)
	}
	if got, want := len(tr.samples), Seconds*AudioTimescale/AudioFrameDuration; got != want {
		t.Errorf("%d AAC frames, want %d", got, want)
	}
	for i, s := range tr.samples {
		if s.Dur != AudioFrameDuration {
			t.Errorf("frame %d: duration %d, want %d", i, s.Dur, AudioFrameDuration)
		}
	}
	if got, want := sum(tr.samples), uint64(Seconds*AudioTimescale); got != want {
		t.Errorf("duration %d ticks, want %d: audio and video must loop together", got, want)
	}
	t.Logf("%d fragments starting at frames %v", tr.fragments, tr.fragStart)
	mp4a := tr.init.Moov.Trak.Mdia.Minf.Stbl.Stsd.Mp4a
	if mp4a == nil || mp4a.SampleRate != AudioTimescale || mp4a.ChannelCount != 2 {
		t.Errorf("sample entry %+v, want mp4a 48 kHz stereo", mp4a)
	}
}

func TestSize(t *testing.T) {
	var total int64
	entries, err := fs.ReadDir(FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	if total > maxClipBytes {
		t.Errorf("clip is %d bytes, keep it under %d", total, maxClipBytes)
	}
	t.Logf("clip: %d files, %d bytes", len(entries), total)
}
