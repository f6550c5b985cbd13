package dash

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// Packager packages DASH for origin endpoints with a dashPackage. It is
// safe for concurrent use; its only state is the Period anchors it
// remembers per endpoint (periods.go).
type Packager struct {
	periods periodCache
}

// New returns a DASH packager.
func New() *Packager { return &Packager{} }

var _ packager.Packager = (*Packager)(nil)

// Package serves req.Path of a dashPackage endpoint: the MPD, an init
// segment or a media segment (see paths.go for the URL layout).
func (p *Packager) Package(ctx context.Context, req *packager.Request) (*packager.Object, error) {
	ep := req.Endpoint
	if ep == nil || ep.DASHPackage == nil {
		return nil, packager.ErrNotFound
	}
	if ep.DASHPackage.Encryption != nil {
		// Never serve clear media for an endpoint that asked for
		// encryption.
		return nil, fmt.Errorf("dash: endpoint %q: dashPackage.encryption: %w", ep.ID, packager.ErrEncryptionUnsupported)
	}
	set, err := parseSettings(ep)
	if err != nil {
		return nil, err
	}
	ref, err := parsePath(req.Path, set.manifestName)
	if err != nil {
		return nil, err
	}
	if req.Snapshot == nil {
		return nil, packager.ErrNotFound
	}
	switch ref.kind {
	case objectManifest:
		return p.manifest(req, set)
	case objectInit:
		return initSegment(ctx, req, ref)
	default:
		return mediaSegment(ctx, req, set, ref)
	}
}

// bufPool recycles MPD encoding buffers.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (p *Packager) manifest(req *packager.Request, set *settings) (*packager.Object, error) {
	pl, err := p.newPlan(set, req.Snapshot, req.Now)
	if err != nil {
		return nil, err
	}
	m := buildMPD(pl, req.PublicURL)
	if len(m.Periods) == 0 {
		return nil, packager.ErrNotFound
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if _, err := m.Write(buf, "  ", true); err != nil {
		return nil, fmt.Errorf("dash: endpoint %q: write mpd: %w", set.endpointID, err)
	}
	buf.WriteByte('\n')
	body := bytes.Clone(buf.Bytes())
	last := pl.lastListed()
	return &packager.Object{
		Body:         body,
		ContentType:  "application/dash+xml",
		Kind:         packager.KindManifest,
		MaxAge:       manifestMaxAge(last, set.minUpdatePeriod),
		LastSequence: last.Number,
		LastModified: req.Snapshot.Updated,
	}, nil
}

// manifestMaxAge is the MPD's cache lifetime: half the newest segment,
// whole seconds, at least a second and at most minimumUpdatePeriod (an
// MPD is valid for that long after it was fetched).
func manifestMaxAge(last *packager.Group, mup time.Duration) time.Duration {
	d := (last.Duration.Duration() / 2).Truncate(time.Second)
	return min(max(d, minManifestMaxAge), max(mup, minManifestMaxAge))
}

func initSegment(ctx context.Context, req *packager.Request, ref objectRef) (*packager.Object, error) {
	tr := req.Snapshot.Track(ref.track)
	if tr == nil || contentType(tr) == "" {
		return nil, packager.ErrNotFound
	}
	body, err := packager.Init(ctx, req, tr, ref.init)
	if err != nil {
		return nil, err
	}
	return &packager.Object{
		Body:        body,
		ContentType: contentType(tr),
		Kind:        packager.KindInit,
		Immutable:   true,
		MaxAge:      segmentMaxAge,
	}, nil
}

func mediaSegment(ctx context.Context, req *packager.Request, set *settings, ref objectRef) (*packager.Object, error) {
	s := req.Snapshot
	tr := s.Track(ref.track)
	if tr == nil || contentType(tr) == "" {
		return nil, packager.ErrNotFound
	}
	// Segments stay servable a little past the listed window (see
	// servingGrace) but never beyond the delayed live point.
	all := packager.Groups(s, set.segment)
	groups := packager.Window(all, set.window+set.servingGrace(), servingDelay(all, set.delay(s), req.Now))
	var g *packager.Group
	if set.format == TimeWithTimeline {
		g = findByTime(s, groups, tr, ref.value)
	} else {
		g, _ = packager.Find(groups, ref.value)
	}
	if g == nil {
		return nil, packager.ErrNotFound
	}
	body, err := packager.CMAFSegment(ctx, req, g, tr)
	if err != nil {
		return nil, err
	}
	return &packager.Object{
		Body:         body,
		ContentType:  contentType(tr),
		Kind:         packager.KindSegment,
		Immutable:    true,
		MaxAge:       segmentMaxAge,
		LastModified: g.PDT.Add(g.Duration.Duration()),
	}, nil
}

// servingDelay is the time delay segment requests honour. The MPD hides
// the newest delay of media (packager.Window), measured from the newest
// group; while the encoder is silent the wall clock moves on, and with
// NUMBER_WITH_DURATION players ask for segments by wall-clock time, so a
// group that ended delay before now is served even if it is among the
// newest.
func servingDelay(all []packager.Group, delay time.Duration, now time.Time) time.Duration {
	if delay <= 0 || len(all) == 0 {
		return delay
	}
	last := &all[len(all)-1]
	if idle := now.Sub(last.PDT.Add(last.Duration.Duration())); idle > 0 {
		return max(delay-idle, 0)
	}
	return delay
}

// findByTime returns the group whose media of track tr starts at decode
// time t (the track's timescale), as $Time$ names it, or nil.
func findByTime(s *live.Snapshot, groups []packager.Group, tr *live.Track, t uint64) *packager.Group {
	if len(groups) == 0 || t > 1<<62 {
		return nil
	}
	ts := tr.Latest().Info.Timescale
	at := media.TicksFrom(int64(t), ts)
	i := sort.Search(len(groups), func(i int) bool { return groups[i].End() > at })
	// A track's first decode time in a group is within a frame or so of
	// the group's start; look at the neighbours too.
	for _, j := range []int{i, i - 1, i + 1} {
		if j < 0 || j >= len(groups) {
			continue
		}
		if sp := trackSpan(s, &groups[j], tr.ID); sp.ok && uint64(sp.t) == t {
			return &groups[j]
		}
	}
	return nil
}

// contentType is the Content-Type of a track's segments, "" for tracks
// DASH does not serve.
func contentType(tr *live.Track) string {
	switch tr.Kind {
	case media.KindVideo:
		return "video/mp4"
	case media.KindAudio:
		return "audio/mp4"
	}
	return ""
}
