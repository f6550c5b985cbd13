package live

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"boxcar/internal/media"
)

// TestCoreScenarios runs the scripted cases under testdata/scenarios
// against the timeline core: events in, decisions out, no store, index or
// clock. Each file is a story (restart, gaps, failover aligned and not,
// 33-bit wrap, encoder restarts, end of inputs); `go test -run
// TestCoreScenarios -rewrite` rewrites the expected output after a
// deliberate change, to be read in review like any other diff.
//
// Commands:
//
//	declare input=N renditions=(a,b)    the multivariant playlist of input N
//	add input=N rendition=R start=S [dur=D] [target=T] [audio] [ended] [disc]
//	                                    a segment of input time S seconds
//	                                    (or ticks=N), D seconds long
//	tick advance=D                      the clock moves D seconds on
//	end input=N                         input N ended without a segment
//	commit ok|fail                      index commits succeed or fail
//	retain keep=D                       retention keeps D seconds
//	restart                             the core is rebuilt from what was
//	                                    committed, as after a process restart
//	anchor input=N                      the expected next input time
//	window                              the published window and state
func TestCoreScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		h := newScenario()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return h.run(t, d)
		})
	})
}

// scenario plays the shell's part around a core, with writes that always
// succeed and commits that fail on request.
type scenario struct {
	c          *core
	now        time.Time
	failCommit bool
	// committed is what a restart finds: the last committed state, and
	// the tracks and segments committed.
	committed struct {
		state  channelState
		tracks []*Track
		segs   map[uint64]Segment
	}
	out []string
}

