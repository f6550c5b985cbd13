package live

import (
	"fmt"
	"time"

	"boxcar/internal/media"
)

// The timeline is a pure core and a shell (DESIGN.md §2.2). The core (this
// file and the files whose declarations take a *core: placement.go,
// failover.go, end.go, publish.go, tracks.go, retention.go, status.go)
// holds one channel's state and rules: it takes events (a segment
// arrived, its fragments were written, a commit went through, the clock
// moved, an input ended) and returns decisions. It holds no lock and does
// no I/O: no store, no index, no metrics, no log. The shell
// (timeline.go, shell.go) holds the lock, asks the core, and carries the
// decisions out: bytes to the media store first, the index second, then
// metrics, logs and the snapshot readers see, so nothing is listed before
// it is durable.

// core is one channel's timeline state and the rules that change it.
type core struct {
	id string
	// failoverFactor × the target duration of silence makes the standby
	// input active.
	failoverFactor float64

	st      channelState
	tracks  []*Track  // copy on write: shared with snapshots
	segs    []Segment // published window; shared with snapshots
	pending []*slot   // unpublished slots, ascending start
	// lastSeen is the newest slot each track delivered to.
	lastSeen map[int]uint64
	// renditionSeen is the newest slot each rendition delivered to.
	renditionSeen map[string]uint64
	// publishedHere counts slots published since this process started.
	publishedHere int
	standby       []*IngestSegment // recent segments of the standby input
	// fallback holds the last segments of the input that ended while the
	// other delivered, until fallbackUntil (end.go).
	fallback      []*IngestSegment
	fallbackUntil time.Time
	bytes         int64 // media bytes in the window
	// lastFrag is the wall time of each track's newest fragment.
	lastFrag map[int]time.Time

	// out collects the decisions of the event being handled.
	out []Decision
}

func newCore(id string, failoverFactor float64) *core {
	return &core{
		id:             id,
		failoverFactor: failoverFactor,
		lastSeen:       make(map[int]uint64),
		renditionSeen:  make(map[string]uint64),
		lastFrag:       make(map[int]time.Time),
		st:             channelState{NextTrackID: 1, NextSeq: 1, Inputs: make(map[Input]inputState)},
	}
}

// DecisionKind says what a Decision asks of the shell.
type DecisionKind uint8

// Decisions. Each names what changed and what the shell does about it.
const (
	// Activate: the first input to deliver became active. Log.
	Activate DecisionKind = iota + 1
	// FailOver: Input replaced From as the active input, for Reason.
	// Count, log, show.
	FailOver
	// EndInput: Input ended (its encoder stopped cleanly); Segment names
	// what carried the end. Log.
	EndInput
	// ResumeInput: Input delivered new media after its end. Log.
	ResumeInput
	// Reopen: the output had ended and Input resumed it. Log.
	Reopen
	// EndOutput: every input ended and the last segment is published:
	// the output ends after Seq. Persist State, log, show.
	EndOutput
	// Drop: an ingest segment is not placed, for Reason (an Outcome).
	// Count.
	Drop
	// Discard: Frags were stored but will never be listed, for Reason.
	// Delete them.
	Discard
	// Publish: Count slots from Seq on were committed and listed. Count,
	// show.
	Publish
	// Show: something readers see changed (renditions, the active input,
	// the window). Show.
	Show
)

// Decision is one decision of the core for the shell to carry out.
type Decision struct {
	Kind    DecisionKind
	Input   Input
	From    Input
	Reason  string
	Segment string
	Seq     uint64
	Count   int
	Frags   []Fragment
	// State is the channel state to persist (EndOutput).
	State *channelState
}

func (d Decision) String() string {
	switch d.Kind {
	case Activate:
		return fmt.Sprintf("activate input %d", d.Input)
	case FailOver:
		return fmt.Sprintf("fail over from input %d to %d: %s", d.From, d.Input, d.Reason)
	case EndInput:
		return fmt.Sprintf("input %d ended", d.Input)
	case ResumeInput:
		return fmt.Sprintf("input %d resumed", d.Input)
	case Reopen:
		return fmt.Sprintf("reopen output: input %d resumed", d.Input)
	case EndOutput:
		return fmt.Sprintf("end output after seq %d", d.Seq)
	case Drop:
		return "drop " + d.Reason
	case Discard:
		return fmt.Sprintf("discard %d fragments: %s", len(d.Frags), d.Reason)
	case Publish:
		return fmt.Sprintf("publish seq %d..%d", d.Seq, d.Seq+uint64(d.Count)-1)
	case Show:
		return "show"
	}
	return fmt.Sprintf("decision %d", d.Kind)
}

// decide records a decision of the event being handled.
func (c *core) decide(d Decision) { c.out = append(c.out, d) }

// take returns the decisions recorded since the last take.
func (c *core) take() []Decision {
	out := c.out
	c.out = nil
	return out
}

// anchor returns the input time the next segment from input is expected
// to start at; -1 when nothing is known.
func (c *core) anchor(input Input) media.Ticks {
	if in, ok := c.st.Inputs[input]; ok && in.Mapped {
		return in.LastEnd
	}
	for _, in := range c.st.Inputs {
		if in.Mapped {
			return in.LastEnd
		}
	}
	return -1
}

// setRenditions records what the multivariant playlist of input declares.
// Only the active input's declaration is shown to packagers.
func (c *core) setRenditions(input Input, rs []Rendition) {
	if c.st.Active != 0 && input != c.st.Active && !c.st.Inputs[c.st.Active].Ended {
		return
	}
	c.st.Renditions = append([]Rendition(nil), rs...)
	c.decide(Decision{Kind: Show})
}

// slot is a segment being assembled.
type slot struct {
	seq      uint64
	start    media.Ticks
	dur      media.Ticks
	pdt      time.Time
	disc     bool
	gap      bool
	input    Input
	created  time.Time
	hasVideo bool
	frags    []Fragment
	inflight map[int]bool
	events   []Event
	// renditions that delivered to the slot.
	renditions map[string]bool
	// amend marks a stand-in for the published live-edge segment, which
	// takes fragments of tracks it lacks (copy on write).
	amend bool
	// resumed marks the first slot after the output had ended.
	resumed bool
}

func (s *slot) has(track int) bool {
	if s.inflight[track] {
		return true
	}
	return s.Frag(track) != nil
}

// Frag returns the slot's fragment of track id, or nil.
func (s *slot) Frag(id int) *Fragment {
	for i := range s.frags {
		if s.frags[i].Track == id {
			return &s.frags[i]
		}
	}
	return nil
}
