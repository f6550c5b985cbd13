package ingest

import (
	"context"
	"log/slog"
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
	h.flushSuppressed()
}

func (h *Handler) tickChannel(ctx context.Context, c *channelState) {
	now := h.clock.Now()
	type due struct {
		s *session
		r *rendition
	}
	var overdue []due
	// Expired uploads are logged as one line per tick: their number
	// and the first one.
	var expired int
	var sample []any
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
			if expired++; sample == nil {
				sample = []any{"input", int(in), "name", name, "age", now.Sub(o.arrived).Round(time.Millisecond)}
			}
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
	if expired > 0 {
		h.logLimited(slog.LevelWarn, c.id, "expired", "ingest: uploads never listed by a media playlist; dropped",
			append([]any{"channel", c.id, "count", expired}, sample...)...)
	}
	for _, d := range overdue {
		if err := h.commit(ctx, d.s, d.r, nil); err != nil {
			code, _, _ := statusOf(err)
			attrs := []any{"channel", c.id, "input", int(d.s.input), "rendition", d.r.name, "err", err}
			if code >= 500 {
				h.logLimited(slog.LevelError, c.id, "commit_failed", "ingest: commit failed", attrs...)
			} else {
				h.logLimited(slog.LevelWarn, c.id, "rejected", "ingest: segment rejected", attrs...)
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
