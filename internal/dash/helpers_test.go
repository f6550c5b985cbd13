package dash

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"

	"boxcar/internal/configstore"
	"boxcar/internal/live/livetest"
	"boxcar/internal/media"
	"boxcar/internal/media/fmp4"
	"boxcar/internal/packager"
	"boxcar/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const publicURL = "http://boxcar.test"

// fixture is a synthetic channel, a DASH endpoint on it and a packager.
// manifest checks every MPD it fetches against the previous one.
type fixture struct {
	t  testing.TB
	b  *livetest.Builder
	p  *Packager
	ep *configstore.OriginEndpoint
	// prev is the previous MPD fetched and its listed segments.
	prev       *mpd.MPD
	prevListed map[string]listed
	// inits caches parsed init segments by URL.
	inits map[string][]fmp4.InitTrack
}

func newFixture(t testing.TB, renditions ...livetest.Rendition) *fixture {
	t.Helper()
	b := livetest.New(t, "ch1", renditions...)
	b.Declare(1)
	return &fixture{
		t: t, b: b, p: New(),
		ep: &configstore.OriginEndpoint{
			ID: "ep1", ChannelID: "ch1", ManifestName: "index", Origination: "ALLOW",
			DASHPackage: &configstore.DASHPackage{
				SegmentDurationSeconds: 2, ManifestWindowSeconds: 60, MinBufferTimeSeconds: 30,
				MinUpdatePeriodSeconds: 15, SuggestedPresentationDelaySeconds: 25,
				SegmentTemplateFormat: "NUMBER_WITH_TIMELINE", ManifestLayout: "FULL", Profile: "NONE",
			},
		},
		inits: map[string][]fmp4.InitTrack{},
	}
}

func (f *fixture) request(path string) *packager.Request {
	return &packager.Request{
		Endpoint: f.ep, Path: path, Snapshot: f.b.Timeline.Snapshot(), Now: f.b.Clock.Now(), Media: f.b.Store,
		BaseURL: publicURL + "/out/v1/" + f.ep.ID, PublicURL: publicURL,
	}
}

func (f *fixture) get(path string) (*packager.Object, error) {
	return f.p.Package(context.Background(), f.request(path))
}

func (f *fixture) mustGet(path string) *packager.Object {
	f.t.Helper()
	o, err := f.get(path)
	if err != nil {
		f.t.Fatalf("Package(%q): %v", path, err)
	}
	return o
}

// manifest fetches and parses the MPD, checks it (checkMPD) and returns it
// with its body.
func (f *fixture) manifest() (*mpd.MPD, []byte) {
	f.t.Helper()
	o := f.mustGet(f.ep.ManifestName + ".mpd")
	if o.ContentType != "application/dash+xml" || o.Kind != packager.KindManifest || o.Immutable {
		f.t.Errorf("mpd object: content type %q kind %d immutable %v", o.ContentType, o.Kind, o.Immutable)
	}
	m, err := mpd.MPDFromBytes(o.Body)
	if err != nil {
		f.t.Fatalf("parse mpd: %v\n%s", err, o.Body)
	}
	f.checkMPD(m, o)
	return m, o.Body
}

// listed is one media segment an MPD lists, as a player derives it.
type listed struct {
	period, rep string
	url, init   string
	number      uint64 // $Number$, 0 with $Time$
	t, d        uint64 // media time and duration in the template timescale
	timescale   uint32
	pto         uint64
	start       time.Duration // Period@start
}

// wallStart and wallEnd are the segment's wall-clock span by the MPD's
// timing (AST + Period@start + (t − PTO)/timescale).
func (l *listed) wallStart() time.Time {
	return availabilityStartTime.Add(l.start + mediaDuration(int64(l.t)-int64(l.pto), l.timescale))
}

func (l *listed) wallEnd() time.Time {
	return l.wallStart().Add(mediaDuration(int64(l.d), l.timescale))
}

func mediaDuration(v int64, ts uint32) time.Duration {
	return time.Duration(v) * time.Second / time.Duration(ts)
}

// key identifies a listed segment across MPD updates.
func (l *listed) key() string { return l.rep + "/" + l.url }

