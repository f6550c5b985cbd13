package hls

import (
	"context"
	"strings"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media"
	"boxcar/internal/packager"
)

// Packager packages HLS for endpoints with an hlsPackage (MPEG-TS
// segments) or a cmafPackage (fMP4 segments under hlsManifests). It keeps
// no per-endpoint state: every manifest is rebuilt from the request's
// snapshot, and segments are cut from stored fragments. The only state is
// a bounded cache of facts about immutable stored fragments (I-frame
// sizes). It is safe for concurrent use.
type Packager struct {
	frags *fragCache
}

var _ packager.Packager = (*Packager)(nil)

// New returns an HLS packager.
func New() *Packager {
	return &Packager{frags: newFragCache(fragCacheSize)}
}

// Content types of the objects served (standards §9).
const (
	typePlaylist = "application/vnd.apple.mpegurl"
	typeTS       = "video/mp2t"
	typeVideoMP4 = "video/mp4"
	typeAudioMP4 = "audio/mp4"
)

// Package serves req.Path for req.Endpoint from req.Snapshot. It returns
// packager.ErrNotFound for names it does not know and for segments outside
// the retained timeline, and packager.ErrEncryptionUnsupported for every
// object of an endpoint that asks for encryption.
func (p *Packager) Package(ctx context.Context, req *packager.Request) (*packager.Object, error) {
	if req.Endpoint == nil || req.Snapshot == nil {
		return nil, packager.ErrNotFound
	}
	ep, err := settingsOf(req.Endpoint, req.Snapshot.Channel)
	if err != nil {
		return nil, err
	}
	obj, ok := route(ep, req.Path)
	if !ok {
		return nil, packager.ErrNotFound
	}
	r := &request{ctx: ctx, req: req, ep: ep, snap: req.Snapshot, p: p}
	switch obj.kind {
	case objMultivariant, objMedia, objIFrames:
		startover := time.Duration(req.Endpoint.StartoverWindowSeconds) * time.Second
		if r.shift, err = parseShift(req.Query, startover); err != nil {
			return nil, err
		}
		if err := r.load(&ep.manifests[obj.manifest]); err != nil {
			return nil, err
		}
	}
	switch obj.kind {
	case objMultivariant:
		return r.multivariant(&ep.manifests[obj.manifest])
	case objMedia:
		return r.mediaPlaylist(&ep.manifests[obj.manifest], obj.track)
	case objIFrames:
		return r.iframePlaylist(&ep.manifests[obj.manifest], obj.track)
	case objSegment:
		return r.segment(obj.track, obj.number)
	case objIFrame:
		return r.iframeTS(obj.track, obj.number)
	case objInit:
		return r.init(obj.track, int(obj.number))
	}
	return nil, packager.ErrNotFound
}

// route parses a request path against the endpoint's names.
func route(ep *endpoint, path string) (object, bool) {
	dir, file, nested := strings.Cut(path, "/")
	if !nested {
		file = dir
	}
	if strings.Contains(file, "/") {
		return object{}, false
	}
	switch ep.container {
	case containerTS:
		if nested {
			return object{}, false
		}
		name := ep.manifests[0].name
		if strings.HasSuffix(file, extTS) {
			return parseTSName(file, name)
		}
		return parsePlaylistName(file, name)
	case containerCMAF:
		if !nested {
			return parseMP4Name(file, ep.prefix)
		}
		for i := range ep.manifests {
			if ep.manifests[i].id != dir {
				continue
			}
			o, ok := parsePlaylistName(file, ep.manifests[i].name)
			o.manifest = i
			return o, ok
		}
	}
	return object{}, false
}

// request is one Package call.
type request struct {
	ctx  context.Context
	req  *packager.Request
	ep   *endpoint
	snap *live.Snapshot
	p    *Packager

	// all holds the groups the requested manifest reaches (its window
	// and delay, with margin), oldest first; for a time-shifted request
	// the groups of its window.
	all []packager.Group
	td  int
	// shift is set for time-shifted manifest requests; closed when their
	// window ended (a VOD playlist), then cached for closedMaxAge.
	shift        *shift
	closed       bool
	closedMaxAge time.Duration
}

// load computes the groups manifest m reaches and the target duration.
func (r *request) load(m *manifest) error {
	if r.shift != nil {
		all, err := r.shifted()
		if err != nil {
			return err
		}
		r.all = all
	} else if back := m.lookback(r.ep.delay); back <= 0 {
		r.all = packager.Groups(r.snap, r.ep.segment)
	} else {
		// Margin: the incomplete group at the edge, the group holding
		// the window's start and a window stretched to three target
		// durations.
		from := r.snap.Edge() - media.TicksOf(back) - 4*r.maxGroupTicks() - media.TicksOf(10*time.Second)
		r.all = groupsSince(r.snap, r.ep.segment, from)
	}
	r.td = targetDuration(r.snap, r.ep.segment, r.all)
	return nil
}

// maxGroupTicks is the longest nominal output segment of any run.
func (r *request) maxGroupTicks() media.Ticks {
	var d time.Duration
	for _, run := range r.snap.Runs {
		d = max(d, time.Duration(perGroup(run, r.ep.segment))*run.Target)
	}
	return media.TicksOf(max(d, r.ep.segment))
}

// listed returns the groups manifest m lists.
func (r *request) listed(m *manifest) []packager.Group {
	if r.shift != nil {
		return r.all
	}
	// A live playlist must stay at least three target durations long
	// (HLS §6.2.2).
	window := max(m.window, 3*time.Duration(r.td)*time.Second)
	if m.eventLike() {
		window = 0
	}
	delay := r.ep.delay
	if r.snap.Ended {
		// Nothing more is coming: list up to the end.
		delay = 0
	}
	return packager.Window(r.all, window, delay)
}

// playlistType is what manifest m declares in this request.
func (r *request) playlistType(m *manifest) playlistType {
	if r.shift != nil {
		return typeVOD
	}
	return m.typ
}

// ended reports whether the playlists of this request are complete
// (EXT-X-ENDLIST).
func (r *request) ended() bool {
	if r.shift != nil {
		return r.closed
	}
	return r.snap.Ended
}

// playlistObject wraps a playlist body.
func (r *request) playlistObject(body []byte, last uint64) *packager.Object {
	o := &packager.Object{
		Body:         body,
		ContentType:  typePlaylist,
		Kind:         packager.KindManifest,
		MaxAge:       time.Duration(r.td) * time.Second / 2,
		LastSequence: last,
		LastModified: r.snap.Updated,
	}
	if r.shift != nil && r.closed {
		o.Immutable, o.MaxAge = true, r.closedMaxAge
	}
	return o
}

// mediaObject wraps a segment or init body.
func mediaObject(body []byte, contentType string, kind packager.Kind) *packager.Object {
	return &packager.Object{
		Body:        body,
		ContentType: contentType,
		Kind:        kind,
		Immutable:   true,
		MaxAge:      segmentMaxAge,
	}
}

// track returns the snapshot's track id of kind video or audio.
func (r *request) track(id int) (*live.Track, bool) {
	tr := r.snap.Track(id)
	if tr == nil || (tr.Kind != media.KindVideo && tr.Kind != media.KindAudio) || len(tr.Inits) == 0 {
		return nil, false
	}
	return tr, true
}
