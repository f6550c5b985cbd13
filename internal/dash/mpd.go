package dash

import (
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
)

// availabilityStartTime is MPD@availabilityStartTime: the Unix epoch, as
// DASH-IF's ingest guidelines and livesim2 use, so it never changes across
// restarts, windows or encoder restarts (DASH-IF timing model: AST SHALL
// NOT change between updates). Period@start is then a Period's wall-clock
// time since 1970.
var availabilityStartTime = time.Unix(0, 0).UTC()

// buildMPD turns a plan into the dynamic MPD (ISO/IEC 23009-1 §5.3.1,
// §5.4; DASH-IF timing model "Dynamic presentations", "Clock
// synchronization"). publicURL is Boxcar's
// public URL, for the default UTCTiming source.
func buildMPD(pl *plan, publicURL string) *mpd.MPD {
	if pl.snap.Ended {
		return buildStaticMPD(pl)
	}
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
		// A Period whose listed groups are all gaps has nothing to list.
		if p := pl.buildPeriod(&pl.periods[i]); len(p.AdaptationSets) > 0 {
			m.Periods = append(m.Periods, p)
		}
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

// buildStaticMPD turns the plan of a channel whose output ended into a
// static MPD over the same segment URLs (DASH-IF IOP "Provisioning of Live
// Content in On-Demand Mode", common aspects; timing model "End of live
// content"): type static, no availabilityStartTime, timeShiftBufferDepth,
// minimumUpdatePeriod or UTCTiming, the first listed Period starting at 0
// with its presentationTimeOffset (and startNumber) moved to the first
// listed segment, later Periods at their distance from it, and
// mediaPresentationDuration up to the end of the last segment. Period ids
// stay those of the live MPD. A player opening it plays the window from
// its start as VOD; if an input resumes, the MPD turns dynamic again.
func buildStaticMPD(pl *plan) *mpd.MPD {
	set := pl.set
	first := &pl.periods[0]
	first.anchor = anchorOf(&pl.win[first.from])
	origin := first.anchor.pdt
	m := &mpd.MPD{
		XMLNs:              mpd.DASH_NAMESPACE,
		Profiles:           mpd.ListOfProfilesType(set.profiles()),
		Type:               mpd.Ptr(mpd.STATIC_TYPE),
		PublishTime:        dateTime(pl.snap.Updated),
		MinBufferTime:      durationPtr(set.minBufferTime),
		MaxSegmentDuration: durationPtr(pl.maxSegmentDuration()),
	}
	var end time.Duration
	for i := range pl.periods {
		pd := &pl.periods[i]
		start := pd.anchor.pdt.Sub(origin)
		p := pl.buildPeriod(pd)
		p.Start = durationPtr(start)
		if len(p.AdaptationSets) > 0 {
			m.Periods = append(m.Periods, p)
		}
		end = start + (pl.win[pd.to-1].End() - pd.anchor.start).Duration()
	}
	m.MediaPresentationDuration = durationPtr(end)
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

// buildPeriod builds a Period element (ISO/IEC 23009-1 §5.3.2).
func (pl *plan) buildPeriod(pd *period) *mpd.Period {
	p := &mpd.Period{
		Id:    "p" + strconv.FormatUint(pd.id, 10),
		Start: durationPtr(pd.anchor.pdt.Sub(availabilityStartTime)),
	}
	for i := range pl.sets {
		if as := pl.buildAdaptationSet(pd, &pl.sets[i]); as != nil {
			p.AdaptationSets = append(p.AdaptationSets, as)
		}
	}
	return p
}

func durationPtr(d time.Duration) *mpd.Duration {
	v := mpd.Duration(d)
	return &v
}

// dateTime renders t as xs:dateTime in UTC with millisecond precision.
func dateTime(t time.Time) mpd.DateTime {
	return mpd.DateTime(t.UTC().Format(mpd.RFC3339MS))
}
