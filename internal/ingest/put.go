package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"boxcar/internal/live"
	"boxcar/internal/media/fmp4"
)

// putObject handles the upload of anything but a playlist: it is held in
// memory until a media playlist lists it. fMP4 init segments are parsed at
// once and kept for as long as the input pushes.
func (h *Handler) putObject(ctx context.Context, s *session, req *request, body []byte) (int, error) {
	name := req.t.name
	now := h.clock.Now()
	c := s.ch
	if len(body) == 0 {
		// A probe of the publishing point (DASH-IF ingest §5.2): accepted,
		// nothing kept.
		c.mu.Lock()
		existed := s.exists(name)
		c.mu.Unlock()
		return created(existed), nil
	}
	kind := sniff(body)
	switch kind {
	case contentUnknown:
		return 0, fail(http.StatusUnsupportedMediaType, reasonUnsupported, nil,
			"%s is neither MPEG-TS nor fragmented MP4: Boxcar ingests HLS with TS or fMP4 segments", name)
	case contentInit:
		tracks, err := fmp4.ParseInit(body)
		if err != nil {
			reason, code := reasonDemux, http.StatusBadRequest
			if errors.Is(err, fmp4.ErrEncrypted) {
				reason, code = reasonEncrypted, http.StatusUnsupportedMediaType
			} else if errors.Is(err, fmp4.ErrUnsupportedCodec) {
				reason, code = reasonUnsupported, http.StatusUnsupportedMediaType
			}
			return 0, fail(code, reason, err, "init segment %s rejected: %v", name, err)
		}
		c.mu.Lock()
		existed := s.exists(name)
		if _, ok := s.inits[name]; !ok && len(s.inits) >= maxInits {
			oldest := ""
			for n, in := range s.inits {
				if oldest == "" || in.arrived.Before(s.inits[oldest].arrived) {
					oldest = n
				}
			}
			delete(s.inits, oldest)
		}
		s.inits[name] = &initObject{tracks: tracks, arrived: now}
		waiting := s.waitingFor(name)
		c.mu.Unlock()
		var rep commitReport
		return created(existed), rep.annotate(h.commitAll(ctx, s, waiting, &rep))
	}

	c.mu.Lock()
	existed := s.exists(name)
	if old, ok := s.objects[name]; ok {
		c.held -= int64(len(old.data))
		c.nheld--
	}
	s.objects[name] = &object{data: body, kind: kind, arrived: now}
	c.held += int64(len(body))
	c.nheld++
	evicted := h.evict(c, now)
	waiting := s.waitingFor(name)
	c.mu.Unlock()
	if len(evicted) > 0 {
		h.metrics.skipped.WithLabelValues(c.id, reasonEvicted).Add(float64(len(evicted)))
		h.logLimited(slog.LevelWarn, c.id, "evicted", "ingest: held uploads over their bound; dropped the oldest unlisted uploads",
			"channel", c.id, "count", len(evicted), "input", int(evicted[0].input), "name", evicted[0].name,
			"held_bytes", maxHeldBytes, "held_objects", maxHeldObjects)
	}
	var rep commitReport
	return created(existed), rep.annotate(h.commitAll(ctx, s, waiting, &rep))
}

func created(existed bool) int {
	if existed {
		return http.StatusNoContent
	}
	return http.StatusCreated
}

type evictedUpload struct {
	input live.Input
	name  string
}

// evict drops the oldest held uploads of the channel while it holds more
// than its bounds. Called with c.mu held.
func (h *Handler) evict(c *channelState, now time.Time) []evictedUpload {
	var out []evictedUpload
	for c.held > maxHeldBytes || c.nheld > maxHeldObjects {
		var (
			os   *session
			name string
			at   time.Time
		)
		for _, s := range c.sessions {
			for n, o := range s.objects {
				if os == nil || o.arrived.Before(at) {
					os, name, at = s, n, o.arrived
				}
			}
		}
		if os == nil {
			break
		}
		os.take(name, now)
		out = append(out, evictedUpload{input: os.input, name: name})
	}
	return out
}

// waitingFor returns the renditions whose next pending segment waits for
// name (as its media or its init). Called with mu held.
func (s *session) waitingFor(name string) []*rendition {
	var out []*rendition
	for _, r := range s.renditions {
		if len(r.pending) == 0 {
			continue
		}
		if p := r.pending[0]; p.name == name || p.initName == name {
			out = append(out, r)
		}
	}
	return out
}

