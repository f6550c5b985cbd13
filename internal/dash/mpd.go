package dash

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// availabilityStartTime is MPD@availabilityStartTime: the Unix epoch, as
// DASH-IF's ingest guidelines and livesim2 use, so it never changes across
// restarts, windows or encoder restarts (DASH-IF timing model: AST SHALL
// NOT change between updates). Period@start is then a Period's wall-clock
// time since 1970.
var availabilityStartTime = time.Unix(0, 0).UTC()

// buildMPD turns a plan into the dynamic MPD (ISO/IEC 23009-1 §5.3.1,
// DASH-IF timing model "Dynamic presentations"). publicURL is Boxcar's
// public URL, for the default UTCTiming source.
func buildMPD(pl *plan, publicURL string) *mpd.MPD {
	set := pl.set
	m := &mpd.MPD{
		XMLNs:                      mpd.DASH_NAMESPACE,
		Profiles:                   mpd.ListOfProfilesType(set.profiles()),
		Type:                       mpd.Ptr(mpd.DYNAMIC_TYPE),
		AvailabilityStartTime:      availabilityStartTimeText,
		PublishTime:                dateTime(pl.snap.Updated),
		MinimumUpdatePeriod:        durationPtr(set.minUpdatePeriod),
		MinBufferTime:              durationPtr(set.minBufferTime),
		TimeShiftBufferDepth:       durationPtr(set.window),
		SuggestedPresentationDelay: durationPtr(set.suggestedDelay()),
		MaxSegmentDuration:         durationPtr(pl.maxSegmentDuration()),
	}
	for i := range pl.periods {
		m.Periods = append(m.Periods, pl.buildPeriod(&pl.periods[i]))
	}
	if scheme := set.utcTiming.schemeIDURI(); scheme != "" {
		value := set.utcTimingURI
		if value == "" {
			value = strings.TrimSuffix(publicURL, "/") + "/time"
		}
		m.UTCTimings = []*mpd.DescriptorType{{SchemeIdUri: mpd.AnyURI(scheme), Value: value}}
	}
	return m
}

// maxSegmentDuration is the longest listed segment of any track, rounded
// up to the millisecond.
func (pl *plan) maxSegmentDuration() time.Duration {
	var longest time.Duration
	for r := range pl.reps {
		for _, sp := range pl.spans[r] {
			if !sp.ok {
				continue
			}
			ts := pl.reps[r].track.Inits[sp.init].Info.Timescale
			if d := time.Duration(sp.d) * time.Second / time.Duration(ts); d > longest {
				longest = d
			}
		}
	}
	return (longest + time.Millisecond - 1).Truncate(time.Millisecond)
}

func (pl *plan) buildPeriod(pd *period) *mpd.Period {
	p := &mpd.Period{
		Id:    "p" + strconv.FormatUint(pd.anchor.number, 10),
		Start: durationPtr(pd.anchor.pdt.Sub(availabilityStartTime)),
	}
	for i := range pl.sets {
		if as := pl.buildAdaptationSet(pd, &pl.sets[i]); as != nil {
			p.AdaptationSets = append(p.AdaptationSets, as)
		}
	}
	return p
}

// repTemplate is one Representation's SegmentTemplate in a Period.
type repTemplate struct {
	rep  int
	init int
	tmpl *mpd.SegmentTemplateType
}

func (pl *plan) buildAdaptationSet(pd *period, a *adaptation) *mpd.AdaptationSetType {
	var reps []repTemplate
	for _, r := range a.reps {
		if t, ok := pl.template(pd, r); ok {
			reps = append(reps, t)
		}
	}
	if len(reps) == 0 {
		return nil
	}
	as := &mpd.AdaptationSetType{Id: mpd.Ptr(a.id), SegmentAlignment: true, Lang: a.lang}
	as.StartWithSAP = 1
	switch a.kind {
	case media.KindVideo:
		as.ContentType, as.MimeType = "video", "video/mp4"
	case media.KindAudio:
		as.ContentType, as.MimeType = "audio", "audio/mp4"
	}
	if a.main {
		as.Roles = []*mpd.DescriptorType{mpd.NewRole("main")}
	}
	if a.label != "" {
		as.Labels = []*mpd.LabelType{{Value: a.label}}
	}
	if pl.set.layout == LayoutCompact && sameTemplates(reps) {
		as.SegmentTemplate = reps[0].tmpl
		for i := range reps {
			reps[i].tmpl = nil
		}
	}
	for _, t := range reps {
		as.Representations = append(as.Representations, pl.buildRepresentation(t))
	}
	return as
}

