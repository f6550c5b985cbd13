package ingest

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"boxcar/internal/live"
)

// Ingest logs what encoders do wrong, and an encoder (or anyone holding
// its credentials) decides how often that is: one playlist can list the
// same missing segment 100,000 times. So warnings about one request are
// aggregated into one line per cause with a count and a sample, and lines
// of the same kind are rate-limited per channel; the metrics still count
// every occurrence.
const (
	// warnBurst lines of one kind are written per channel per
	// warnWindow; the rest are counted and reported in one summary line
	// when the window ends.
	warnBurst  = 5
	warnWindow = time.Minute
	// maxSkipSamples bounds the distinct causes one operation reports.
	maxSkipSamples = 16
)

// warnKey is what repeated lines are counted by: the channel ("" before a
// request is authenticated) and a kind, constant per call site.
type warnKey struct {
	channel string
	kind    string
}

type warnWindowState struct {
	start      time.Time
	written    int
	suppressed int
	level      slog.Level
}

// warnLimiter decides which log lines are written. Keys are bounded by
// the configured channels times the call sites. Safe for concurrent use.
type warnLimiter struct {
	mu sync.Mutex
	m  map[warnKey]*warnWindowState
}

func newWarnLimiter() *warnLimiter {
	return &warnLimiter{m: make(map[warnKey]*warnWindowState)}
}

// allow reports whether a line of k may be written at now, and how many
// lines of k were suppressed before it and not yet reported.
func (l *warnLimiter) allow(now time.Time, k warnKey, level slog.Level) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.m[k]
	if st == nil || now.Sub(st.start) >= warnWindow || now.Before(st.start) {
		if st != nil {
			suppressed = st.suppressed
		}
		l.m[k] = &warnWindowState{start: now, written: 1, level: level}
		return true, suppressed
	}
	if st.written < warnBurst {
		st.written++
		return true, 0
	}
	st.suppressed++
	if level > st.level {
		st.level = level
	}
	return false, 0
}

// warnSummary reports the lines of one key suppressed in a window.
type warnSummary struct {
	warnKey
	suppressed int
	level      slog.Level
}

// expire forgets the windows that ended by now and returns those that
// suppressed lines.
func (l *warnLimiter) expire(now time.Time) []warnSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []warnSummary
	for k, st := range l.m {
		if now.Sub(st.start) < warnWindow && !now.Before(st.start) {
			continue
		}
		if st.suppressed > 0 {
			out = append(out, warnSummary{warnKey: k, suppressed: st.suppressed, level: st.level})
		}
		delete(l.m, k)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].channel != out[b].channel {
			return out[a].channel < out[b].channel
		}
		return out[a].kind < out[b].kind
	})
	return out
}

// logLimited writes a line unless lines of its kind were frequent for the
// channel lately. kind must come from a bounded set (constants).
func (h *Handler) logLimited(level slog.Level, channel, kind, msg string, attrs ...any) {
	ctx := context.Background()
	if !h.log.Enabled(ctx, level) {
		return
	}
	ok, suppressed := h.warns.allow(h.clock.Now(), warnKey{channel, kind}, level)
	if !ok {
		return
	}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed_similar", suppressed)
	}
	h.log.Log(ctx, level, msg, attrs...)
}

// flushSuppressed writes one summary line per kind whose lines were
// suppressed in a window that ended. Run calls it every tick.
func (h *Handler) flushSuppressed() {
	for _, s := range h.warns.expire(h.clock.Now()) {
		attrs := []any{"kind", s.kind, "suppressed", s.suppressed, "window", warnWindow}
		if s.channel != "" {
			attrs = append([]any{"channel", s.channel}, attrs...)
		}
		h.log.Log(context.Background(), s.level, "ingest: similar log lines suppressed", attrs...)
	}
}

// skipLog aggregates the listed segments one operation skipped into one
// line per input, rendition and cause, with a count and the first and
// last sequence numbers. Not safe for concurrent use: one per operation.
type skipLog struct {
	items []*skipItem
	// dropped counts causes past maxSkipSamples, folded into the last
	// line.
	dropped int
}

type skipItem struct {
	input     live.Input
	rendition string
	reason    string
	why       string
	count     int
	firstSeq  uint64
	lastSeq   uint64
	sample    string // URI of the first one
}

// add notes n skipped segments, the first of them first (seq, uri).
func (b *skipLog) add(in live.Input, rendition, reason, why string, n int, firstSeq, lastSeq uint64, uri string) {
	for _, it := range b.items {
		if it.input == in && it.rendition == rendition && it.reason == reason && it.why == why {
			it.count += n
			it.lastSeq = lastSeq
			return
		}
	}
	if len(b.items) >= maxSkipSamples {
		b.dropped += n
		return
	}
	b.items = append(b.items, &skipItem{input: in, rendition: rendition, reason: reason, why: why, count: n,
		firstSeq: firstSeq, lastSeq: lastSeq, sample: uri})
}

// flushSkips writes what b aggregated and empties it.
func (h *Handler) flushSkips(channel string, b *skipLog) {
	for i, it := range b.items {
		attrs := []any{"channel", channel, "input", int(it.input), "rendition", it.rendition, "reason", it.reason,
			"count", it.count, "seq", it.firstSeq, "segment", it.sample}
		if it.count > 1 {
			attrs = append(attrs, "last_seq", it.lastSeq)
		}
		if i == len(b.items)-1 && b.dropped > 0 {
			attrs = append(attrs, "other_skipped", b.dropped)
		}
		h.logLimited(slog.LevelWarn, channel, "skip:"+it.reason, "ingest: segments skipped: "+it.why, attrs...)
	}
	b.items, b.dropped = nil, 0
}
