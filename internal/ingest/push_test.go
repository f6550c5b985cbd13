package ingest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/mediatest"
)

// pushFPS is the frame rate of the test pushes (low to keep ffmpeg cheap).
const pushFPS = 25

// startPush runs ffmpeg pushing to endpoint ep of ch1 with its credentials.
func (e *env) startPush(ctx context.Context, ep string, o mediatest.PushOptions) *mediatest.Push {
	e.t.Helper()
	o.URL = e.url(ep, "channel")
	o.Username, o.Password = "user1", "pass1"
	if ep == "ep2" {
		o.Username, o.Password = "user2", "pass2"
	}
	if o.FrameRate == 0 {
		o.FrameRate = pushFPS
	}
	if o.ListSize == 0 {
		o.ListSize = 100 // the final playlist lists everything sent
	}
	return mediatest.StartPush(ctx, e.t, o)
}

// listedSeconds sums the EXTINF durations of the final playlist (with
// EXT-X-ENDLIST) the encoder uploaded under name.
func (e *env) listedSeconds(name string) (seconds float64, segments int) {
	e.t.Helper()
	b := e.finalPlaylist(name)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "#EXTINF:"); ok {
			d, err := strconv.ParseFloat(strings.TrimSuffix(strings.Split(v, ",")[0], ","), 64)
			if err != nil {
				e.t.Fatalf("%s: bad EXTINF %q", name, l)
			}
			seconds += d
			segments++
		}
	}
	return seconds, segments
}