func (pl *plan) buildRepresentation(t repTemplate) *mpd.RepresentationType {
	rd := &pl.reps[t.rep]
	info := &rd.track.Inits[t.init].Info
	rep := &mpd.RepresentationType{
		Id:              rd.id,
		Bandwidth:       uint32(min(max(rd.stream.Bandwidth, 1), math.MaxUint32)),
		SegmentTemplate: t.tmpl,
	}
	rep.Codecs = codec.RFC6381(*info)
	switch info.Kind {
	case media.KindVideo:
		rep.Width, rep.Height = uint32(max(info.Width, 0)), uint32(max(info.Height, 0))
		rep.FrameRate = mpd.FrameRateType(frameRateText(rd.stream.FrameRate))
		rep.Sar = mpd.RatioType(sarText(info))
	case media.KindAudio:
		if info.SampleRate > 0 {
			rep.AudioSamplingRate = mpd.Ptr(mpd.UIntVectorType(strconv.Itoa(info.SampleRate)))
		}
		if info.Channels > 0 {
			rep.AudioChannelConfigurations = []*mpd.DescriptorType{
				{SchemeIdUri: channelConfigScheme, Value: strconv.Itoa(info.Channels)},
			}
		}
	}
	return rep
}

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
	rd := &pl.reps[r]
	name := templateEscape(pl.set.manifestName)
	st := &mpd.SegmentTemplateType{
		Initialization: name + "_$RepresentationID$_init" + strconv.Itoa(init) + ".mp4",
	}
	if pl.set.format == NumberWithDuration {
		// Segment N spans [PTO + (N−startNumber)·@duration, +@duration)
		// on the channel's 90 kHz clock, and a player at wall-clock time
		// now asks for N = startNumber + ⌊(now − AST − Period@start) /
		// @duration⌋: both land on group N only when every group of the
		// Period lasts @duration, i.e. the encoder's segment cadence is
		// exact. Drift beyond half a segment needs a *_WITH_TIMELINE
		// format.
		st.Media = name + "_$RepresentationID$_$Number$.mp4"
		st.SetTimescale(90000)
		st.Duration = mpd.Ptr(uint32(min(max(pd.anchor.dur, 1), math.MaxUint32)))
		st.StartNumber = mpd.Ptr(uint32(min(pd.anchor.number, math.MaxUint32)))
		if pd.anchor.start > 0 {
			st.PresentationTimeOffset = mpd.Ptr(uint64(pd.anchor.start))
		}
		return repTemplate{rep: r, init: init, tmpl: st}, true
	}

	ts := rd.track.Inits[init].Info.Timescale
	st.SetTimescale(ts)
	if pto := media.Rescale(pd.anchor.start, media.VideoTimescale, ts); pto > 0 {
		st.PresentationTimeOffset = mpd.Ptr(uint64(pto))
	}
	tl := &mpd.SegmentTimelineType{}
	var last *mpd.S
	var lastEnd int64 = -1
	var startNumber, nextNumber uint64
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
	st.SegmentTimeline = tl
	if pl.set.format == NumberWithTimeline {
		st.Media = name + "_$RepresentationID$_$Number$.mp4"
		st.StartNumber = mpd.Ptr(uint32(min(startNumber, math.MaxUint32)))
	} else {
		st.Media = name + "_$RepresentationID$_$Time$.mp4"
	}
	return repTemplate{rep: r, init: init, tmpl: st}, true
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

func durationPtr(d time.Duration) *mpd.Duration {
	v := mpd.Duration(d)
	return &v
}

// dateTime renders t as xs:dateTime in UTC with millisecond precision.
func dateTime(t time.Time) mpd.DateTime {
	return mpd.DateTime(t.UTC().Format(mpd.RFC3339MS))
}
