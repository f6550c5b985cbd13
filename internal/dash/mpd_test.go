package dash

import (
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"

	"boxcar/internal/configstore"
	"boxcar/internal/live/livetest"
)

// ladder4 is three video renditions and one audio rendition.
var ladder4 = []livetest.Rendition{
	{Name: "channel_0", Video: true, Bitrate: 3_000_000},
	{Name: "channel_1", Video: true, Bitrate: 1_500_000},
	{Name: "channel_2", Video: true, Bitrate: 500_000},
	{Name: "channel_3", Audio: true},
}

type step func(b *livetest.Builder)

func segments(n int) step { return func(b *livetest.Builder) { b.Segments(1, n) } }

// TestMPDGolden compares the MPDs of synthetic timelines with the golden
// files under testdata/ (go test -update rewrites them). Every MPD is also
// checked by fixture.checkMPD: timing rules, update rules against the
// previous step, and every listed segment fetched and matched.
func TestMPDGolden(t *testing.T) {
	format := func(f string) func(*configstore.DASHPackage) {
		return func(d *configstore.DASHPackage) { d.SegmentTemplateFormat = f }
	}
	compact := func(f string) func(*configstore.DASHPackage) {
		return func(d *configstore.DASHPackage) { d.SegmentTemplateFormat, d.ManifestLayout = f, "COMPACT" }
	}
	gap := []step{segments(6), func(b *livetest.Builder) { b.Skip(1, 2) }, segments(5)}
	missing := []step{segments(5), withoutAudio, segments(4)}
	// An encoder that restarts after a 4 s outage: a new Period.
	restart := []step{
		segments(8),
		func(b *livetest.Builder) { b.Clock.Advance(4 * time.Second); b.Restart(1, 0); b.Segments(1, 4) },
		segments(14), // the first Period leaves the 30 s window
	}
	cases := []struct {
		name       string
		renditions []livetest.Rendition
		dash       func(*configstore.DASHPackage)
		ep         func(*configstore.OriginEndpoint)
		steps      []step
	}{
		{name: "number_timeline_full", steps: []step{segments(20)}},
		{name: "number_timeline_compact", dash: compact("NUMBER_WITH_TIMELINE"), steps: []step{segments(20)}},
		{name: "time_timeline_full", dash: format("TIME_WITH_TIMELINE"), steps: []step{segments(20)}},
		{name: "time_timeline_compact", dash: compact("TIME_WITH_TIMELINE"), steps: []step{segments(20)}},
		{name: "number_duration_full", dash: format("NUMBER_WITH_DURATION"), steps: []step{segments(20)}},
		{name: "number_duration_compact", dash: compact("NUMBER_WITH_DURATION"), steps: []step{segments(20)}},
		{
			name:  "window_sliding",
			dash:  func(d *configstore.DASHPackage) { d.ManifestWindowSeconds = 20 },
			steps: []step{segments(12), segments(5), segments(9)},
		},
		{
			name:  "discontinuity",
			dash:  func(d *configstore.DASHPackage) { d.ManifestWindowSeconds = 30 },
			steps: restart,
		},
		{
			name: "discontinuity_time",
			dash: func(d *configstore.DASHPackage) {
				d.ManifestWindowSeconds, d.SegmentTemplateFormat, d.ManifestLayout = 30, "TIME_WITH_TIMELINE", "COMPACT"
			},
			steps: restart,
		},
		{
			name: "discontinuity_duration",
			dash: func(d *configstore.DASHPackage) {
				d.ManifestWindowSeconds, d.SegmentTemplateFormat = 30, "NUMBER_WITH_DURATION"
			},
			steps: restart,
		},
		{
			// A restart while the wall clock runs on: the Period continues.
			name: "restart_time", dash: compact("TIME_WITH_TIMELINE"),
			steps: []step{segments(8), func(b *livetest.Builder) { b.Restart(1, 0); b.Segments(1, 4) }},
		},
		{name: "gap_number_timeline", dash: compact("NUMBER_WITH_TIMELINE"), steps: gap},
		{name: "gap_time_timeline", dash: compact("TIME_WITH_TIMELINE"), steps: gap},
		{name: "gap_number_duration", dash: compact("NUMBER_WITH_DURATION"), steps: gap},
		{name: "missing_track_number_timeline", dash: compact("NUMBER_WITH_TIMELINE"), steps: missing},
		{name: "missing_track_time_timeline", dash: compact("TIME_WITH_TIMELINE"), steps: missing},
		{
			name:  "time_delay",
			ep:    func(ep *configstore.OriginEndpoint) { ep.TimeDelaySeconds = 10 },
			steps: []step{segments(20)},
		},
		{
			name:       "stream_selection",
			renditions: ladder4,
			dash: func(d *configstore.DASHPackage) {
				d.StreamSelection = &configstore.StreamSelection{
					MinVideoBitsPerSecond: 700_000, MaxVideoBitsPerSecond: 4_000_000, StreamOrder: "VIDEO_BITRATE_ASCENDING",
				}
			},
			steps: []step{segments(10)},
		},
		{
			name:  "segment_duration_6s",
			dash:  func(d *configstore.DASHPackage) { d.SegmentDurationSeconds = 6 },
			steps: []step{segments(20), segments(2), segments(1)},
		},
		{
			name: "dvb_utc_head",
			dash: func(d *configstore.DASHPackage) {
				d.Profile, d.UTCTiming, d.UTCTimingURI = "DVB_DASH_2014", "HTTP-HEAD", "https://time.example/now"
			},
			steps: []step{segments(4)},
		},
		{
			name:  "utc_none",
			dash:  func(d *configstore.DASHPackage) { d.UTCTiming = "NONE" },
			steps: []step{segments(4)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.renditions...)
			if tc.dash != nil {
				tc.dash(f.ep.DASHPackage)
			}
			if tc.ep != nil {
				tc.ep(f.ep)
			}
			for i, st := range tc.steps {
				st(f.b)
				_, body := f.manifest()
				golden(t, stepName(tc.name, i, len(tc.steps)), body)
			}
		})
	}
}

