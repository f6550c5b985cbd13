package dash

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
)

// short is how long a cleanly stopping encoder's last segment lasts here.
const short = 1800 * time.Millisecond

// staticSegments lists the segments of a static MPD as a player derives
// them, with their presentation times.
func staticSegments(t *testing.T, m *mpd.MPD) []listed {
	t.Helper()
	total := time.Duration(*m.MediaPresentationDuration)
	var out []listed
	for pi, p := range m.Periods {
		pstart := time.Duration(*p.Start)
		pend := total
		if pi+1 < len(m.Periods) {
			pend = time.Duration(*m.Periods[pi+1].Start)
		}
		for _, as := range p.AdaptationSets {
			for _, rep := range as.Representations {
				st := rep.SegmentTemplate
				if st == nil {
					st = as.SegmentTemplate
				}
				base := listed{period: p.Id, rep: rep.Id, timescale: st.GetTimescale(), start: pstart,
					init: strings.ReplaceAll(st.Initialization, "$RepresentationID$", rep.Id)}
				if st.PresentationTimeOffset != nil {
					base.pto = *st.PresentationTimeOffset
				}
				fill := func(l listed) listed {
					u := strings.ReplaceAll(st.Media, "$RepresentationID$", rep.Id)
					u = strings.ReplaceAll(u, "$Number$", strconv.FormatUint(l.number, 10))
					l.url = strings.ReplaceAll(u, "$Time$", strconv.FormatUint(l.t, 10))
					return l
				}
				if st.SegmentTimeline == nil {
					d, sn := uint64(*st.Duration), uint64(*st.StartNumber)
					for k := uint64(0); pstart+mediaDuration(int64(k*d), base.timescale) < pend; k++ {
						l := base
						l.number, l.t, l.d = sn+k, base.pto+k*d, d
						out = append(out, fill(l))
					}
					continue
				}
				out = append(out, timelineSegments(base, st, fill)...)
			}
		}
	}
	return out
}

// presentation is where a listed segment starts in a static
// presentation.
func (l *listed) presentation() time.Duration {
	return l.start + mediaDuration(int64(l.t)-int64(l.pto), l.timescale)
}

// TestEndedChannelStaticMPD: once every input ended, the MPD turns static
// over the same segment URLs, starting at 0 with the live Period ids, its
// duration up to the end of the last (short) segment; every listed
// segment is served with the media the MPD says.
func TestEndedChannelStaticMPD(t *testing.T) {
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.ep.DASHPackage.SegmentTemplateFormat = format
			f.ep.TimeDelaySeconds = 4 // the end lists everything anyway
			f.b.Segments(1, 8)
			f.b.Clock.Advance(4 * time.Second) // an outage: a second Period
			f.b.Restart(1, 5_000_000)
			f.b.Segments(1, 3)
			live, _ := f.manifest()
			if got := strings.Join(periodsOf(live), ","); got != "p1,p9" {
				t.Fatalf("live Periods: %s", got)
			}
			f.b.End(1, short)
			f.b.Tick()
			if !f.b.Timeline.Snapshot().Ended {
				t.Fatal("the channel did not end")
			}
			o := f.mustGet(f.ep.ManifestName + ".mpd")
			m, err := mpd.MPDFromBytes(o.Body)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, o.Body)
			}
			if format == "NUMBER_WITH_TIMELINE" {
				golden(t, "ended_static.mpd", o.Body)
			}
			if m.GetType() != "static" || m.MediaPresentationDuration == nil {
				t.Fatalf("type %q, mediaPresentationDuration %v; want static with a duration", m.GetType(), m.MediaPresentationDuration)
			}
			if m.AvailabilityStartTime != "" || m.MinimumUpdatePeriod != nil || m.TimeShiftBufferDepth != nil || m.SuggestedPresentationDelay != nil || len(m.UTCTimings) != 0 {
				t.Errorf("dynamic-only attributes left in a static MPD:\n%s", o.Body)
			}
			if got := strings.Join(periodsOf(m), ","); got != "p1,p9" {
				t.Errorf("Period ids: got %s, want the live MPD's p1,p9", got)
			}
			if *m.Periods[0].Start != 0 {
				t.Errorf("first Period starts at %s, want 0", m.Periods[0].Start)
			}
			// Period 2 starts where its media starts in wall-clock time
			// after the first Period's start: 16 s of media and a 4 s
			// outage.
			if got := time.Duration(*m.Periods[1].Start); got != 20*time.Second {
				t.Errorf("second Period starts at %s, want 20s", got)
			}
			total := time.Duration(*m.MediaPresentationDuration)
			if want := 20*time.Second + 3*2*time.Second + short; total != want {
				t.Errorf("mediaPresentationDuration %s, want %s", total, want)
			}
			segs := staticSegments(t, m)
			video := 0
			var lastEnd time.Duration
			for _, l := range segs {
				f.checkSegment(l, o.LastModified)
				if l.rep != "1" {
					continue
				}
				video++
				if l.period == "p1" && video == 1 && l.presentation() != 0 {
					t.Errorf("first video segment presents at %s, want 0", l.presentation())
				}
				lastEnd = l.presentation() + mediaDuration(int64(l.d), l.timescale)
			}
			// With @duration the first Period also names the two segments
			// of the outage (a player gets a 404 for them, as live).
			if want := map[bool]int{false: 12, true: 14}[format == "NUMBER_WITH_DURATION"]; video != want {
				t.Errorf("%d video segments listed, want %d", video, want)
			}
			if format != "NUMBER_WITH_DURATION" && lastEnd != total {
				t.Errorf("the last video segment ends at %s, the presentation at %s", lastEnd, total)
			}
		})
	}
}

// TestResumeAfterEndStartsPeriod: an input that resumes after the channel
// ended reopens the live MPD with a new Period at the resumed segment,
// even when its wall clock barely moved.
func TestResumeAfterEndStartsPeriod(t *testing.T) {
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.ep.DASHPackage.SegmentTemplateFormat = format
			f.b.Segments(1, 6)
			f.manifest()
			f.b.End(1, short)
			f.b.Tick()
			f.b.Restart(1, 0)
			f.b.Segments(1, 3)
			m, _ := f.manifest()
			if got := strings.Join(periodsOf(m), ","); got != "p1,p8" {
				t.Fatalf("Periods after the input resumed: got %s, want p1,p8", got)
			}
		})
	}
}
