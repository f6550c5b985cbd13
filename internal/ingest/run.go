package ingest

import (
	"context"
	"time"
)

// tickInterval is how often Run looks for overdue segments and stale
// uploads: well under the shortest wait (minMissingWait).
const tickInterval = 250 * time.Millisecond

// Run expires uploads that were never listed, skips listed segments that
// never arrived (and commits what follows them) and forgets idle inputs,
// until ctx ends.
func (h *Handler) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.clock.After(tickInterval):
		}
		h.Tick(ctx)
	}
}

// Tick runs Run's checks once at the clock's current time; tests with a
// fake clock call it directly.
func (h *Handler) Tick(ctx context.Context) {
	h.mu.Lock()
	chans := make([]*channelState, 0, len(h.chans))
	for _, c := range h.chans {
		chans = append(chans, c)
	}
	h.mu.Unlock()
	for _, c := range chans {
		h.tickChannel(ctx, c)
	}
}

func (h *Handler) tickChannel(ctx context.Context, c *channelState) {
	now := h.clock.Now()
	type due struct {
		s *session
		r *rendition
	}
	var overdue []due
	c.mu.Lock()
	for in, s := range c.sessions {
		ttl := heldTTL
		for _, r := range s.renditions {
			if t := heldTargets * r.target; t > ttl {
				ttl = t
			}
			if len(r.pending) > 0 && !now.Before(r.pending[0].deadline) {
				overdue = append(overdue, due{s, r})
			}
		}
		for name, o := range s.objects {
			if now.Sub(o.arrived) <= ttl || s.isPending(name) {
				continue
			}
			s.take(name, now)
			h.metrics.skipped.WithLabelValues(c.id, reasonExpired).Inc()
			h.log.Warn("ingest: upload never listed by a media playlist; dropped", "channel", c.id, "input", int(in),
				"name", name, "age", now.Sub(o.arrived).Round(time.Millisecond))
		}
		for name, at := range s.known {
			if now.Sub(at) > knownTTL {
				delete(s.known, name)
			}
		}
		if now.Sub(s.last) > sessionIdle && len(s.objects) == 0 && !s.anyPending() {
			delete(c.sessions, in)
		}
	}
	c.mu.Unlock()
	for _, d := range overdue {
		if err := h.commit(ctx, d.s, d.r); err != nil {
			code, _, _ := statusOf(err)
			attrs := []any{"channel", c.id, "input", int(d.s.input), "rendition", d.r.name, "err", err}
			if code >= 500 {
				h.log.Error("ingest: commit failed", attrs...)
			} else {
				h.log.Warn("ingest: segment rejected", attrs...)
			}
		}
	}
}

// isPending reports whether a rendition waits for name. Called with mu
// held.
func (s *session) isPending(name string) bool {
	for _, r := range s.renditions {
		for _, p := range r.pending {
			if p.name == name {
				return true
			}
		}
	}
	return false
}

func (s *session) anyPending() bool {
	for _, r := range s.renditions {
		if len(r.pending) > 0 {
			return true
		}
	}
	return false
}
