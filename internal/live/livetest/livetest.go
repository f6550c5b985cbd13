// Package livetest builds synthetic live timelines for tests of the
// packagers and the HTTP layers: a live.Manager over a memory store and a
// fake clock, fed with synthetic H.264 and AAC segments whose codec
// configuration is real (manifests and codec strings come out right) and
// whose payload is filler.
package livetest

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/store"
)

// Epoch is the fake clock's start: 2026-01-01T00:00:00Z.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Real parameter sets of a 640x360 H.264 stream (constrained baseline,
// level 3.0) and the AudioSpecificConfig of 48 kHz stereo AAC-LC.
var (
	SPS = mustHex("6742c01eda0280bfe5c044000003000400000300c83c58ba80")
	PPS = mustHex("68ce0fc8")
	ASC = []byte{0x11, 0x90}
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// VideoInfo returns a 640x360 H.264 configuration. height only changes
// the declared size (and so the configuration); the SPS stays the same.
func VideoInfo() media.TrackInfo {
	return media.TrackInfo{Kind: media.KindVideo, Codec: media.CodecH264, Timescale: media.VideoTimescale,
		Width: 640, Height: 360, SPS: [][]byte{SPS}, PPS: [][]byte{PPS}}
}

// AudioInfo returns a 48 kHz stereo AAC-LC configuration.
func AudioInfo() media.TrackInfo {
	return media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAAC, Timescale: 48000,
		SampleRate: 48000, Channels: 2, AudioConfig: ASC, Language: "eng"}
}

// Rendition describes one synthetic ingest rendition.
type Rendition struct {
	Name string
	// Video and Audio select the tracks it carries.
	Video, Audio bool
	// Bitrate sets the filler payload size of video samples (bits/s).
	Bitrate int
}

// Builder feeds a synthetic channel.
type Builder struct {
	T        testing.TB
	Manager  *live.Manager
	Timeline *live.Timeline
	Store    *store.Memory
	Clock    *clock.Fake
	// FPS and SegmentDuration shape the video; defaults 25 and 2 s.
	FPS             int
	SegmentDuration time.Duration
	Renditions      []Rendition
	// PTS is the input time (90 kHz) of the next segment per input.
	// Dir holds the timeline index.
	Dir  string
	id   string
	next map[live.Input]int64
	disc map[live.Input]bool
}

// Reopen closes the manager and opens a new one on the same index and
// store (unless opts names another store), as a restarted origin does.
func (b *Builder) Reopen(opts live.Options) {
	b.T.Helper()
	b.Manager.Close()
	opts.DataDir, opts.Clock = b.Dir, b.Clock
	if opts.Store == nil {
		opts.Store = b.Store
	}
	m, err := live.Open(context.Background(), opts)
	if err != nil {
		b.T.Fatal(err)
	}
	b.T.Cleanup(func() { m.Close() })
	b.Manager = m
	b.Timeline = m.Timeline(b.id)
}