// periodsOf returns the Period ids of m.
func periodsOf(m *mpd.MPD) []string {
	var ids []string
	for _, p := range m.Periods {
		ids = append(ids, p.Id)
	}
	return ids
}

// TestWindowSliding: the Period stays the same while the window slides;
// startNumber moves with the oldest listed segment.
func TestWindowSliding(t *testing.T) {
	f := newFixture(t)
	f.ep.DASHPackage.ManifestWindowSeconds = 20
	f.b.Segments(1, 12)
	m1, _ := f.manifest()
	f.b.Segments(1, 7)
	m2, _ := f.manifest()
	if got, want := strings.Join(periodsOf(m2), ","), strings.Join(periodsOf(m1), ","); got != want || got != "p1" {
		t.Fatalf("Periods: got %s, want %s (p1)", got, want)
	}
	sn := func(m *mpd.MPD) uint32 {
		return *m.Periods[0].AdaptationSets[0].Representations[0].SegmentTemplate.StartNumber
	}
	if sn(m2) != sn(m1)+7 {
		t.Errorf("startNumber: got %d after 7 more segments, want %d", sn(m2), sn(m1)+7)
	}
	if *m1.Periods[0].Start != *m2.Periods[0].Start {
		t.Errorf("Period@start moved: %s → %s", m1.Periods[0].Start, m2.Periods[0].Start)
	}
}

// TestRestartKeepsPeriod: an encoder that restarts its timestamps while
// the wall clock runs on continues the Period: channel time runs on, so
// the Period's mapping to wall-clock time holds and its segments continue.
func TestRestartKeepsPeriod(t *testing.T) {
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.ep.DASHPackage.SegmentTemplateFormat = format
			f.ep.DASHPackage.ManifestWindowSeconds = 30
			f.b.Segments(1, 8)
			m1, _ := f.manifest()
			f.b.Restart(1, 5_000_000)
			f.b.Segments(1, 3)
			m2, _ := f.manifest()
			if got := strings.Join(periodsOf(m2), ","); got != "p1" {
				t.Fatalf("Periods after the restart: got %s, want p1", got)
			}
			if *m2.Periods[0].Start != *m1.Periods[0].Start {
				t.Errorf("Period@start moved: %s → %s", m1.Periods[0].Start, m2.Periods[0].Start)
			}
			vt := m2.Periods[0].AdaptationSets[0].Representations[0].GetSegmentTemplate()
			if format == "NUMBER_WITH_DURATION" {
				return
			}
			// One run of equal segments: a single S with r = 10.
			if s := vt.SegmentTimeline.S; len(s) != 1 || s[0].R != 10 {
				t.Errorf("SegmentTimeline after the restart: %d S entries, first r=%d; want one S with r=10", len(s), s[0].R)
			}
		})
	}
}

// TestDiscontinuityNewPeriod: an encoder restart after an outage (the
// wall clock moved on) starts a new Period; the old Period keeps its id,
// start and offsets, and leaves with the window.
func TestDiscontinuityNewPeriod(t *testing.T) {
	for _, format := range []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.ep.DASHPackage.SegmentTemplateFormat = format
			f.ep.DASHPackage.ManifestWindowSeconds = 30
			f.b.Segments(1, 8)
			m1, _ := f.manifest()
			f.b.Clock.Advance(4 * time.Second)
			f.b.Restart(1, 5_000_000)
			f.b.Segments(1, 3)
			m2, _ := f.manifest()
			if got := strings.Join(periodsOf(m2), ","); got != "p1,p9" {
				t.Fatalf("Periods after the restart: got %s, want p1,p9", got)
			}
			if *m2.Periods[0].Start != *m1.Periods[0].Start {
				t.Errorf("old Period's start changed")
			}
			p9 := m2.Periods[1]
			vt := p9.AdaptationSets[0].Representations[0].GetSegmentTemplate()
			if format != "NUMBER_WITH_DURATION" && *vt.SegmentTimeline.S[0].T != *vt.PresentationTimeOffset {
				t.Errorf("new Period: first S@t %d, want presentationTimeOffset %d", *vt.SegmentTimeline.S[0].T, *vt.PresentationTimeOffset)
			}
			f.b.Segments(1, 16)
			m3, _ := f.manifest()
			if got := strings.Join(periodsOf(m3), ","); got != "p9" {
				t.Errorf("Periods once the first left the window: got %s, want p9", got)
			}
		})
	}
}
