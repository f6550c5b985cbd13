package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"boxcar/internal/live"
	"boxcar/internal/store"
)

// commit hands the rendition's pending segments to the timeline in order,
// as far as their uploads (and inits) have arrived; a segment still missing
// past its deadline is skipped. It returns the first error a segment met,
// after committing what follows it, and notes in rep (when not nil) which
// segments it took and which it rejected.
//
// A request can therefore be refused (422 for a segment that does not
// demux, 409 for a codec change) after other segments it completed were
// placed. That is on purpose, and the refusal says which were accepted
// (commitReport). All or nothing cannot be had in live ingest: what the
// timeline refuses (a codec change, a full store) is only known by
// placing, a placed segment is published to players at once and cannot
// be taken back, and holding the good segments after a bad one hostage
// to it would stall the channel for as long as the bad one stays in the
// encoder's window, for nothing: an encoder does not repair a segment
// because a playlist PUT failed. Every listed segment is taken once:
// accepted or rejected, it leaves the pending list, and a rendition only
// lists sequence numbers after those it saw, so the encoder's next PUT of
// the same (or a newer) playlist adds nothing twice.
func (h *Handler) commit(ctx context.Context, s *session, r *rendition, rep *commitReport) error {
	r.commit.Lock()
	defer r.commit.Unlock()
	c := s.ch
	var skips skipLog
	defer h.flushSkips(c.id, &skips)
	var first error
	for {
		now := h.clock.Now()
		c.mu.Lock()
		if len(r.pending) == 0 {
			ended := r.ended
			c.mu.Unlock()
			if ended {
				// The encoder stopped and all it listed was taken,
				// skipped or refused: its end reaches the timeline even
				// when no placed segment carried it (EndInput does
				// nothing for an input that already ended).
				h.timelines.Timeline(c.id).EndInput(ctx, s.input)
			}
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
				h.skipLocked(&skips, s, r, p, reasonMissing, "their uploads never arrived")
			} else {
				s.take(p.name, now)
				h.skipLocked(&skips, s, r, p, reasonNoInit, "their init segment never arrived")
			}
			c.mu.Unlock()
			continue
		}
		r.pending = r.pending[1:]
		s.take(p.name, now)
		c.mu.Unlock()

		err := h.add(ctx, s, r, p, o, in)
		rep.note(p.uri, err)
		if err != nil && first == nil {
			first = err
		}
	}
}

// commitReport is what the commits one request triggered did with listed
// segments, for its answer (see commit).
type commitReport struct {
	accepted []string
	rejected []string
}

// maxReported bounds the names a report lists of each kind.
const maxReported = 16

func (rep *commitReport) note(uri string, err error) {
	if rep == nil {
		return
	}
	if err != nil {
		rep.rejected = append(rep.rejected, uri)
	} else {
		rep.accepted = append(rep.accepted, uri)
	}
}

// annotate adds the report to the message of a refusal.
func (rep *commitReport) annotate(err error) error {
	var se *statusError
	if err == nil || rep == nil || !errors.As(err, &se) || len(rep.accepted)+len(rep.rejected) == 0 {
		return err
	}
	cp := *se
	cp.msg += "; " + rep.String()
	return &cp
}

// String lists the segments accepted and rejected.
func (rep *commitReport) String() string {
	list := func(names []string) string {
		if len(names) == 0 {
			return "none"
		}
		s := strings.Join(names[:min(len(names), maxReported)], ", ")
		if len(names) > maxReported {
			s += fmt.Sprintf(" and %d more", len(names)-maxReported)
		}
		return s
	}
	return fmt.Sprintf("segments accepted by this request: %s; rejected: %s (each listed segment is taken once: sending the playlist again adds nothing)",
		list(rep.accepted), list(rep.rejected))
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