// commitAll commits the renditions that waited for an upload. Errors are
// reported to the request whose upload completed the listing.
func (h *Handler) commitAll(ctx context.Context, s *session, rs []*rendition, rep *commitReport) error {
	var first error
	for _, r := range rs {
		if err := h.commit(ctx, s, r, rep); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// putPlaylist handles a playlist upload: a multivariant playlist declares
// the renditions; a media playlist lists segments and is the commit point.
func (h *Handler) putPlaylist(ctx context.Context, s *session, req *request, body []byte) (int, error) {
	name := req.t.name
	pl, err := parsePlaylist(body)
	if err != nil {
		return 0, fail(http.StatusBadRequest, reasonBadPlaylist, err, "playlist %s does not parse: %v", name, err)
	}
	now := h.clock.Now()
	c := s.ch
	c.mu.Lock()
	existed := s.exists(name)
	s.remember(name, now)
	c.mu.Unlock()

	if pl.multi != nil {
		rs := h.renditions(req.t, name, pl.multi)
		c.mu.Lock()
		s.multivariant = true
		c.mu.Unlock()
		h.timelines.Timeline(c.id).SetRenditions(s.input, rs)
		h.log.Debug("ingest: renditions declared", "channel", c.id, "input", int(s.input), "renditions", len(rs))
		return created(existed), nil
	}
	m := pl.media
	if m.keyMethod != "" {
		return 0, fail(http.StatusUnsupportedMediaType, reasonEncrypted, nil,
			"playlist %s is encrypted (EXT-X-KEY METHOD=%s): push clear media, Boxcar encrypts on output", name, m.keyMethod)
	}
	var skips skipLog
	r, err := h.listSegments(req.t, s, name, m, now, &skips)
	h.flushSkips(c.id, &skips)
	if err != nil {
		return 0, err
	}
	var rep commitReport
	err = rep.annotate(h.commit(ctx, s, r, &rep))
	return created(existed), err
}

// listSegments records the segments of a media playlist that are new by
// media sequence number as pending for its rendition, in order. Every
// listed name is checked before anything changes, so a playlist refused
// for a bad name leaves the rendition as it was. Skipped segments are
// counted at once and logged through skips.
func (h *Handler) listSegments(t target, s *session, name string, m *mediaPlaylist, now time.Time, skips *skipLog) (*rendition, error) {
	names, err := resolveSegments(t, name, m)
	if err != nil {
		return nil, err
	}
	s.ch.mu.Lock()
	defer s.ch.mu.Unlock()
	r, err := s.renditionLocked(renditionName(name))
	if err != nil {
		return nil, err
	}
	if m.target > 0 {
		r.target = m.target
	}
	if m.ended {
		r.ended = true
	}
	n := len(m.segments)
	if n == 0 {
		return r, nil
	}
	// disc marks the first segment taken with a discontinuity it does
	// not carry itself: the encoder restarted, or segments before it
	// that had one were dropped.
	disc, fresh := h.resumeLocked(s, r, names, m, skips)
	if !fresh {
		return r, nil
	}
	first, end := m.mediaSeq, m.mediaSeq+uint64(n)
	from := 0
	if r.next > first {
		from = int(min(r.next-first, uint64(n)))
	}
	from, disc = h.dropOverflowLocked(s, r, m, from, disc, skips)
	if from < n {
		r.ended = m.ended // new segments from a live playlist: not ended
	}
	for i := from; i < n; i++ {
		p := listedOf(names[i], m, i, now)
		if disc {
			p.disc, disc = true, false
		}
		r.pending = append(r.pending, p)
	}
	if end > r.next {
		r.next = end
	}
	return r, nil
}

// renditionLocked returns the session's rendition rn, made on first use
// up to maxRenditions.
func (s *session) renditionLocked(rn string) (*rendition, error) {
	r, ok := s.renditions[rn]
	if !ok {
		if len(s.renditions) >= maxRenditions {
			return nil, fail(http.StatusUnprocessableEntity, "", nil,
				"too many renditions: input %d already pushes %d media playlists", s.input, maxRenditions)
		}
		r = &rendition{name: rn}
		s.renditions[rn] = r
	}
	return r, nil
}

// resumeLocked places r.next for a playlist of r with segments: at the
// start of a rendition, or after an encoder restart. It reports whether
// the playlist may hold new segments, and whether the first one taken
// starts a discontinuity (a restart).
func (h *Handler) resumeLocked(s *session, r *rendition, names []segmentNames, m *mediaPlaylist, skips *skipLog) (disc, fresh bool) {
	first, end := m.mediaSeq, m.mediaSeq+uint64(len(m.segments))
	switch {
	case !r.started:
		// The first playlist of a rendition (a new push, or Boxcar
		// restarted): start at the first segment held, else at the newest
		// listed one (its upload may still be on the way).
		r.started = true
		r.next = first + uint64(s.firstHeld(names))
	case end <= r.next:
		// Nothing new: a stale playlist that lost a race with a newer
		// one, or an encoder that restarted and counts from the start
		// again, which shows as a fresh upload of its newest segment.
		if !s.restarted(names, r) {
			return false, false
		}
		h.logLimited(slog.LevelWarn, s.ch.id, "restart", "ingest: media sequence restarted; following the encoder", "channel", s.ch.id, "input", int(s.input),
			"rendition", r.name, "seq", end-1, "previous_seq", r.next-1)
		for _, p := range r.pending {
			h.skipLocked(skips, s, r, p, reasonMissing, "dropped by an encoder restart")
		}
		r.pending = nil
		r.next = first + uint64(s.firstHeld(names))
		// A restarted encoder's timestamps start over: the timeline must
		// see a discontinuity, not old media.
		return true, true
	}
	return false, true
}

// dropOverflowLocked keeps r within maxPending waiting segments when the
// playlist's segments from index from on are added: first the oldest
// pending ones are dropped, then the oldest new ones, which are counted
// without being built (a playlist may list 100,000). It returns the
// index of the first segment to take, and disc carried over the dropped
// ones.
func (h *Handler) dropOverflowLocked(s *session, r *rendition, m *mediaPlaylist, from int, disc bool, skips *skipLog) (int, bool) {
	drop := len(r.pending) + len(m.segments) - from - maxPending
	if drop <= 0 {
		return from, disc
	}
	const why = "too many listed segments waiting"
	c, first := s.ch, m.mediaSeq
	k := min(drop, len(r.pending))
	for _, p := range r.pending[:k] {
		h.skipLocked(skips, s, r, p, reasonMissing, why)
	}
	r.pending = append([]*listed(nil), r.pending[k:]...)
	if rest := drop - k; rest > 0 {
		h.metrics.skipped.WithLabelValues(c.id, reasonMissing).Add(float64(rest))
		h.metrics.segments.WithLabelValues(c.id, "skipped").Add(float64(rest))
		skips.add(s.input, r.name, reasonMissing, why, rest, first+uint64(from), first+uint64(from+rest-1), m.segments[from].uri)
		for i := from; i < from+rest; i++ {
			disc = disc || m.segments[i].disc
		}
		from += rest
	}
	return from, disc
}

// segmentNames are the object names a media playlist's segment refers to.
type segmentNames struct {
	name     string
	initName string // EXT-X-MAP, "" for none
}

// resolveSegments resolves every segment and map URI of m, listed in
// playlist name, to an object name under the ingest endpoint, or refuses
// the playlist. A URI repeated on consecutive segments (every EXT-X-MAP,
// or a playlist made to cost) is resolved once.
func resolveSegments(t target, name string, m *mediaPlaylist) ([]segmentNames, error) {
	out := make([]segmentNames, len(m.segments))
	var prevURI, prevMap string
	for i := range m.segments {
		sg := &m.segments[i]
		if i > 0 && sg.uri == prevURI {
			out[i].name = out[i-1].name
		} else {
			nm, ok := resolve(t, name, sg.uri)
			if !ok {
				return nil, fail(http.StatusBadRequest, reasonBadPlaylist, nil,
					"playlist %s lists %q, which is not a plain name under this ingest endpoint", name, sg.uri)
			}
			out[i].name, prevURI = nm, sg.uri
		}
		switch {
		case sg.mapURI == "":
		case i > 0 && sg.mapURI == prevMap:
			out[i].initName = out[i-1].initName
		default:
			in, ok := resolve(t, name, sg.mapURI)
			if !ok {
				return nil, fail(http.StatusBadRequest, reasonBadPlaylist, nil,
					"playlist %s maps init %q, which is not a plain name under this ingest endpoint", name, sg.mapURI)
			}
			out[i].initName, prevMap = in, sg.mapURI
		}
		if sg.mapURI == "" {
			prevMap = ""
		}
	}
	return out, nil
}

// firstHeld returns the index of the first listed segment whose upload
// is held, else the last index. Called with mu held.
func (s *session) firstHeld(names []segmentNames) int {
	for i := range names {
		if _, held := s.objects[names[i].name]; held {
			return i
		}
	}
	return len(names) - 1
}

// restarted reports whether the newest listed segment is a fresh upload:
// held, and not one the rendition already waits to take. Called with mu
// held.
func (s *session) restarted(names []segmentNames, r *rendition) bool {
	nm := names[len(names)-1].name
	if _, held := s.objects[nm]; !held {
		return false
	}
	for _, p := range r.pending {
		if p.name == nm {
			return false
		}
	}
	return true
}

// skipLocked counts a listed segment that will not reach the timeline and
// adds it to the operation's skip log. Called with mu held.
func (h *Handler) skipLocked(skips *skipLog, s *session, r *rendition, p *listed, reason, why string) {
	h.metrics.skipped.WithLabelValues(s.ch.id, reason).Inc()
	h.metrics.segments.WithLabelValues(s.ch.id, "skipped").Inc()
	skips.add(s.input, r.name, reason, why, 1, p.seq, p.seq, p.uri)
}

// listedOf builds the pending entry of segment i of m.
func listedOf(nm segmentNames, m *mediaPlaylist, i int, now time.Time) *listed {
	sg := &m.segments[i]
	p := &listed{
		seq:      m.mediaSeq + uint64(i),
		name:     nm.name,
		uri:      sg.uri,
		initName: nm.initName,
		duration: sg.duration,
		target:   m.target,
		pdt:      sg.pdt,
		disc:     sg.disc,
		ended:    m.ended,
		cues:     sg.cues,
	}
	wait := time.Duration(missingTargets) * m.target
	if wait < minMissingWait {
		wait = minMissingWait
	}
	p.deadline = now.Add(wait)
	return p
}