// expand lists the segments of a template as a player would: every S of
// a SegmentTimeline, or for @duration the numbers from the wall-clock
// time shift buffer up to the newest complete segment at now.
func expand(t testing.TB, m *mpd.MPD, now time.Time) []listed {
	t.Helper()
	var out []listed
	for pi, p := range m.Periods {
		var pstart time.Duration
		if p.Start != nil {
			pstart = time.Duration(*p.Start)
		}
		var pend time.Time
		if pi+1 < len(m.Periods) && m.Periods[pi+1].Start != nil {
			pend = availabilityStartTime.Add(time.Duration(*m.Periods[pi+1].Start))
		}
		for _, as := range p.AdaptationSets {
			for _, rep := range as.Representations {
				st := rep.SegmentTemplate
				if st == nil {
					st = as.SegmentTemplate
				}
				if st == nil {
					t.Fatalf("period %s rep %s: no SegmentTemplate", p.Id, rep.Id)
				}
				base := listed{period: p.Id, rep: rep.Id, timescale: st.GetTimescale(), start: pstart,
					init: strings.ReplaceAll(st.Initialization, "$RepresentationID$", rep.Id)}
				if st.PresentationTimeOffset != nil {
					base.pto = *st.PresentationTimeOffset
				}
				fill := func(l listed) listed {
					u := strings.ReplaceAll(st.Media, "$RepresentationID$", rep.Id)
					u = strings.ReplaceAll(u, "$Number$", strconv.FormatUint(l.number, 10))
					u = strings.ReplaceAll(u, "$Time$", strconv.FormatUint(l.t, 10))
					l.url = u
					return l
				}
				if st.SegmentTimeline == nil {
					// @duration: N = startNumber + k spans [PTO + k·d, +d).
					d := uint64(*st.Duration)
					sn := uint64(*st.StartNumber)
					for k := uint64(0); ; k++ {
						l := base
						l.number, l.t, l.d = sn+k, base.pto+k*d, d
						// Available once it ended: a player at now asks
						// for the segments that ended before now.
						if !l.wallEnd().Before(now) || (!pend.IsZero() && !l.wallStart().Before(pend)) {
							break
						}
						if l.wallEnd().Before(now.Add(-time.Duration(*m.TimeShiftBufferDepth))) {
							continue
						}
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

// timelineSegments lists the segments of a SegmentTimeline: every S and
// its repeats, numbered from startNumber when the template uses $Number$.
func timelineSegments(base listed, st *mpd.SegmentTemplateType, fill func(listed) listed) []listed {
	var out []listed
	var tt uint64
	num := uint64(0)
	if st.StartNumber != nil {
		num = uint64(*st.StartNumber)
	}
	for _, s := range st.SegmentTimeline.S {
		if s.T != nil {
			tt = *s.T
		}
		for r := 0; r <= s.R; r++ {
			l := base
			l.t, l.d = tt, s.D
			if strings.Contains(st.Media, "$Number$") {
				l.number = num
				num++
			}
			out = append(out, fill(l))
			tt += s.D
		}
	}
	return out
}

// checkMPD asserts what must hold for every MPD and across updates:
// DASH-IF timing model rules, and that every listed segment is served with
// the media time the MPD says.
func (f *fixture) checkMPD(m *mpd.MPD, o *packager.Object) {
	t := f.t
	t.Helper()
	snap := f.b.Timeline.Snapshot()
	now := f.b.Clock.Now()
	if m.GetType() != "dynamic" {
		t.Errorf("MPD@type: got %q, want dynamic", m.GetType())
	}
	if m.AvailabilityStartTime != "1970-01-01T00:00:00Z" {
		t.Errorf("availabilityStartTime: got %q, want the epoch", m.AvailabilityStartTime)
	}
	if want := snap.Updated.UTC().Format(mpd.RFC3339MS); string(m.PublishTime) != want {
		t.Errorf("publishTime: got %s, want %s", m.PublishTime, want)
	}
	if !o.LastModified.Equal(snap.Updated) {
		t.Errorf("LastModified: got %s, want %s", o.LastModified, snap.Updated)
	}
	if m.MinimumUpdatePeriod == nil || o.MaxAge <= 0 || o.MaxAge > time.Duration(*m.MinimumUpdatePeriod) {
		t.Errorf("MaxAge %s must be in (0, minimumUpdatePeriod]", o.MaxAge)
	}
	if len(m.Periods) == 0 {
		t.Fatal("no Period")
	}
	ids := map[string]bool{}
	for i, p := range m.Periods {
		if p.Id == "" || ids[p.Id] {
			t.Errorf("Period %d: id %q empty or repeated", i, p.Id)
		}
		ids[p.Id] = true
		if p.Start == nil {
			t.Errorf("Period %s: no @start", p.Id)
		} else if i > 0 && *p.Start <= *m.Periods[i-1].Start {
			t.Errorf("Period %s: start %s not after the previous Period's %s", p.Id, p.Start, m.Periods[i-1].Start)
		}
		for _, as := range p.AdaptationSets {
			if as.Id == nil {
				t.Errorf("Period %s: AdaptationSet without @id", p.Id)
			}
		}
	}
	if f.prev != nil {
		f.checkUpdate(f.prev, m)
	}

	// A player keeps suggestedPresentationDelay behind now; with
	// @duration it could ask up to now, which the time delay hides.
	segs := expand(t, m, now.Add(-time.Duration(f.ep.TimeDelaySeconds)*time.Second))
	if len(segs) == 0 {
		t.Fatal("MPD lists no segment")
	}
	tsb := time.Duration(*m.TimeShiftBufferDepth)
	var maxDur time.Duration
	if m.MaxSegmentDuration != nil {
		maxDur = time.Duration(*m.MaxSegmentDuration)
	}
	byKey := map[string]listed{}
	var lastNumber uint64
	for _, l := range segs {
		byKey[l.key()] = l
		lastNumber = max(lastNumber, l.number)
		if d := mediaDuration(int64(l.d), l.timescale); d > maxDur {
			t.Errorf("%s: duration %s above maxSegmentDuration %s", l.url, d, maxDur)
		}
		// Available by the MPD's own timing: ended by now, and within the
		// time shift buffer.
		if l.wallEnd().After(now) {
			t.Errorf("%s: ends at %s, after now %s: a player would ask too early", l.url, l.wallEnd(), now)
		}
		if l.wallStart().Before(now.Add(-tsb - maxDur - time.Duration(f.ep.TimeDelaySeconds)*time.Second)) {
			t.Errorf("%s: starts at %s, before the time shift buffer", l.url, l.wallStart())
		}
		f.checkSegment(l, snap.Updated)
	}
	if f.ep.DASHPackage.SegmentTemplateFormat != "TIME_WITH_TIMELINE" && f.ep.DASHPackage.SegmentTemplateFormat != "NUMBER_WITH_DURATION" {
		if o.LastSequence != lastNumber {
			t.Errorf("LastSequence: got %d, want the newest listed number %d", o.LastSequence, lastNumber)
		}
	}
	// Segments listed before and still listed keep their times.
	for k, old := range f.prevListed {
		if cur, ok := byKey[k]; ok && (cur.t != old.t || cur.d != old.d || cur.number != old.number) {
			t.Errorf("%s changed across updates: t=%d d=%d n=%d, was t=%d d=%d n=%d", k, cur.t, cur.d, cur.number, old.t, old.d, old.number)
		}
	}
	f.prev, f.prevListed = m, byKey
}

// checkUpdate asserts the MPD update rules between two versions (DASH-IF
// timing model "MPD updates"; ISO/IEC 23009-1 §5.4.1).
func (f *fixture) checkUpdate(old, cur *mpd.MPD) {
	t := f.t
	t.Helper()
	if cur.PublishTime < old.PublishTime {
		t.Errorf("publishTime went back: %s after %s", cur.PublishTime, old.PublishTime)
	}
	if cur.AvailabilityStartTime != old.AvailabilityStartTime {
		t.Errorf("availabilityStartTime changed: %s → %s", old.AvailabilityStartTime, cur.AvailabilityStartTime)
	}
	oldPeriods := map[string]*mpd.Period{}
	for _, p := range old.Periods {
		oldPeriods[p.Id] = p
	}
	lastOld := old.Periods[len(old.Periods)-1]
	for _, p := range cur.Periods {
		op, ok := oldPeriods[p.Id]
		if !ok {
			if *p.Start <= *lastOld.Start {
				t.Errorf("new Period %s starts at %s, not after the last old Period %s", p.Id, p.Start, lastOld.Id)
			}
			continue
		}
		if *p.Start != *op.Start {
			t.Errorf("Period %s: start changed %s → %s", p.Id, op.Start, p.Start)
		}
		oldSets := map[uint32]*mpd.AdaptationSetType{}
		for _, as := range op.AdaptationSets {
			oldSets[*as.Id] = as
		}
		for _, as := range p.AdaptationSets {
			oas, ok := oldSets[*as.Id]
			if !ok {
				continue
			}
			if as.ContentType != oas.ContentType || as.Lang != oas.Lang {
				t.Errorf("Period %s AdaptationSet %d changed content type or language", p.Id, *as.Id)
			}
			oldReps := map[string]*mpd.RepresentationType{}
			for _, r := range oas.Representations {
				oldReps[r.Id] = r
			}
			for _, r := range as.Representations {
				or, ok := oldReps[r.Id]
				if !ok {
					continue
				}
				a, b := r.GetSegmentTemplate(), or.GetSegmentTemplate()
				if a.GetTimescale() != b.GetTimescale() || !eqPtr(a.PresentationTimeOffset, b.PresentationTimeOffset) ||
					a.Initialization != b.Initialization || a.Media != b.Media || !eqPtr(a.Duration, b.Duration) {
					t.Errorf("Period %s Representation %s: template attributes changed", p.Id, r.Id)
				}
				if a.StartNumber != nil && b.StartNumber != nil && *a.StartNumber < *b.StartNumber {
					t.Errorf("Period %s Representation %s: startNumber went back %d → %d", p.Id, r.Id, *b.StartNumber, *a.StartNumber)
				}
				if r.Codecs != or.Codecs || r.Width != or.Width || r.Height != or.Height {
					t.Errorf("Period %s Representation %s: codecs or size changed", p.Id, r.Id)
				}
			}
		}
	}
}

// checkSegment fetches a listed segment and its init segment and checks
// the media starts where the MPD says: at t with a timeline; with
// @duration within half a segment of it (DASH-IF's tolerance for simple
// addressing).
func (f *fixture) checkSegment(l listed, updated time.Time) {
	t := f.t
	t.Helper()
	init, ok := f.inits[l.init]
	if !ok {
		o, err := f.get(l.init)
		if err != nil {
			t.Errorf("init %s: %v", l.init, err)
			return
		}
		if o.Kind != packager.KindInit || !o.Immutable || o.MaxAge != segmentMaxAge {
			t.Errorf("init %s: kind %d immutable %v max-age %s", l.init, o.Kind, o.Immutable, o.MaxAge)
		}
		if init, err = fmp4.ParseInit(o.Body); err != nil {
			t.Errorf("init %s: %v", l.init, err)
			return
		}
		f.inits[l.init] = init
	}
	o, err := f.get(l.url)
	if err != nil && isNotFound(err) && f.ep.DASHPackage.SegmentTemplateFormat == "NUMBER_WITH_DURATION" && f.hole(l) {
		return // @duration cannot leave a hole out; the player gets a 404
	}
	if err != nil {
		t.Errorf("segment %s (listed in Period %s): %v", l.url, l.period, err)
		return
	}
	if o.Kind != packager.KindSegment || !o.Immutable || o.MaxAge != segmentMaxAge {
		t.Errorf("segment %s: kind %d immutable %v max-age %s", l.url, o.Kind, o.Immutable, o.MaxAge)
	}
	want := "video/mp4"
	if init[0].Info.Kind == media.KindAudio {
		want = "audio/mp4"
	}
	if o.ContentType != want {
		t.Errorf("segment %s: content type %q, want %q", l.url, o.ContentType, want)
	}
	if string(o.Body[4:8]) != "styp" {
		t.Errorf("segment %s does not start with styp", l.url)
	}
	tracks, err := fmp4.ParseSegment(o.Body, init)
	if err != nil || len(tracks) != 1 || len(tracks[0].Samples) == 0 {
		t.Errorf("segment %s: parse: %v (%d tracks)", l.url, err, len(tracks))
		return
	}
	ts := init[0].Info.Timescale
	got := media.Rescale(tracks[0].Samples[0].DTS, ts, l.timescale)
	last := tracks[0].Samples[len(tracks[0].Samples)-1]
	gotEnd := media.Rescale(last.DTS+int64(last.Duration), ts, l.timescale)
	if f.ep.DASHPackage.SegmentTemplateFormat == "NUMBER_WITH_DURATION" {
		if diff := got - int64(l.t); diff > int64(l.d)/2 || -diff > int64(l.d)/2 {
			t.Errorf("segment %s: media starts at %d, MPD says %d (more than half a segment off)", l.url, got, l.t)
		}
		return
	}
	if got != int64(l.t) || gotEnd != int64(l.t+l.d) {
		t.Errorf("segment %s: media spans [%d, %d), MPD says [%d, %d)", l.url, got, gotEnd, l.t, l.t+l.d)
	}
}

// hole reports whether the group numbered l.number lacks track l.rep.
func (f *fixture) hole(l listed) bool {
	snap := f.b.Timeline.Snapshot()
	groups := packager.Groups(snap, time.Duration(f.ep.DASHPackage.SegmentDurationSeconds)*time.Second)
	g, ok := packager.Find(groups, l.number)
	if !ok {
		// An encoder outage: the wall clock moved on, nothing arrived.
		return len(groups) > 0 && l.number > groups[len(groups)-1].Number
	}
	id, _ := strconv.Atoi(l.rep)
	return !packager.HasTrack(snap, g, id)
}

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

// isNotFound reports whether err is packager.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, packager.ErrNotFound) }

// isBadRequest reports whether err is a packager.BadRequestError.
func isBadRequest(err error) bool {
	var br *packager.BadRequestError
	return errors.As(err, &br)
}

// withoutAudio delivers one segment carrying only b's video renditions (the
// audio rendition's upload went missing).
func withoutAudio(b *livetest.Builder) {
	all := b.Renditions
	var video []livetest.Rendition
	for _, r := range all {
		if r.Video {
			video = append(video, r)
		}
	}
	b.Renditions = video
	b.Segment(1)
	b.Renditions = all
}

func stepName(name string, i, n int) string {
	if n == 1 {
		return name + ".mpd"
	}
	return fmt.Sprintf("%s_%d.mpd", name, i+1)
}
