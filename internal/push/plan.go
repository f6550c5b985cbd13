package push

import (
	"fmt"
	"time"

	"boxcar/internal/media"
)

// keyframeTolerance is how far apart (90 kHz ticks, 1 ms) two renditions'
// keyframes may be and still count as one boundary: files written with
// different timescales round the same instant differently.
const keyframeTolerance = 90

// Plan cuts a clip into segments that repeat forever. Loop k plays the clip
// shifted by k times its period, so timestamps continue without a
// discontinuity; segment boundaries are keyframes every video rendition
// shares, about the requested segment duration apart in whole GOPs; the
// loop seam is always a boundary. Audio is one contiguous run of frames
// whose loop starts are placed on the frame nearest to the video's (so the
// two never drift apart by more than half a frame), and each segment takes
// the audio frames nearest to its video boundaries.
//
// A Plan is immutable and safe for concurrent use.
type Plan struct {
	base   int64 // 90 kHz presentation time of loop 0's first keyframe
	origin int64 // the clip's time of that keyframe, 90 kHz
	period int64 // loop length, 90 kHz
	bounds []int64
	video  []videoPlan
	audio  *audioPlan
}

// videoPlan is one video rendition, trimmed to the loop.
type videoPlan struct {
	info media.TrackInfo
	name string
	// samples have times relative to the loop start (the first keyframe
	// of the first rendition presents at 0).
	samples []media.Sample
	// cuts[i] is the index of the sample starting segment i; the last
	// entry is len(samples).
	cuts []int
}

// audioPlan maps the endless run of audio frames onto the clip's frames.
type audioPlan struct {
	info   media.TrackInfo
	name   string
	frames []media.Sample // the clip's frames that overlap the loop
	fd     int64          // frame duration, audio timescale
	rate   int64          // audio timescale
	start  int64          // audio time of endless frame 0
}

// Segment is one segment of the endless stream.
type Segment struct {
	// Index counts segments from 0 at the start of the stream.
	Index uint64
	// Loop is the pass over the clip the segment belongs to.
	Loop uint64
	// Start and End are the presentation times (90 kHz, unwrapped) of the
	// first keyframe and of the next segment's.
	Start, End int64
	// Video holds each rendition's samples, in decode order, with stream
	// timestamps; Audio the audio frames of the segment (nil without
	// audio). Sample data aliases the clip.
	Video [][]media.Sample
	Audio []media.Sample
}

// Duration is the segment's length.
func (s *Segment) Duration() time.Duration {
	return ticks(s.End - s.Start)
}

// ticks converts 90 kHz ticks to a duration.
func ticks(t int64) time.Duration { return media.Ticks(t).Duration() }

// NewPlan cuts clip into segments of about segmentDuration (rounded to
// whole GOPs; at least one GOP) whose stream starts at presentation time
// start (90 kHz).
func NewPlan(clip *Clip, segmentDuration time.Duration, start int64) (*Plan, error) {
	if clip == nil || len(clip.Video) == 0 {
		return nil, fmt.Errorf("%w: no video", ErrClip)
	}
	if segmentDuration <= 0 {
		return nil, fmt.Errorf("push: plan: segment duration %v, want > 0", segmentDuration)
	}
	p := &Plan{base: start}
	if err := p.addVideo(clip.Video); err != nil {
		return nil, err
	}
	if err := p.setPeriod(); err != nil {
		return nil, err
	}
	p.trimVideo()
	p.bounds = segmentBounds(commonKeyframes(p.video, p.period), p.period, int64(segmentDuration*media.VideoTimescale/time.Second))
	p.cutVideo()
	if clip.Audio != nil {
		a, err := newAudioPlan(clip.Audio, p)
		if err != nil {
			return nil, err
		}
		p.audio = a
	}
	return p, nil
}

// addVideo adds the video renditions, each without what precedes its
// first keyframe; the first rendition's first keyframe is time 0.
func (p *Plan) addVideo(video []Track) error {
	for i := range video {
		t := &video[i]
		if t.Info.Timescale != media.VideoTimescale {
			return fmt.Errorf("%w: %s: video timescale %d", ErrClip, t.Name, t.Info.Timescale)
		}
		first := -1
		for j := range t.Samples {
			if t.Samples[j].Sync {
				first = j
				break
			}
		}
		if first < 0 {
			return fmt.Errorf("%w: %s has no keyframe", ErrClip, t.Name)
		}
		if i == 0 {
			p.origin = t.Samples[first].PTS()
		}
		v := videoPlan{info: t.Info, name: t.Name, samples: make([]media.Sample, len(t.Samples)-first)}
		for j, s := range t.Samples[first:] {
			s.DTS -= p.origin
			v.samples[j] = s
		}
		p.video = append(p.video, v)
	}
	return nil
}

