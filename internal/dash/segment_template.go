package dash

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/Eyevinn/dash-mpd/mpd"

	"boxcar/internal/media"
)

// SegmentTemplate and SegmentTimeline elements (ISO/IEC 23009-1 §5.3.9.4,
// §5.3.9.6; DASH-IF timing model "Explicit addressing" and "Simple
// addressing").

// template returns rep r's SegmentTemplate in Period pd; ok is false when
// the track has no media listed in it.
func (pl *plan) template(pd *period, r int) (repTemplate, bool) {
	spans := pl.spans[r][pd.from:pd.to]
	first := -1
	for i := range spans {
		if spans[i].ok {
			first = i
			break
		}
	}
	if first < 0 {
		return repTemplate{}, false
	}
	init := spans[first].init
	name := templateEscape(pl.set.manifestName)
	st := &mpd.SegmentTemplateType{
		Initialization: name + "_$RepresentationID$_init" + strconv.Itoa(init) + ".mp4",
	}
	if pl.set.format == NumberWithDuration {
		setDurationAddressing(st, pd, name)
	} else {
		pl.setTimelineAddressing(st, pd, r, first, init, name)
	}
	return repTemplate{rep: r, init: init, tmpl: st}, true
}

// setDurationAddressing makes st address segments by $Number$ and a
// constant @duration on the channel's 90 kHz clock.
//
// Segment N spans [PTO + (N−startNumber)·@duration, +@duration) on that
// clock, and a player at wall-clock time now asks for N = startNumber +
// ⌊(now − AST − Period@start) / @duration⌋: both land on group N only when
// every group of the Period lasts @duration, i.e. the encoder's segment
// cadence is exact. Drift beyond half a segment needs a *_WITH_TIMELINE
// format.
func setDurationAddressing(st *mpd.SegmentTemplateType, pd *period, name string) {
	st.Media = name + "_$RepresentationID$_$Number$.mp4"
	st.SetTimescale(media.VideoTimescale)
	st.Duration = mpd.Ptr(uint32(min(max(pd.anchor.dur, 1), math.MaxUint32)))
	st.StartNumber = mpd.Ptr(uint32(min(pd.anchor.number, math.MaxUint32)))
	if pd.anchor.start > 0 {
		st.PresentationTimeOffset = mpd.Ptr(uint64(pd.anchor.start))
	}
}

// setTimelineAddressing makes st address rep r's segments in Period pd,
// from its span first on and those with init segment init, by a
// SegmentTimeline in the track's timescale, named by $Number$ or $Time$.
func (pl *plan) setTimelineAddressing(st *mpd.SegmentTemplateType, pd *period, r, first, init int, name string) {
	ts := pl.reps[r].track.Inits[init].Info.Timescale
	st.SetTimescale(ts)
	if pto := pd.anchor.start.Rescale(ts); pto > 0 {
		st.PresentationTimeOffset = mpd.Ptr(uint64(pto))
	}
	tl, startNumber := pl.segmentTimeline(pd, r, first, init)
	st.SegmentTimeline = tl
	if pl.set.format == NumberWithTimeline {
		st.Media = name + "_$RepresentationID$_$Number$.mp4"
		st.StartNumber = mpd.Ptr(uint32(min(startNumber, math.MaxUint32)))
	} else {
		st.Media = name + "_$RepresentationID$_$Time$.mp4"
	}
}

// segmentTimeline lists rep r's segments in Period pd, from its span first
// on and those with init segment init, as S entries (a repeat for each
// segment that follows the last one without a gap and lasts as long).
// With $Number$ addressing it stops at a hole in the numbers and returns
// the first segment's number.
func (pl *plan) segmentTimeline(pd *period, r, first, init int) (tl *mpd.SegmentTimelineType, startNumber uint64) {
	spans := pl.spans[r][pd.from:pd.to]
	tl = &mpd.SegmentTimelineType{}
	var last *mpd.S
	var lastEnd int64 = -1
	var nextNumber uint64
	for i := first; i < len(spans); i++ {
		sp := spans[i]
		if !sp.ok || sp.init != init {
			continue
		}
		number := pl.win[pd.from+i].Number
		if pl.set.format == NumberWithTimeline {
			// $Number$ counts S entries: a hole would renumber every
			// later segment. Periods split at holes (periods.go); stop
			// here should one remain.
			if last != nil && number != nextNumber {
				break
			}
			if last == nil {
				startNumber = number
			}
			nextNumber = number + 1
		}
		if last != nil && sp.t == lastEnd && uint64(sp.d) == last.D {
			last.R++
		} else {
			s := &mpd.S{D: uint64(sp.d)}
			if sp.t != lastEnd {
				s.T = mpd.Ptr(uint64(sp.t))
			}
			tl.S = append(tl.S, s)
			last = s
		}
		lastEnd = sp.end()
	}
	return tl, startNumber
}

// sameTemplates reports whether the Representations' templates are
// identical apart from $RepresentationID$, so COMPACT can hoist one to the
// AdaptationSet.
func sameTemplates(reps []repTemplate) bool {
	a := reps[0].tmpl
	for _, r := range reps[1:] {
		b := r.tmpl
		if a.Media != b.Media || a.Initialization != b.Initialization ||
			!eqPtr(a.Timescale, b.Timescale) || !eqPtr(a.StartNumber, b.StartNumber) ||
			!eqPtr(a.Duration, b.Duration) || !eqPtr(a.PresentationTimeOffset, b.PresentationTimeOffset) {
			return false
		}
		if (a.SegmentTimeline == nil) != (b.SegmentTimeline == nil) {
			return false
		}
		if a.SegmentTimeline != nil && !slices.EqualFunc(a.SegmentTimeline.S, b.SegmentTimeline.S, func(x, y *mpd.S) bool {
			return eqPtr(x.T, y.T) && x.D == y.D && x.R == y.R
		}) {
			return false
		}
	}
	return true
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// templateEscape escapes '$' in a literal part of a template (ISO/IEC
// 23009-1 §5.3.9.4.4: "$$" is a literal '$').
func templateEscape(s string) string { return strings.ReplaceAll(s, "$", "$$") }
