package push_test

import (
	"testing"
	"time"

	"boxcar/internal/media"
	"boxcar/internal/push"
)

const start = 10 * media.VideoTimescale

func demoClip(t *testing.T) *push.Clip {
	t.Helper()
	c, err := push.DemoClip()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPlanWholeGOPs: segment boundaries are keyframes, the wanted duration
// rounded to whole 2 s GOPs (the earlier on a tie), and the 8 s loop seam is
// always one.
func TestPlanWholeGOPs(t *testing.T) {
	c := demoClip(t)
	for _, tc := range []struct {
		want time.Duration
		segs []time.Duration // one loop
	}{
		{time.Second, []time.Duration{2, 2, 2, 2}},
		{2 * time.Second, []time.Duration{2, 2, 2, 2}},
		{3 * time.Second, []time.Duration{2, 2, 2, 2}},
		{3100 * time.Millisecond, []time.Duration{4, 4}},
		{4 * time.Second, []time.Duration{4, 4}},
		{6 * time.Second, []time.Duration{6, 2}},
		{10 * time.Second, []time.Duration{8}},
	} {
		p, err := push.NewPlan(c, tc.want, start)
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Duration
		for n := range p.SegmentsPerLoop() {
			seg := p.Segment(uint64(n))
			got = append(got, seg.Duration()/time.Second)
			for r, v := range seg.Video {
				if !v[0].Sync {
					t.Errorf("%v: segment %d of rendition %d starts with a non-keyframe", tc.want, n, r)
				}
				if v[0].PTS() != seg.Start {
					t.Errorf("%v: segment %d of rendition %d starts at %d, want %d", tc.want, n, r, v[0].PTS(), seg.Start)
				}
			}
		}
		if len(got) != len(tc.segs) {
			t.Errorf("%v: segments %v s, want %v s", tc.want, got, tc.segs)
			continue
		}
		for i := range got {
			if got[i] != tc.segs[i] {
				t.Errorf("%v: segments %v s, want %v s", tc.want, got, tc.segs)
				break
			}
		}
	}
}

// TestPlanContinuous: across loops every track's timestamps run on without
// gap or overlap, and segments tile the timeline.
func TestPlanContinuous(t *testing.T) {
	for _, tc := range []struct {
		name string
		clip func(t *testing.T) *push.Clip
	}{
		{"demo clip", demoClip},
		{"B-frames and 44.1 kHz", func(t *testing.T) *push.Clip {
			c, err := push.LoadFiles(testClip(t, "ladder.mp4"))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.clip(t)
			p, err := push.NewPlan(c, 2*time.Second, start)
			if err != nil {
				t.Fatal(err)
			}
			n := uint64(3*p.SegmentsPerLoop() + 1)
			nextVideo := make([]int64, len(c.Video))
			var nextAudio, end int64
			for i := range n {
				seg := p.Segment(i)
				if i == 0 && seg.Start != start {
					t.Fatalf("stream starts at %d, want %d", seg.Start, start)
				}
				if i > 0 && seg.Start != end {
					t.Fatalf("segment %d starts at %d, the previous ended at %d", i, seg.Start, end)
				}
				end = seg.End
				for r, v := range seg.Video {
					for j, s := range v {
						if (i > 0 || j > 0) && s.DTS != nextVideo[r] {
							t.Fatalf("segment %d (loop %d) rendition %d sample %d at DTS %d, want %d", i, seg.Loop, r, j, s.DTS, nextVideo[r])
						}
						nextVideo[r] = s.DTS + int64(s.Duration)
					}
				}
				for j, s := range seg.Audio {
					if (i > 0 || j > 0) && s.DTS != nextAudio {
						t.Fatalf("segment %d (loop %d) audio frame %d at %d, want %d", i, seg.Loop, j, s.DTS, nextAudio)
					}
					nextAudio = s.DTS + int64(s.Duration)
				}
			}
		})
	}
}

// TestPlanAudioInStep: at every segment boundary, far into the stream too,
// the first audio frame starts within half a frame of the video, and each
// loop's audio starts with the clip's frame nearest to the loop start.
func TestPlanAudioInStep(t *testing.T) {
	c, err := push.LoadFiles(testClip(t, "ladder.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := push.NewPlan(c, 2*time.Second, start)
	if err != nil {
		t.Fatal(err)
	}
	rate := int64(c.Audio.Info.Timescale)
	const frame = 1024
	// The 4 s loop is 172.27 frames of 44.1 kHz AAC: without compensation
	// the audio would drift a frame every four loops.
	for _, n := range []uint64{0, 1, 2, 3, 7, 101, 1001, 100_001} {
		seg := p.Segment(n)
		a := seg.Audio[0]
		video := seg.Start * rate
		audio := a.DTS * media.VideoTimescale
		if d := abs(video - audio); d > frame*media.VideoTimescale/2 {
			t.Errorf("segment %d (loop %d): audio starts %.1f ms from video, want within half a frame",
				n, seg.Loop, float64(audio-video)/float64(rate*media.VideoTimescale)*1000)
		}
		if n%uint64(p.SegmentsPerLoop()) == 0 {
			first := firstInLoop(c)
			if &a.Data[0] != &c.Audio.Samples[first].Data[0] {
				t.Errorf("loop %d does not start with the clip's audio frame %d", seg.Loop, first)
			}
		}
	}
}

// firstInLoop is the index of the clip's first audio frame that overlaps
// the video (ladder.mp4's frame 0 is the encoder's priming frame).
func firstInLoop(c *push.Clip) int {
	for i, s := range c.Audio.Samples {
		if s.DTS+int64(s.Duration) > 0 {
			return i
		}
	}
	return -1
}

// TestPlanNearWrap: a stream started just below 2^33 runs on past it
// (timestamps are 64-bit; MPEG-TS wraps them when muxing).
func TestPlanNearWrap(t *testing.T) {
	p, err := push.NewPlan(demoClip(t), 2*time.Second, 1<<33-10*media.VideoTimescale)
	if err != nil {
		t.Fatal(err)
	}
	seg := p.Segment(6)
	if seg.Start <= 1<<33 || seg.Video[0][0].DTS != seg.Start {
		t.Errorf("segment 6 at %d (DTS %d), want past 2^33 = %d", seg.Start, seg.Video[0][0].DTS, int64(1)<<33)
	}
}

// TestPlanUnalignedKeyframes: renditions whose keyframes line up only at
// the start make one segment per loop.
func TestPlanUnalignedKeyframes(t *testing.T) {
	c, err := push.LoadFiles(testClip(t, "unaligned.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := push.NewPlan(c, time.Second, start)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SegmentsPerLoop(); got != 1 {
		t.Errorf("%d segments per loop, want 1", got)
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