func newScenario() *scenario {
	h := &scenario{c: newCore("ch", 1.5), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.committed.segs = make(map[uint64]Segment)
	return h
}

func (h *scenario) printf(format string, args ...any) {
	h.out = append(h.out, fmt.Sprintf(format, args...))
}

// flush records the core's decisions.
func (h *scenario) flush() {
	for _, d := range h.c.take() {
		h.printf("%s", d)
		if d.Kind == EndOutput {
			h.commitState(d.State)
		}
	}
}

func (h *scenario) run(t *testing.T, d *datadriven.TestData) string {
	h.out = nil
	switch d.Cmd {
	case "declare":
		var rs []Rendition
		for _, name := range args(t, d, "renditions") {
			rs = append(rs, Rendition{Name: name})
		}
		h.c.setRenditions(Input(intArg(t, d, "input")), rs)
		h.flush()
	case "add":
		seg := h.segment(t, d)
		out, err := h.add(seg, addNew)
		h.result(out, err)
	case "tick":
		h.now = h.now.Add(seconds(t, d, "advance"))
		h.tick()
	case "end":
		replay := h.c.inputEnded(Input(intArg(t, d, "input")), h.now)
		h.flush()
		h.replay(replay)
	case "commit":
		h.failCommit = d.CmdArgs[0].Key == "fail"
	case "retain":
		if r := h.c.retain(seconds(t, d, "keep")); r != nil {
			h.printf("unlist before seq %d, delete %d objects", r.before, len(r.keys))
			h.c.retained(r)
			h.flush()
		}
	case "restart":
		h.restart(t)
	case "anchor":
		h.printf("%d", h.c.anchor(Input(intArg(t, d, "input"))))
	case "window":
		h.window()
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
	if len(h.out) == 0 {
		return ""
	}
	return strings.Join(h.out, "\n") + "\n"
}

func (h *scenario) result(out Outcome, err error) {
	if err != nil {
		h.printf("error: %v", err)
		return
	}
	h.printf("→ %s", out)
}

// add is Timeline.add without the store and index.
func (h *scenario) add(seg *IngestSegment, mode addMode) (Outcome, error) {
	if err := trimLeading(seg); err != nil {
		return 0, err
	}
	for {
		p, err := h.c.place(seg, mode, h.now)
		h.flush()
		switch {
		case err != nil:
			return 0, err
		case p.write != nil:
			return h.fill(p.write)
		}
		h.replay(p.replay)
		if !p.again {
			return p.outcome, nil
		}
		mode = addReplay
	}
}

// fill is Timeline.fill with writes that succeed.
func (h *scenario) fill(r *reservation) (Outcome, error) {
	frags := make([]Fragment, len(r.jobs))
	for i, j := range r.jobs {
		info := &j.track.Inits[j.init].Info
		samples := shiftSamples(j.in.Samples, media.Rescale(int64(r.offset), media.VideoTimescale, info.Timescale))
		frags[i] = fragmentOf(h.c.id, j.track.ID, j.init, r.slot.seq, samples)
		frags[i].Size = 100 * len(samples)
	}
	h.c.release(r)
	if r.slot.amend {
		a, out := h.c.amend(r, frags)
		h.flush()
		if a == nil {
			return out, nil
		}
		if h.failCommit {
			return 0, fmt.Errorf("commit failed")
		}
		h.committed.segs[a.seg.Seq] = a.seg
		h.c.amended(a, h.now)
		h.flush()
		return out, nil
	}
	out := h.c.fill(r, frags, h.now)
	h.flush()
	if out != Accepted {
		return out, nil
	}
	if err := h.publish(); err != nil {
		return 0, err
	}
	h.c.refreshEnded(h.now)
	h.flush()
	return Accepted, nil
}

// publish is Timeline.tryPublish.
func (h *scenario) publish() error {
	p := h.c.ready(h.now)
	if p == nil {
		return nil
	}
	if h.failCommit {
		return fmt.Errorf("commit failed")
	}
	h.commitState(&p.state)
	h.committed.tracks = h.c.tracks
	for _, s := range p.segs {
		h.committed.segs[s.Seq] = s
	}
	h.c.published(p)
	h.flush()
	return nil
}

// commitState keeps a deep copy of st, as the index would.
func (h *scenario) commitState(st *channelState) {
	b, _ := json.Marshal(st)
	h.committed.state = channelState{}
	json.Unmarshal(b, &h.committed.state)
}

// tick is Timeline.tick.
func (h *scenario) tick() {
	if err := h.publish(); err != nil {
		h.printf("publish: %v", err)
	}
	replay, fallback := h.c.tick(h.now)
	h.flush()
	h.replay(replay)
	for _, seg := range fallback {
		h.printf("place fallback %s", seg.Name)
		out, err := h.add(seg, addFallback)
		h.result(out, err)
	}
	if len(fallback) > 0 {
		h.c.refreshEnded(h.now)
		h.flush()
	}
}

func (h *scenario) replay(segs []*IngestSegment) {
	for _, seg := range segs {
		h.printf("replay %s", seg.Name)
		out, err := h.add(seg, addReplay)
		h.result(out, err)
	}
}

// restart rebuilds the core from what was committed, with the window
// trimmed to what retention left.
func (h *scenario) restart(t *testing.T) {
	var segs []Segment
	for seq := uint64(0); seq < h.committed.state.NextSeq+1000; seq++ {
		if s, ok := h.committed.segs[seq]; ok {
			if n := len(h.c.segs); n == 0 || seq >= h.c.segs[0].Seq {
				segs = append(segs, s)
			}
		}
	}
	c := newCore(h.c.id, h.c.failoverFactor)
	c.restore(h.committed.state, h.committed.tracks, segs)
	h.c = c
	h.printf("restored %d segments, next seq %d", len(segs), c.st.NextSeq)
}

func (h *scenario) window() {
	c := h.c
	for _, s := range c.segs {
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{s.Disc, "disc"}, {s.Gap, "gap"}, {s.Resumed, "resumed"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		h.printf("seq=%d start=%.3fs dur=%.3fs input=%d discseq=%d frags=%d %s", s.Seq,
			float64(s.Start)/media.VideoTimescale, float64(s.Duration)/media.VideoTimescale,
			s.Input, s.DiscSeq, len(s.Frags), strings.Join(flags, " "))
	}
	var inputs []string
	for _, i := range []Input{1, 2} {
		if in, ok := c.st.Inputs[i]; ok {
			inputs = append(inputs, fmt.Sprintf("input %d: offset=%.3fs ended=%v", i, float64(in.Offset)/media.VideoTimescale, in.Ended))
		}
	}
	h.printf("active=%d ended=%v pending=%d standby=%d fallback=%d next=%d", c.st.Active, c.st.Ended,
		len(c.pending), len(c.standby), len(c.fallback), c.st.NextSeq)
	h.out = append(h.out, inputs...)
}

// segment builds an ingest segment from an add command: 25 fps video
// (and 48 kHz audio) samples starting at the given input time.
func (h *scenario) segment(t *testing.T, d *datadriven.TestData) *IngestSegment {
	input := intArg(t, d, "input")
	var rendition string
	d.ScanArgs(t, "rendition", &rendition)
	var start int64
	if d.HasArg("ticks") {
		d.ScanArgs(t, "ticks", &start)
	} else {
		start = int64(math.Round(seconds(t, d, "start").Seconds() * media.VideoTimescale))
	}
	dur := 2 * time.Second
	if d.HasArg("dur") {
		dur = seconds(t, d, "dur")
	}
	target := 2 * time.Second
	if d.HasArg("target") {
		target = seconds(t, d, "target")
	}
	seg := &IngestSegment{Input: Input(input), Rendition: rendition, TargetDuration: target,
		Name: fmt.Sprintf("%s@%d", rendition, start), Ended: d.HasArg("ended"), Discontinuity: d.HasArg("disc")}
	frames := int(dur.Seconds() * 25)
	video := make([]media.Sample, frames)
	for i := range video {
		video[i] = media.Sample{DTS: start + int64(i)*3600, Duration: 3600, Sync: i == 0}
	}
	seg.Tracks = append(seg.Tracks, IngestTrack{Key: "v0", Info: media.TrackInfo{Kind: media.KindVideo,
		Codec: media.CodecH264, Timescale: media.VideoTimescale, Width: 640, Height: 360,
		SPS: [][]byte{{0x67}}, PPS: [][]byte{{0x68}}}, Samples: video})
	if d.HasArg("audio") {
		n := int(dur.Seconds() * 48000 / 1024)
		audio := make([]media.Sample, n)
		first := media.Rescale(start, media.VideoTimescale, 48000)
		for i := range audio {
			audio[i] = media.Sample{DTS: first + int64(i)*1024, Duration: 1024, Sync: true}
		}
		seg.Tracks = append(seg.Tracks, IngestTrack{Key: "a0", Info: media.TrackInfo{Kind: media.KindAudio,
			Codec: media.CodecAAC, Timescale: 48000, SampleRate: 48000, Channels: 2, AudioConfig: []byte{0x11, 0x90}},
			Samples: audio})
	}
	return seg
}

func intArg(t *testing.T, d *datadriven.TestData, key string) int {
	var v int
	d.ScanArgs(t, key, &v)
	return v
}

func args(t *testing.T, d *datadriven.TestData, key string) []string {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return a.Vals
		}
	}
	d.Fatalf(t, "missing argument %s", key)
	return nil
}

// seconds reads a duration argument in seconds ("2", "1.5").
func seconds(t *testing.T, d *datadriven.TestData, key string) time.Duration {
	var s string
	d.ScanArgs(t, key, &s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		d.Fatalf(t, "%s: %v", key, err)
	}
	return time.Duration(v * float64(time.Second))
}
