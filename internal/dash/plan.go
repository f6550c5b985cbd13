package dash

import (
	"fmt"
	"strconv"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// plan is what one MPD lists, before it becomes XML: the window's groups,
// the listed tracks in their AdaptationSets, each track's media per group,
// and the Periods.
type plan struct {
	set  *settings
	snap *live.Snapshot
	// all are the snapshot's groups; win the listed ones (a subslice of
	// all starting at winOff).
	all    []packager.Group
	win    []packager.Group
	winOff int
	reps   []rendition
	sets   []adaptation
	// spans[r][i] is rep r's media in win[i].
	spans   [][]span
	periods []period
}

// rendition is one listed track: a Representation in every Period where it
// has media.
type rendition struct {
	stream packager.Stream
	track  *live.Track
	// id is the Representation@id: the track ID.
	id string
}

// adaptation is one AdaptationSet: renditions of one kind, codec family
// and language. Its id is stable: 1 for H.264 video, 2 for H.265 video,
// 100 + the smallest track ID for audio.
type adaptation struct {
	id    uint32
	kind  media.Kind
	codec media.Codec
	lang  string
	label string
	main  bool
	reps  []int
}

// period is one Period: its anchor and the window groups it lists.
type period struct {
	// id is the Number of the group that anchors it in the live MPD.
	id       uint64
	anchor   anchor
	from, to int // win[from:to]
}

// span is one track's media in one output segment, in the track's
// timescale.
type span struct {
	ok   bool
	init int
	// t is the decode time of the first sample (the tfdt, which is what
	// $Time$ names) and d the duration up to the end of the last sample.
	t, d int64
}

// end is the track time just after the span.
func (s span) end() int64 { return s.t + s.d }

// trackSpan returns track id's media in g; ok is false when any timeline
// segment of g lacks the track (a gap for it) or its configuration changes
// inside g.
func trackSpan(s *live.Snapshot, g *packager.Group, id int) span {
	segs := packager.Segments(s, g)
	if len(segs) == 0 {
		return span{}
	}
	var sp span
	var end int64
	for i := range segs {
		f := segs[i].Frag(id)
		if f == nil {
			return span{}
		}
		if i == 0 {
			sp.t, sp.init = f.DTS, f.Init
		} else if f.Init != sp.init {
			return span{}
		}
		end = f.DTS + f.Duration
	}
	sp.d = end - sp.t
	sp.ok = sp.d > 0
	return sp
}

// newPlan computes what the MPD of snapshot s lists for settings set. It
// returns packager.ErrNotFound when there is nothing to list yet.
func (p *Packager) newPlan(set *settings, s *live.Snapshot, now time.Time) (*plan, error) {
	all := packager.Groups(s, set.segment)
	win := packager.Window(all, set.window, set.delay(s))
	if len(win) == 0 {
		return nil, packager.ErrNotFound
	}
	pl := &plan{set: set, snap: s, all: all, win: win, winOff: len(all) - len(win)}
	// Window returns a subslice ending at or before the end of all.
	for pl.winOff > 0 && all[pl.winOff].Number != win[0].Number {
		pl.winOff--
	}
	video, audio := packager.Streams(s, win, set.selection)
	pl.addSets(video, audio)
	if len(pl.reps) == 0 {
		return nil, packager.ErrNotFound
	}
	pl.spans = make([][]span, len(pl.reps))
	for r := range pl.reps {
		row := make([]span, len(win))
		for i := range win {
			row[i] = trackSpan(s, &win[i], pl.reps[r].track.ID)
		}
		pl.spans[r] = row
	}
	pl.splitPeriods(p, now)
	if len(pl.periods) == 0 {
		return nil, packager.ErrNotFound
	}
	return pl, nil
}

// addSets groups the streams into AdaptationSets: video by codec, audio by
// codec and language, in stream order.
func (pl *plan) addSets(video, audio []packager.Stream) {
	add := func(st packager.Stream) {
		tr := st.Track
		info := &tr.Latest().Info
		r := len(pl.reps)
		pl.reps = append(pl.reps, rendition{stream: st, track: tr, id: strconv.Itoa(tr.ID)})
		lang := st.Language
		if lang == "und" {
			lang = ""
		}
		for i := range pl.sets {
			a := &pl.sets[i]
			if a.kind == tr.Kind && a.codec == info.Codec && (tr.Kind == media.KindVideo || a.lang == lang) {
				a.reps = append(a.reps, r)
				if tr.Kind == media.KindAudio && uint32(100+tr.ID) < a.id {
					a.id = uint32(100 + tr.ID)
				}
				if st.Declared != nil && st.Declared.Default {
					a.main = true
				}
				return
			}
		}
		a := adaptation{kind: tr.Kind, codec: info.Codec, lang: lang, label: st.Label, reps: []int{r}}
		switch {
		case tr.Kind == media.KindVideo && info.Codec == media.CodecH265:
			a.id = 2
		case tr.Kind == media.KindVideo:
			a.id = 1
		default:
			a.id = uint32(100 + tr.ID)
			a.main = st.Declared != nil && st.Declared.Default
		}
		pl.sets = append(pl.sets, a)
	}
	for _, st := range video {
		add(st)
	}
	for _, st := range audio {
		add(st)
	}
	// One main AdaptationSet per kind: the declared default, else the
	// first.
	for _, kind := range []media.Kind{media.KindVideo, media.KindAudio} {
		first, found := -1, false
		for i := range pl.sets {
			if pl.sets[i].kind != kind {
				continue
			}
			if first < 0 {
				first = i
			}
			if pl.sets[i].main {
				if found {
					pl.sets[i].main = false
				}
				found = true
			}
		}
		if first >= 0 && !found {
			pl.sets[first].main = true
		}
	}
}

// fingerprint is what the remembered Period starts depend on besides the
// snapshot: a different channel, output segment duration or format means
// different groups or rules, so the memo starts over. The listed tracks
// are left out on purpose: a rendition joining or leaving must not
// re-anchor Periods that are already published.
func (pl *plan) fingerprint() string {
	return fmt.Sprintf("%s|%d|%d", pl.snap.Channel, pl.set.segment, pl.set.format)
}

// lastListed is the newest window group some Representation lists (the
// window may end in a gap).
func (pl *plan) lastListed() *packager.Group {
	for i := len(pl.win) - 1; i > 0; i-- {
		for r := range pl.reps {
			if pl.spans[r][i].ok {
				return &pl.win[i]
			}
		}
	}
	return &pl.win[0]
}

// begins reports whether all[k] starts a Period (see periods.go).
func (pl *plan) begins(k int) bool {
	g, prev := &pl.all[k], &pl.all[k-1]
	if g.Disc && (g.Resumed || wallClockJump(prev, g)) {
		return true
	}
	if pl.set.format == NumberWithDuration && pl.runTarget(g) != pl.runTarget(prev) {
		return true
	}
	for r := range pl.reps {
		cur, before := pl.span(r, k), pl.span(r, k-1)
		if !cur.ok {
			continue
		}
		if before.ok && before.init != cur.init {
			return true
		}
		if !before.ok && pl.set.format == NumberWithTimeline {
			return true
		}
	}
	return false
}

// runTarget is the ingest target duration of the timeline run g is in.
func (pl *plan) runTarget(g *packager.Group) time.Duration {
	if i := pl.snap.RunOf(g.First); i >= 0 {
		return pl.snap.Runs[i].Target
	}
	return 0
}

// wallClockJump reports whether group g, which follows a discontinuity,
// starts more than half a segment later in program date-time than prev
// ends. Channel time runs on across a discontinuity (live.Timeline
// continues at the edge), so a restart whose wall clock runs on too keeps
// the Period's mapping from media time to wall-clock time and needs no
// new Period; an outage (the wall clock moved on while the media did not)
// does.
func wallClockJump(prev, g *packager.Group) bool {
	return g.PDT.Sub(prev.PDT.Add(prev.Duration.Duration())) > prev.Duration.Duration()/2
}

// span returns rep r's media in all[k], from spans when k is listed.
func (pl *plan) span(r, k int) span {
	if i := k - pl.winOff; i >= 0 && i < len(pl.win) {
		return pl.spans[r][i]
	}
	return trackSpan(pl.snap, &pl.all[k], pl.reps[r].track.ID)
}

// splitPeriods assigns the window's groups to Periods.
func (pl *plan) splitPeriods(p *Packager, now time.Time) {
	starts := p.periods.periodStarts(pl.set.endpointID, pl.fingerprint(), pl.snap.Updated, pl.snap.Version, now,
		pl.all, pl.begins)
	si := 0
	for i := range pl.win {
		n := pl.win[i].Number
		for si+1 < len(starts) && starts[si+1].number <= n {
			si++
		}
		if len(pl.periods) == 0 || pl.periods[len(pl.periods)-1].anchor.number != starts[si].number {
			pl.periods = append(pl.periods, period{id: starts[si].number, anchor: starts[si], from: i, to: i})
		}
		pl.periods[len(pl.periods)-1].to = i + 1
	}
}