// New returns a builder for channel id with renditions, by default an
// ffmpeg-style ladder: two video-only renditions and an audio-only one.
func New(t testing.TB, id string, renditions ...Rendition) *Builder {
	t.Helper()
	if len(renditions) == 0 {
		renditions = []Rendition{
			{Name: "channel_0", Video: true, Bitrate: 3_000_000},
			{Name: "channel_1", Video: true, Bitrate: 1_000_000},
			{Name: "channel_2", Audio: true},
		}
	}
	clk := clock.NewFake(Epoch)
	st := store.NewMemory()
	dir := t.TempDir()
	m, err := live.Open(context.Background(), live.Options{DataDir: dir, Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &Builder{T: t, Manager: m, Timeline: m.Timeline(id), Store: st, Clock: clk, FPS: 25, Dir: dir, id: id,
		SegmentDuration: 2 * time.Second, Renditions: renditions, next: map[live.Input]int64{1: 0, 2: 0}, disc: map[live.Input]bool{}}
}

// Declare sets the renditions as a multivariant playlist would.
func (b *Builder) Declare(input live.Input) {
	var rs []live.Rendition
	for _, r := range b.Renditions {
		if r.Video {
			// A video rendition may also carry audio (muxed).
			rs = append(rs, live.Rendition{Name: r.Name, Bandwidth: int64(r.Bitrate) + 128000, Width: 640, Height: 360,
				Codecs: []string{"avc1.42c01e", "mp4a.40.2"}, FrameRate: float64(b.FPS), AudioGroup: "aac"})
		} else {
			rs = append(rs, live.Rendition{Name: r.Name, Audio: true, GroupID: "aac", Language: "eng", Label: "English", Default: true, Autoselect: true})
		}
	}
	b.Timeline.SetRenditions(input, rs)
}

// Segment delivers one segment of every rendition to input, advances the
// fake clock by the segment duration and ticks the manager. It returns
// the new snapshot.
func (b *Builder) Segment(input live.Input) *live.Snapshot {
	b.T.Helper()
	b.Deliver(input)
	b.Clock.Advance(b.SegmentDuration)
	b.Manager.Tick(context.Background(), b.Clock.Now())
	return b.Timeline.Snapshot()
}

// Deliver delivers input's next segment of every rendition without moving
// the clock, as a second pipeline does alongside the first.
func (b *Builder) Deliver(input live.Input) {
	b.T.Helper()
	start := b.next[input]
	b.deliver(input, start, b.SegmentDuration, b.disc[input], false)
	b.disc[input] = false
	b.next[input] = start + int64(media.TicksOf(b.SegmentDuration))
}

// End makes input's encoder stop cleanly, as ffmpeg does on SIGINT: it
// delivers a last segment of every rendition lasting d (usually shorter
// than a segment), listed by a playlist with #EXT-X-ENDLIST. The clock does
// not move. The input's timestamps continue after it, so a later Deliver
// resumes where a whole segment would have ended.
func (b *Builder) End(input live.Input, d time.Duration) {
	b.T.Helper()
	start := b.next[input]
	b.deliver(input, start, d, b.disc[input], true)
	b.disc[input] = false
	b.next[input] = start + int64(media.TicksOf(b.SegmentDuration))
}

// Tick ticks the manager at the fake clock's time.
func (b *Builder) Tick() *live.Snapshot {
	b.Manager.Tick(context.Background(), b.Clock.Now())
	return b.Timeline.Snapshot()
}

// Segments delivers n segments to input.
func (b *Builder) Segments(input live.Input, n int) *live.Snapshot {
	b.T.Helper()
	for i := 0; i < n; i++ {
		b.Segment(input)
	}
	return b.Timeline.Snapshot()
}

// Advance moves the fake clock by one segment duration and ticks.
func (b *Builder) Advance() *live.Snapshot {
	b.Clock.Advance(b.SegmentDuration)
	b.Manager.Tick(context.Background(), b.Clock.Now())
	return b.Timeline.Snapshot()
}

// Restart makes input's encoder restart its timestamps at pts; its next
// segment carries a discontinuity, as ingest flags it when the encoder's
// media sequence numbers restart.
func (b *Builder) Restart(input live.Input, pts int64) {
	b.next[input] = pts
	b.disc[input] = true
}

// Rewind makes input's timestamps jump to pts without a discontinuity
// flag, as an encoder that restarted while the origin was down.
func (b *Builder) Rewind(input live.Input, pts int64) { b.next[input] = pts }

// Skip makes input skip n segments (an encoder outage with continuing
// timestamps), advancing the clock meanwhile.
func (b *Builder) Skip(input live.Input, n int) {
	b.next[input] += int64(n) * int64(media.TicksOf(b.SegmentDuration))
	b.Clock.Advance(time.Duration(n) * b.SegmentDuration)
	b.Manager.Tick(context.Background(), b.Clock.Now())
}

func (b *Builder) deliver(input live.Input, start int64, d time.Duration, disc, ended bool) {
	b.T.Helper()
	for _, r := range b.Renditions {
		seg := &live.IngestSegment{
			Input: input, Rendition: r.Name, Name: fmt.Sprintf("%s_%d.ts", r.Name, start),
			Duration: d, TargetDuration: b.SegmentDuration, Discontinuity: disc, Ended: ended,
		}
		if r.Video {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "v0", Info: VideoInfo(), Samples: VideoSamples(start, d, b.FPS, r.Bitrate)})
		}
		if r.Audio {
			seg.Tracks = append(seg.Tracks, live.IngestTrack{Key: "a0", Info: AudioInfo(), Samples: AudioSamples(start, d)})
		}
		if _, err := b.Timeline.Add(context.Background(), seg); err != nil {
			b.T.Fatalf("livetest: add %s: %v", seg.Name, err)
		}
	}
}

// VideoSamples returns a GOP of filler H.264 samples starting at start
// (90 kHz) lasting d, first sample IDR.
func VideoSamples(start int64, d time.Duration, fps, bitrate int) []media.Sample {
	n := int(d.Seconds() * float64(fps))
	dur := uint32(media.VideoTimescale / fps)
	size := bitrate / 8 / fps
	if size < 16 {
		size = 16
	}
	out := make([]media.Sample, n)
	for i := range out {
		nalType := byte(0x01)
		if i == 0 {
			nalType = 0x65
		}
		data := make([]byte, 4+size)
		l := size
		data[0], data[1], data[2], data[3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		data[4] = nalType
		out[i] = media.Sample{DTS: start + int64(i)*int64(dur), Duration: dur, Sync: i == 0, Data: data}
	}
	return out
}

// AudioSamples returns filler AAC frames covering [start, start+d) (start
// in 90 kHz).
func AudioSamples(start int64, d time.Duration) []media.Sample {
	from := media.Rescale(start, media.VideoTimescale, 48000)
	to := media.Rescale(start+int64(media.TicksOf(d)), media.VideoTimescale, 48000)
	first := (from + 1023) / 1024 * 1024
	var out []media.Sample
	for t := first; t < to; t += 1024 {
		out = append(out, media.Sample{DTS: t, Duration: 1024, Sync: true, Data: make([]byte, 96)})
	}
	return out
}
