package ingest

import (
	"context"
	"errors"
	"net/http"

	"boxcar/internal/live"
	"boxcar/internal/store"
)

// commit hands the rendition's pending segments to the timeline in order,
// as far as their uploads (and inits) have arrived; a segment still missing
// past its deadline is skipped. It returns the first error a segment met,
// after committing what follows it.
func (h *Handler) commit(ctx context.Context, s *session, r *rendition) error {
	r.commit.Lock()
	defer r.commit.Unlock()
	c := s.ch
	var first error
	for {
		now := h.clock.Now()
		c.mu.Lock()
		if len(r.pending) == 0 {
			c.mu.Unlock()
			return first
		}
		p := r.pending[0]
		o := s.objects[p.name]
		var in *initObject
		if p.initName != "" {
			in = s.inits[p.initName]
		}
		if o == nil || p.initName != "" && in == nil {
			if now.Before(p.deadline) {
				c.mu.Unlock()
				return first
			}
			r.pending = r.pending[1:]
			if o == nil {
				h.skipLocked(s, r, p, reasonMissing, "its upload never arrived")
			} else {
				s.take(p.name, now)
				h.skipLocked(s, r, p, reasonNoInit, "its init segment "+p.initName+" never arrived")
			}
			last := len(r.pending) == 0
			c.mu.Unlock()
			if p.ended && last {
				// The segment that would have carried the encoder's end.
				h.timelines.Timeline(c.id).EndInput(ctx, s.input)
			}
			continue
		}
		r.pending = r.pending[1:]
		s.take(p.name, now)
		c.mu.Unlock()

		if err := h.add(ctx, s, r, p, o, in); err != nil && first == nil {
			first = err
		}
	}
}

// add demuxes one listed segment and places it on the timeline.
func (h *Handler) add(ctx context.Context, s *session, r *rendition, p *listed, o *object, in *initObject) error {
	c := s.ch
	tl := h.timelines.Timeline(c.id)
	seg, err := h.segmentOf(s, r, p, o, in, tl.Anchor(s.input))
	if err != nil {
		return h.skipped(c.id, err)
	}
	if seg == nil {
		return nil
	}
	out, err := tl.Add(ctx, seg)
	switch {
	case err == nil:
		h.metrics.segments.WithLabelValues(c.id, out.String()).Inc()
		h.log.Debug("ingest: segment", "channel", c.id, "input", int(s.input), "rendition", r.name, "seq", p.seq, "outcome", out.String())
		return nil
	case errors.Is(err, live.ErrCodecChanged):
		return h.skipped(c.id, fail(http.StatusConflict, reasonCodecChanged, err,
			"segment %s of rendition %s changed codec mid-stream (%v): not ingested; restart the channel's push with the new codec under new rendition names", p.uri, r.name, err))
	case errors.Is(err, live.ErrNoMedia):
		return h.skipped(c.id, fail(http.StatusUnprocessableEntity, reasonNoMedia, err,
			"segment %s of rendition %s carries no media samples", p.uri, r.name))
	case errors.Is(err, live.ErrDeleted):
		return fail(http.StatusNotFound, "", err, "channel %q was deleted", c.id)
	case errors.Is(err, store.ErrFull):
		h.metrics.skipped.WithLabelValues(c.id, reasonStore).Inc()
		h.metrics.segments.WithLabelValues(c.id, "skipped").Inc()
		return fail(http.StatusInsufficientStorage, "", err, "media storage is full: segment %s of rendition %s not stored", p.uri, r.name)
	default:
		h.metrics.skipped.WithLabelValues(c.id, reasonStore).Inc()
		h.metrics.segments.WithLabelValues(c.id, "skipped").Inc()
		return fail(http.StatusInternalServerError, "", err, "segment %s of rendition %s could not be stored", p.uri, r.name)
	}
}

// skipped counts a segment rejected for its content and returns err with
// its reason moved out (it is counted here, not again at the edge).
func (h *Handler) skipped(channel string, err error) error {
	var se *statusError
	if errors.As(err, &se) && se.reason != "" {
		h.metrics.skipped.WithLabelValues(channel, se.reason).Inc()
		cp := *se
		cp.reason = ""
		err = &cp
	}
	h.metrics.segments.WithLabelValues(channel, "skipped").Inc()
	return err
}
