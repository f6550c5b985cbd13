package push_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"boxcar/internal/demo/clip"
	"boxcar/internal/media"
	"boxcar/internal/push"
)

// TestDemoClip reads the built-in clip: three renditions of 200 frames with
// a keyframe every 50, and 375 AAC frames, every track contiguous.
func TestDemoClip(t *testing.T) {
	c, err := push.DemoClip()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Video) != len(clip.Renditions()) {
		t.Fatalf("%d video renditions, want %d", len(c.Video), len(clip.Renditions()))
	}
	for i, r := range clip.Renditions() {
		v := c.Video[i]
		if v.Info.Codec != media.CodecH264 || v.Info.Width != r.Width || v.Info.Height != r.Height || len(v.Info.SPS) == 0 || len(v.Info.PPS) == 0 {
			t.Errorf("%s: %v %dx%d with %d SPS, %d PPS, want h264 %dx%d with parameter sets",
				v.Name, v.Info.Codec, v.Info.Width, v.Info.Height, len(v.Info.SPS), len(v.Info.PPS), r.Width, r.Height)
		}
		checkTrack(t, v, clip.Seconds*clip.VideoTimescale/clip.FrameDuration, clip.GOPFrames)
	}
	if c.Audio == nil {
		t.Fatal("no audio")
	}
	a := c.Audio
	if a.Info.Codec != media.CodecAAC || a.Info.SampleRate != clip.AudioTimescale || a.Info.Channels != 2 || len(a.Info.AudioConfig) < 2 {
		t.Errorf("audio %v %d Hz %d channels, config %x", a.Info.Codec, a.Info.SampleRate, a.Info.Channels, a.Info.AudioConfig)
	}
	checkTrack(t, *a, clip.Seconds*clip.AudioTimescale/clip.AudioFrameDuration, 1)
}

// checkTrack checks a track's sample count, contiguous decode times from 0,
// and keyframes every gop samples (and only there).
func checkTrack(t *testing.T, tr push.Track, n, gop int) {
	t.Helper()
	if len(tr.Samples) != n {
		t.Errorf("%s: %d samples, want %d", tr.Name, len(tr.Samples), n)
	}
	var next int64
	for i, s := range tr.Samples {
		if s.DTS != next {
			t.Errorf("%s: sample %d at %d, want %d", tr.Name, i, s.DTS, next)
			return
		}
		if s.Sync != (i%gop == 0) {
			t.Errorf("%s: sample %d sync %v", tr.Name, i, s.Sync)
		}
		next = s.DTS + int64(s.Duration)
	}
}

func TestLoadFiles(t *testing.T) {
	for _, c := range []struct {
		name        string
		files       []string
		sizes       [][2]int
		audioRate   int
		bframes     bool
		audioSource string
	}{
		{"one file, two video tracks", []string{"ladder.mp4"}, [][2]int{{640, 360}, {320, 180}}, 44100, true, "ladder.mp4#3"},
		{"a file per rendition", []string{"a.mp4", "b.mp4"}, [][2]int{{480, 270}, {256, 144}}, 48000, false, "a.mp4#2"},
		{"fragmented and progressive", []string{"a-frag.mp4", "b.mp4"}, [][2]int{{480, 270}, {256, 144}}, 48000, false, "a-frag.mp4#2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var paths []string
			for _, f := range c.files {
				paths = append(paths, testClip(t, f))
			}
			cl, err := push.LoadFiles(paths...)
			if err != nil {
				t.Fatal(err)
			}
			if len(cl.Video) != len(c.sizes) {
				t.Fatalf("%d video tracks, want %d", len(cl.Video), len(c.sizes))
			}
			for i, v := range cl.Video {
				if v.Info.Width != c.sizes[i][0] || v.Info.Height != c.sizes[i][1] {
					t.Errorf("%s: %dx%d, want %dx%d", v.Name, v.Info.Width, v.Info.Height, c.sizes[i][0], c.sizes[i][1])
				}
				// The edit list puts the first frame on screen at 0
				// whatever the B-frame delay.
				if !v.Samples[0].Sync || v.Samples[0].PTS() != 0 {
					t.Errorf("%s: first sample sync %v at PTS %d, want a keyframe at 0", v.Name, v.Samples[0].Sync, v.Samples[0].PTS())
				}
				reordered := false
				for _, s := range v.Samples {
					reordered = reordered || s.PTSOffset != 0
				}
				if reordered != c.bframes {
					t.Errorf("%s: composition offsets %v, want %v", v.Name, reordered, c.bframes)
				}
			}
			if cl.Audio == nil || cl.Audio.Info.SampleRate != c.audioRate || cl.Audio.Name != c.audioSource {
				t.Fatalf("audio %+v, want %d Hz from %s", cl.Audio, c.audioRate, c.audioSource)
			}
		})
	}
}

// TestFragmentedMatchesProgressive: a remux to fragmented MP4 reads as the
// same samples.
func TestFragmentedMatchesProgressive(t *testing.T) {
	prog, err := push.LoadFiles(testClip(t, "a.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	frag, err := push.LoadFiles(testClip(t, "a-frag.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]push.Track{{prog.Video[0], frag.Video[0]}, {*prog.Audio, *frag.Audio}} {
		p, f := pair[0].Samples, pair[1].Samples
		if len(p) != len(f) {
			t.Fatalf("%s: %d samples progressive, %d fragmented", pair[0].Name, len(p), len(f))
		}
		for i := range p {
			if !bytes.Equal(p[i].Data, f[i].Data) || p[i].Sync != f[i].Sync {
				t.Fatalf("%s: sample %d differs", pair[0].Name, i)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.mp4")
	if err := os.WriteFile(garbage, []byte("this is not an MP4 file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		files   []string
		errClip bool
	}{
		{"audio only", []string{testClip(t, "audio.mp4")}, true},
		{"not an MP4", []string{garbage}, false},
		{"missing", []string{filepath.Join(t.TempDir(), "nope.mp4")}, false},
		{"no files", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := push.LoadFiles(c.files...)
			if err == nil {
				t.Fatal("no error")
			}
			if c.errClip && !errors.Is(err, push.ErrClip) {
				t.Errorf("error %v is not ErrClip", err)
			}
		})
	}
}
