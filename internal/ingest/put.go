package ingest

import (
	"context"
	"errors"
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
		return created(existed), h.commitAll(ctx, s, waiting)
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
	for _, e := range evicted {
		h.metrics.skipped.WithLabelValues(c.id, reasonEvicted).Inc()
		h.log.Warn("ingest: held uploads over their bound; dropped the oldest unlisted upload",
			"channel", c.id, "input", int(e.input), "name", e.name, "held_bytes", maxHeldBytes, "held_objects", maxHeldObjects)
	}
	return created(existed), h.commitAll(ctx, s, waiting)
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
func (h *Handler) commitAll(ctx context.Context, s *session, rs []*rendition) error {
	var first error
	for _, r := range rs {
		if err := h.commit(ctx, s, r); err != nil && first == nil {
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
	r, err := h.listSegments(req.t, s, name, m, now)
	if err != nil {
		return 0, err
	}
	err = h.commit(ctx, s, r)
	if m.ended {
		// The encoder stopped. Its segments listed here carry the end to
		// the timeline; when none is left to carry it (nothing new was
		// listed), say it directly.
		c.mu.Lock()
		waiting := len(r.pending) > 0
		c.mu.Unlock()
		if !waiting {
			h.timelines.Timeline(c.id).EndInput(ctx, s.input)
		}
	}
	return created(existed), err
}

// listSegments records the segments of a media playlist that are new by
// media sequence number as pending for its rendition, in order.
func (h *Handler) listSegments(t target, s *session, name string, m *mediaPlaylist, now time.Time) (*rendition, error) {
	c := s.ch
	rn := renditionName(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := s.renditions[rn]
	if !ok {
		if len(s.renditions) >= maxRenditions {
			return nil, fail(http.StatusUnprocessableEntity, "", nil,
				"too many renditions: input %d already pushes %d media playlists", s.input, maxRenditions)
		}
		r = &rendition{name: rn}
		s.renditions[rn] = r
	}
	if m.target > 0 {
		r.target = m.target
	}
	n := len(m.segments)
	if n == 0 {
		return r, nil
	}
	first, end := m.mediaSeq, m.mediaSeq+uint64(n)
	restarted := false
	switch {
	case !r.started:
		// The first playlist of a rendition (a new push, or Boxcar
		// restarted): start at the first segment held, else at the newest
		// listed one (its upload may still be on the way).
		r.started = true
		r.next = first + uint64(s.firstHeld(t, name, m))
	case end <= r.next:
		// Nothing new: a stale playlist that lost a race with a newer
		// one, or an encoder that restarted and counts from the start
		// again, which shows as a fresh upload of its newest segment.
		if !s.restarted(t, name, m, r) {
			return r, nil
		}
		h.log.Warn("ingest: media sequence restarted; following the encoder", "channel", c.id, "input", int(s.input),
			"rendition", rn, "seq", end-1, "previous_seq", r.next-1)
		for _, p := range r.pending {
			h.skipLocked(s, r, p, reasonMissing, "dropped by an encoder restart")
		}
		r.pending = nil
		r.next = first + uint64(s.firstHeld(t, name, m))
		// A restarted encoder's timestamps start over: the timeline must
		// see a discontinuity, not old media.
		restarted = true
	}
	for i := range m.segments {
		seq := first + uint64(i)
		if seq < r.next {
			continue
		}
		p, err := h.listedOf(t, name, m, i, now)
		if err != nil {
			return nil, err
		}
		if restarted {
			p.disc, restarted = true, false
		}
		r.pending = append(r.pending, p)
	}
	if end > r.next {
		r.next = end
	}
	if len(r.pending) > maxPending {
		drop := len(r.pending) - maxPending
		for _, p := range r.pending[:drop] {
			h.skipLocked(s, r, p, reasonMissing, "too many listed segments waiting")
		}
		r.pending = r.pending[drop:]
	}
	return r, nil
}

// firstHeld returns the index of the first segment of m whose upload is
// held, else the last index. Called with mu held.
func (s *session) firstHeld(t target, name string, m *mediaPlaylist) int {
	for i, sg := range m.segments {
		if nm, ok := resolve(t, name, sg.uri); ok {
			if _, held := s.objects[nm]; held {
				return i
			}
		}
	}
	return len(m.segments) - 1
}

// restarted reports whether the newest segment m lists is a fresh upload:
// held, and not one the rendition already waits to take. Called with mu
// held.
func (s *session) restarted(t target, name string, m *mediaPlaylist, r *rendition) bool {
	nm, ok := resolve(t, name, m.segments[len(m.segments)-1].uri)
	if !ok {
		return false
	}
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

// skipLocked counts and logs a listed segment that will not reach the
// timeline. Called with mu held.
func (h *Handler) skipLocked(s *session, r *rendition, p *listed, reason, why string) {
	h.metrics.skipped.WithLabelValues(s.ch.id, reason).Inc()
	h.metrics.segments.WithLabelValues(s.ch.id, "skipped").Inc()
	h.log.Warn("ingest: segment skipped: "+why, "channel", s.ch.id, "input", int(s.input),
		"rendition", r.name, "seq", p.seq, "segment", p.uri, "reason", reason)
}

// listedOf builds the pending entry of segment i of m.
func (h *Handler) listedOf(t target, name string, m *mediaPlaylist, i int, now time.Time) (*listed, error) {
	sg := &m.segments[i]
	nm, ok := resolve(t, name, sg.uri)
	if !ok {
		return nil, fail(http.StatusBadRequest, reasonBadPlaylist, nil,
			"playlist %s lists %q, which is not a plain name under this ingest endpoint", name, sg.uri)
	}
	p := &listed{
		seq:      m.mediaSeq + uint64(i),
		name:     nm,
		uri:      sg.uri,
		duration: sg.duration,
		target:   m.target,
		pdt:      sg.pdt,
		disc:     sg.disc,
		ended:    m.ended,
		cues:     sg.cues,
	}
	if sg.mapURI != "" {
		in, ok := resolve(t, name, sg.mapURI)
		if !ok {
			return nil, fail(http.StatusBadRequest, reasonBadPlaylist, nil,
				"playlist %s maps init %q, which is not a plain name under this ingest endpoint", name, sg.mapURI)
		}
		p.initName = in
	}
	wait := time.Duration(missingTargets) * m.target
	if wait < minMissingWait {
		wait = minMissingWait
	}
	p.deadline = now.Add(wait)
	return p, nil
}