// setPeriod sets the loop's length: that of the shortest rendition, once
// every rendition is known to start with the first one.
func (p *Plan) setPeriod() error {
	for i := range p.video {
		v := &p.video[i]
		if k := v.samples[0].PTS(); abs(k) > keyframeTolerance {
			return fmt.Errorf("%w: %s starts with a keyframe at %v, %s at 0: renditions must start together",
				ErrClip, v.name, ticks(k), p.video[0].name)
		}
		last := v.samples[len(v.samples)-1]
		if n := last.DTS + int64(last.Duration) - v.samples[0].DTS; i == 0 || n < p.period {
			p.period = n
		}
	}
	if p.period <= 0 {
		return fmt.Errorf("%w: %s has no duration", ErrClip, p.video[0].name)
	}
	return nil
}

// trimVideo cuts every rendition to the loop's length: longer ones lose
// the frames past it (trailing frames in decode order, which no earlier
// frame references), and the last frame lasts to the loop's end.
func (p *Plan) trimVideo() {
	for i := range p.video {
		v := &p.video[i]
		end := v.samples[0].DTS + p.period
		n := len(v.samples)
		for n > 1 && v.samples[n-1].DTS >= end {
			n--
		}
		v.samples = v.samples[:n]
		v.samples[n-1].Duration = uint32(end - v.samples[n-1].DTS)
	}
}

// cutVideo finds, in every rendition, the sample each segment bound
// starts at: its keyframe at the bound, or the end for the last bound.
func (p *Plan) cutVideo() {
	for i := range p.video {
		v := &p.video[i]
		v.cuts = make([]int, len(p.bounds))
		j := 0
		for b, t := range p.bounds {
			for j < len(v.samples) && !(v.samples[j].Sync && abs(v.samples[j].PTS()-t) <= keyframeTolerance) {
				j++
			}
			if b == len(p.bounds)-1 {
				j = len(v.samples)
			}
			v.cuts[b] = j
		}
	}
}

// commonKeyframes returns the presentation times of the first rendition's
// keyframes that every rendition shares, within the loop.
func commonKeyframes(video []videoPlan, period int64) []int64 {
	var out []int64
	for _, s := range video[0].samples {
		t := s.PTS()
		if !s.Sync || t < 0 || t >= period {
			continue
		}
		shared := true
		for _, v := range video[1:] {
			found := false
			for _, o := range v.samples {
				if o.Sync && abs(o.PTS()-t) <= keyframeTolerance {
					found = true
					break
				}
			}
			shared = shared && found
		}
		if shared {
			out = append(out, t)
		}
	}
	return out
}

// segmentBounds picks segment boundaries among keyframes (sorted, the
// first at 0): from each boundary, the keyframe nearest to one segment
// duration later (the earlier on a tie), and always the loop end.
func segmentBounds(keyframes []int64, period, target int64) []int64 {
	cands := append(append([]int64(nil), keyframes[1:]...), period)
	bounds := []int64{0}
	cur := int64(0)
	for i := 0; cur < period; {
		best := cands[i]
		for j := i; j < len(cands); j++ {
			if abs(cands[j]-cur-target) < abs(best-cur-target) {
				best, i = cands[j], j
			}
			if cands[j]-cur >= target {
				break
			}
		}
		for i < len(cands) && cands[i] <= best {
			i++
		}
		bounds = append(bounds, best)
		cur = best
	}
	return bounds
}

func newAudioPlan(t *Track, p *Plan) (*audioPlan, error) {
	if len(t.Samples) == 0 {
		return nil, fmt.Errorf("%w: %s has no samples", ErrClip, t.Name)
	}
	a := &audioPlan{info: t.Info, name: t.Name, rate: int64(t.Info.Timescale), fd: int64(commonDuration(t.Samples))}
	if a.rate <= 0 || a.fd <= 0 {
		return nil, fmt.Errorf("%w: %s: timescale %d, frame duration %d", ErrClip, t.Name, a.rate, a.fd)
	}
	// Frames that overlap the loop [0, period), in loop time.
	end := media.Rescale(p.period, media.VideoTimescale, uint32(a.rate))
	origin := media.Rescale(p.origin, media.VideoTimescale, uint32(a.rate))
	for _, s := range t.Samples {
		s.DTS -= origin
		if s.DTS+a.fd > 0 && s.DTS < end {
			a.frames = append(a.frames, s)
		}
	}
	if len(a.frames) == 0 {
		return nil, fmt.Errorf("%w: %s has no audio during the video", ErrClip, t.Name)
	}
	for i := range a.frames {
		a.frames[i].Duration = uint32(a.fd)
		a.frames[i].PTSOffset = 0
	}
	a.start = media.Rescale(p.base, media.VideoTimescale, uint32(a.rate)) + a.frames[0].DTS
	return a, nil
}