// waitSegments waits until the channel's published window holds n
// segments and nothing is pending.
func (e *env) waitSegments(n int) *live.Snapshot {
	e.t.Helper()
	tl := e.timeline.Timeline("ch1")
	deadline := time.Now().Add(30 * time.Second)
	for {
		snap := tl.Snapshot()
		st := tl.Status(time.Now())
		if len(snap.Segments) >= n && st.Pending == 0 {
			return snap
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timeline has %d segments (%d pending), want %d", len(snap.Segments), st.Pending, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkDense checks the window is dense, without gaps or discontinuities,
// with start times increasing.
func checkDense(t *testing.T, snap *live.Snapshot) {
	t.Helper()
	for i, s := range snap.Segments {
		if i > 0 {
			prev := snap.Segments[i-1]
			if s.Seq != prev.Seq+1 {
				t.Errorf("segment %d: seq %d after %d", i, s.Seq, prev.Seq)
			}
			if s.Start <= prev.Start {
				t.Errorf("segment %d: start %d not after %d", s.Seq, s.Start, prev.Start)
			}
			if d := s.Start - prev.End(); d > media.VideoTimescale/10 || d < -media.VideoTimescale/10 {
				t.Errorf("segment %d: starts %d after the previous one ends", s.Seq, d)
			}
		}
		if s.Gap {
			t.Errorf("segment %d is a gap", s.Seq)
		}
		if s.Disc {
			t.Errorf("segment %d has a discontinuity", s.Seq)
		}
	}
}

// trackFile writes a track's stored init and fragments as one MP4 file.
func (e *env) trackFile(snap *live.Snapshot, tr *live.Track) string {
	e.t.Helper()
	ctx := context.Background()
	if len(tr.Inits) != 1 {
		e.t.Fatalf("track %d (%s %s) has %d inits, want 1", tr.ID, tr.Rendition, tr.Key, len(tr.Inits))
	}
	init, err := e.store.Get(ctx, tr.Inits[0].StoreKey)
	if err != nil {
		e.t.Fatal(err)
	}
	var b bytes.Buffer
	b.Write(init)
	for _, s := range snap.Segments {
		f := s.Frag(tr.ID)
		if f == nil {
			continue
		}
		data, err := e.store.Get(ctx, f.StoreKey)
		if err != nil {
			e.t.Fatal(err)
		}
		b.Write(data)
	}
	p := filepath.Join(e.t.TempDir(), fmt.Sprintf("track%d.mp4", tr.ID))
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// checkDecode decodes a track with ffmpeg: video must give exactly frames
// frames, audio about seconds of media, and neither a single error line.
func (e *env) checkDecode(snap *live.Snapshot, tr *live.Track, frames int, seconds float64) {
	e.t.Helper()
	p := e.trackFile(snap, tr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := mediatest.Decode(ctx, p, 100000)
	if err != nil {
		e.t.Fatalf("track %d (%s %s): %v", tr.ID, tr.Rendition, tr.Key, err)
	}
	if len(res.Errors) > 0 {
		e.t.Errorf("track %d (%s %s): ffmpeg errors: %q", tr.ID, tr.Rendition, tr.Key, res.Errors)
	}
	if tr.Kind == media.KindVideo && res.Frames != frames {
		e.t.Errorf("track %d (%s %s): decoded %d frames, the encoder listed %d", tr.ID, tr.Rendition, tr.Key, res.Frames, frames)
	}
	if tr.Kind == media.KindAudio && math.Abs(res.Seconds-seconds) > 0.15 {
		e.t.Errorf("track %d (%s %s): decoded %.3f s, the encoder listed %.3f s", tr.ID, tr.Rendition, tr.Key, res.Seconds, seconds)
	}
}

// trackNames lists "rendition/key" of every track.
func trackNames(snap *live.Snapshot) []string {
	var out []string
	for _, tr := range snap.Tracks {
		out = append(out, tr.Rendition+"/"+tr.Key)
	}
	sort.Strings(out)
	return out
}

func TestPushTSOneRendition(t *testing.T) {
	mediatest.RequireFFmpeg(t)
	e := newEnv(t, envOptions{fileStor: true, run: true, tap: true})
	ctx := context.Background()
	p := e.startPush(ctx, "ep1", mediatest.PushOptions{Seconds: 6, SegmentSeconds: 2})
	if err := p.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	secs, n := e.listedSeconds("channel.m3u8")
	snap := e.waitSegments(n)
	if got, want := len(snap.Segments), n; got != want {
		t.Fatalf("timeline has %d segments, the encoder listed %d", got, want)
	}
	checkDense(t, snap)
	if got, want := strings.Join(trackNames(snap), ","), "channel/a0,channel/v0"; got != want {
		t.Fatalf("tracks: got %s, want %s", got, want)
	}
	for _, s := range snap.Segments {
		if len(s.Frags) != 2 || s.Input != 1 {
			t.Errorf("segment %d: %d fragments from input %d, want 2 from input 1", s.Seq, len(s.Frags), s.Input)
		}
	}
	if !snap.Ended {
		t.Error("timeline not ended after the encoder's EXT-X-ENDLIST")
	}
	frames := int(math.Round(secs * pushFPS))
	for _, tr := range snap.Tracks {
		e.checkDecode(snap, tr, frames, secs)
	}
	if got := e.counter("boxcar_ingest_segments_total", "outcome", "accepted"); got != float64(n) {
		t.Errorf("accepted segments metric: got %v, want %d", got, n)
	}
	if got := e.counter("boxcar_ingest_requests_total", "code_class", "4xx") + e.counter("boxcar_ingest_requests_total", "code_class", "5xx"); got != 0 {
		t.Errorf("%v requests failed:\n%s", got, e.logs.String())
	}
	e.checkAccessLog()
}

func TestPushTSLadder(t *testing.T) {
	mediatest.RequireFFmpeg(t)
	e := newEnv(t, envOptions{fileStor: true, run: true, tap: true})
	ctx := context.Background()
	p := e.startPush(ctx, "ep1", mediatest.PushOptions{Seconds: 6, SegmentSeconds: 2, Renditions: 3})
	if err := p.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	secs, n := e.listedSeconds("channel_0.m3u8")
	// ffmpeg cuts the audio rendition by time, not at keyframes: its
	// last segment may be one extra AAC frame.
	asecs, an := e.listedSeconds("channel_3.m3u8")
	if an > n {
		n = an
	}
	snap := e.waitSegments(n)
	checkDense(t, snap)

	var names []string
	for _, r := range snap.Renditions {
		names = append(names, r.Name)
		switch {
		case r.Audio:
			if r.Name != "channel_3" || !strings.HasSuffix(r.GroupID, "aud") || r.Label == "" {
				t.Errorf("audio rendition %+v: want channel_3 in group *aud with a label", r)
			}
		default:
			if r.Bandwidth <= 0 || len(r.Codecs) == 0 || !strings.HasSuffix(r.AudioGroup, "aud") || r.Width == 0 {
				t.Errorf("video rendition %s: %+v: want bandwidth, codecs, resolution and audio group", r.Name, r)
			}
		}
	}
	if got, want := strings.Join(names, ","), "channel_0,channel_1,channel_2,channel_3"; got != want {
		t.Fatalf("renditions: got %s, want %s", got, want)
	}
	if got, want := strings.Join(trackNames(snap), ","), "channel_0/v0,channel_1/v0,channel_2/v0,channel_3/a0"; got != want {
		t.Fatalf("tracks: got %s, want %s", got, want)
	}
	if got, want := len(snap.Segments), n; got != want {
		t.Fatalf("timeline has %d segments, the encoder listed %d", got, want)
	}
	for i, s := range snap.Segments {
		if len(s.Frags) != 4 && (i < len(snap.Segments)-1 || len(s.Frags) != 1) {
			t.Errorf("segment %d: %d fragments, want 4 (or the audio tail alone)", s.Seq, len(s.Frags))
		}
	}
	frames := int(math.Round(secs * pushFPS))
	for _, tr := range snap.Tracks {
		e.checkDecode(snap, tr, frames, asecs)
	}
}

func TestPushFMP4(t *testing.T) {
	mediatest.RequireFFmpeg(t)
	e := newEnv(t, envOptions{fileStor: true, run: true, tap: true})
	ctx := context.Background()
	p := e.startPush(ctx, "ep1", mediatest.PushOptions{Seconds: 6, SegmentSeconds: 2, SegmentType: mediatest.SegmentFMP4})
	if err := p.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	secs, n := e.listedSeconds("channel.m3u8")
	snap := e.waitSegments(n)
	if got, want := len(snap.Segments), n; got != want {
		t.Fatalf("timeline has %d segments, the encoder listed %d", got, want)
	}
	checkDense(t, snap)
	if got, want := strings.Join(trackNames(snap), ","), "channel/a0,channel/v0"; got != want {
		t.Fatalf("tracks: got %s, want %s", got, want)
	}
	frames := int(math.Round(secs * pushFPS))
	for _, tr := range snap.Tracks {
		e.checkDecode(snap, tr, frames, secs)
	}
}

func TestPushPTSWrap(t *testing.T) {
	mediatest.RequireFFmpeg(t)
	e := newEnv(t, envOptions{fileStor: true, run: true, tap: true})
	ctx := context.Background()
	// 2^33 / 90 kHz = 95443.72 s: start 3.7 s before the wrap.
	p := e.startPush(ctx, "ep1", mediatest.PushOptions{Seconds: 8, SegmentSeconds: 2, OutputTSOffset: 95440})
	if err := p.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	secs, n := e.listedSeconds("channel.m3u8")
	snap := e.waitSegments(n)
	if got, want := len(snap.Segments), n; got != want {
		t.Fatalf("timeline has %d segments, the encoder listed %d", got, want)
	}
	checkDense(t, snap)
	if first, last := snap.Segments[0].Start, snap.Segments[len(snap.Segments)-1].End(); first >= 1<<33 || last <= 1<<33 {
		t.Errorf("timeline spans %d..%d, want it to cross 2^33 = %d", first, last, int64(1)<<33)
	}
	// Fragment decode times increase across the wrap on every track.
	for _, tr := range snap.Tracks {
		prev := int64(-1)
		for _, s := range snap.Segments {
			if f := s.Frag(tr.ID); f != nil {
				if f.DTS <= prev {
					t.Errorf("track %s: fragment of segment %d at %d after %d", tr.Key, s.Seq, f.DTS, prev)
				}
				prev = f.DTS
			}
		}
	}
	frames := int(math.Round(secs * pushFPS))
	for _, tr := range snap.Tracks {
		e.checkDecode(snap, tr, frames, secs)
	}
}

func TestPushSecondEndpoint(t *testing.T) {
	mediatest.RequireFFmpeg(t)
	e := newEnv(t, envOptions{fileStor: true, run: true, tap: true})
	ctx := context.Background()
	p1 := e.startPush(ctx, "ep1", mediatest.PushOptions{SegmentSeconds: 1, Realtime: true})
	// Let input 1 become active, then start input 2 beside it.
	e.waitSegments(2)
	p2 := e.startPush(ctx, "ep2", mediatest.PushOptions{Seconds: 6, SegmentSeconds: 1, Realtime: true})
	if err := p2.Wait(); err != nil {
		t.Fatalf("ffmpeg 2: %v", err)
	}
	tl := e.timeline.Timeline("ch1")
	st := tl.Status(time.Now())
	snap := tl.Snapshot()
	if err := p1.Stop(); err != nil {
		t.Logf("ffmpeg 1 stop: %v", err)
	}
	if st.ActiveInput != 1 || st.InputSwitches != 0 {
		t.Errorf("active input %d after %d switches, want 1 and 0", st.ActiveInput, st.InputSwitches)
	}
	checkDense(t, snap)
	for _, s := range snap.Segments {
		if s.Input != 1 {
			t.Errorf("segment %d from input %d, want 1", s.Seq, s.Input)
		}
	}
	if got := e.counter("boxcar_ingest_segments_total", "outcome", "standby"); got < 3 {
		t.Errorf("input 2 had %v segments held as standby, want several", got)
	}
	if got := e.counter("boxcar_ingest_requests_total", "ingest_endpoint", "ep2", "code_class", "2xx"); got < 6 {
		t.Errorf("input 2 had %v successful requests, want its whole push", got)
	}
}