// loopStart is the endless frame index where loop k starts: the frame
// nearest to the video's loop start.
func (a *audioPlan) loopStart(k int64, period int64) int64 {
	den := 2 * media.VideoTimescale * a.fd
	return (2*k*period*a.rate + media.VideoTimescale*a.fd) / den
}

// frameAt is the first endless frame of a segment starting at presentation
// time t (90 kHz): the frame whose start is nearest to t.
func (a *audioPlan) frameAt(t int64) int64 {
	num := t*a.rate - a.start*media.VideoTimescale - a.fd*media.VideoTimescale/2
	den := a.fd * media.VideoTimescale
	j := num / den
	if num%den != 0 && num > 0 {
		j++
	}
	return max(j, 0)
}

// frame returns endless frame j.
func (a *audioPlan) frame(j int64, period int64) media.Sample {
	k := j * a.fd * media.VideoTimescale / (period * a.rate)
	for k > 0 && a.loopStart(k, period) > j {
		k--
	}
	for a.loopStart(k+1, period) <= j {
		k++
	}
	m := min(j-a.loopStart(k, period), int64(len(a.frames)-1))
	s := a.frames[m]
	s.DTS = a.start + j*a.fd
	return s
}

// Segment returns segment n of the endless stream.
func (p *Plan) Segment(n uint64) Segment {
	per := uint64(len(p.bounds) - 1)
	k, i := n/per, int(n%per)
	off := p.base + int64(k)*p.period
	seg := Segment{Index: n, Loop: k, Start: off + p.bounds[i], End: off + p.bounds[i+1]}
	seg.Video = make([][]media.Sample, len(p.video))
	for r, v := range p.video {
		src := v.samples[v.cuts[i]:v.cuts[i+1]]
		out := make([]media.Sample, len(src))
		for j, s := range src {
			s.DTS += off
			out[j] = s
		}
		seg.Video[r] = out
	}
	if p.audio != nil {
		from, to := p.audio.frameAt(seg.Start), p.audio.frameAt(seg.End)
		seg.Audio = make([]media.Sample, 0, to-from)
		for j := from; j < to; j++ {
			seg.Audio = append(seg.Audio, p.audio.frame(j, p.period))
		}
	}
	return seg
}

// SegmentsPerLoop is the number of segments one pass over the clip makes.
func (p *Plan) SegmentsPerLoop() int { return len(p.bounds) - 1 }

// LoopDuration is the length of one pass over the clip.
func (p *Plan) LoopDuration() time.Duration { return ticks(p.period) }

// MaxSegmentDuration is the longest segment's duration.
func (p *Plan) MaxSegmentDuration() time.Duration {
	var m int64
	for i := 1; i < len(p.bounds); i++ {
		m = max(m, p.bounds[i]-p.bounds[i-1])
	}
	return ticks(m)
}

// Video returns the codec configuration of each video rendition.
func (p *Plan) Video() []media.TrackInfo {
	out := make([]media.TrackInfo, len(p.video))
	for i, v := range p.video {
		out[i] = v.info
	}
	return out
}

// Audio returns the audio codec configuration, nil without audio.
func (p *Plan) Audio() *media.TrackInfo {
	if p.audio == nil {
		return nil
	}
	info := p.audio.info
	return &info
}

// FrameRate is the frame rate of video rendition r, from its most common
// frame duration.
func (p *Plan) FrameRate(r int) float64 {
	d := commonDuration(p.video[r].samples)
	if d == 0 {
		return 0
	}
	return float64(media.VideoTimescale) / float64(d)
}

// commonDuration returns the most common sample duration.
func commonDuration(s []media.Sample) uint32 {
	counts := map[uint32]int{}
	best := uint32(0)
	for _, x := range s {
		counts[x.Duration]++
		if counts[x.Duration] > counts[best] {
			best = x.Duration
		}
	}
	return best
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
