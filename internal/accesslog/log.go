// Package accesslog writes the JSON access log that ingest and playback
// share: one writer, one lock, whole lines only.
package accesslog

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
)

const (
	// FlushInterval is how often Run writes buffered lines.
	FlushInterval = time.Second
	// flushBytes is how many buffered bytes wake Run before its tick:
	// one write per ~150 lines instead of one per request.
	flushBytes = 64 << 10
	// maxBufferBytes bounds the lines held while the destination is
	// slow (a full disk, a stalled pipe): past it lines are dropped and
	// counted, so request goroutines never wait on the destination.
	maxBufferBytes = 4 << 20
	// errorLogEvery rate-limits the process-log line about failed writes
	// and dropped lines; the metrics count every one.
	errorLogEvery = time.Minute
)

// Options configure a Log.
type Options struct {
	Clock  clock.Clock  // default the real clock
	Logger *slog.Logger // where write failures are reported
	// Registry receives the access log's metrics; nil for none.
	Registry prometheus.Registerer
	// Name says what the log writes to (a path, "stdout"), for the
	// process log.
	Name string
}

// Log writes access-log lines to one io.Writer. While Run runs, lines are
// buffered (bounded) and written by Run's goroutine at least once per
// FlushInterval; a line that does not fit is dropped and counted rather
// than making the request wait. Without Run every line is one Write under
// the lock. Every Write carries whole lines only. A nil *Log discards
// lines. Safe for concurrent use.
type Log struct {
	w       io.Writer
	clock   clock.Clock
	log     *slog.Logger
	name    string
	metrics *metrics
	kick    chan struct{} // wakes Run when flushBytes are buffered
	scratch sync.Pool     // *[]byte, one line being formatted

	mu       sync.Mutex
	buf      []byte // whole lines waiting for Run
	spare    []byte // the buffer Run last wrote, for reuse
	buffered bool
	kicked   bool
	// lostWrites and lostLines count failed writes and lost lines not
	// yet reported in the process log; reported is when it last was.
	lostWrites, lostLines int
	lastErr               error
	reported              time.Time
}

// New returns a Log writing to w, or nil when w is nil.
func New(w io.Writer, opts Options) (*Log, error) {
	if w == nil {
		return nil, nil
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{w: w, clock: opts.Clock, log: opts.Logger, name: opts.Name, metrics: newMetrics(), kick: make(chan struct{}, 1),
		buf: make([]byte, 0, 2*flushBytes), spare: make([]byte, 0, 2*flushBytes)}
	if opts.Registry != nil {
		if err := l.metrics.register(opts.Registry); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Append formats one line with appendLine (which appends a JSON object
// and a newline to its argument) and writes or queues it.
func (l *Log) Append(appendLine func([]byte) []byte) {
	if l == nil {
		return
	}
	bp, _ := l.scratch.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 512)
		bp = &b
	}
	b := appendLine((*bp)[:0])
	l.mu.Lock()
	switch {
	case !l.buffered:
		l.writeLocked(b, 1)
	case len(l.buf)+len(b) > maxBufferBytes:
		l.metrics.droppedFull.Inc()
		l.lostLines++
	default:
		l.buf = append(l.buf, b...)
		if len(l.buf) >= flushBytes && !l.kicked {
			l.kicked = true
			select {
			case l.kick <- struct{}{}:
			default:
			}
		}
	}
	l.mu.Unlock()
	*bp = b
	l.scratch.Put(bp)
}

// Run buffers lines and writes them at least once per FlushInterval until
// ctx ends, then writes what is left and goes back to one Write per line.
// Run it once, after the last request for a complete log (the server
// stops its components after draining requests).
func (l *Log) Run(ctx context.Context) error {
	if l == nil {
		<-ctx.Done()
		return nil
	}
	l.mu.Lock()
	l.buffered = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.buffered = false
		l.writeLocked(l.buf, 0)
		l.buf = l.buf[:0]
		l.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.kick:
		case <-l.clock.After(FlushInterval):
		}
		l.flush()
	}
}

// flush writes the buffered lines outside the lock, so requests keep
// appending while the destination is slow; only Run calls it, so writes
// stay in order.
func (l *Log) flush() {
	l.mu.Lock()
	b := l.buf
	l.buf, l.spare = l.spare[:0], nil
	l.kicked = false
	l.mu.Unlock()
	if len(b) == 0 {
		l.mu.Lock()
		l.spare = b
		l.mu.Unlock()
		return
	}
	_, err := l.w.Write(b)
	l.mu.Lock()
	if err != nil {
		l.failedLocked(err, countLines(b))
	}
	l.spare = b[:0]
	l.reportLocked()
	l.mu.Unlock()
}

// writeLocked writes b (lines whole lines; 0 to count them) while holding
// the lock.
func (l *Log) writeLocked(b []byte, lines int) {
	if len(b) == 0 {
		return
	}
	if _, err := l.w.Write(b); err != nil {
		if lines == 0 {
			lines = countLines(b)
		}
		l.failedLocked(err, lines)
	}
	l.reportLocked()
}

func (l *Log) failedLocked(err error, lines int) {
	l.metrics.writeErrors.Inc()
	l.metrics.droppedWrite.Add(float64(lines))
	l.lostWrites++
	l.lostLines += lines
	l.lastErr = err
}

// reportLocked logs failed writes and dropped lines, at most once per
// errorLogEvery, with what was lost since the last report.
func (l *Log) reportLocked() {
	if l.lostLines == 0 && l.lostWrites == 0 {
		return
	}
	now := l.clock.Now()
	if !l.reported.IsZero() && now.Sub(l.reported) < errorLogEvery {
		return
	}
	l.reported = now
	attrs := []any{"access_log", l.name, "lines_lost", l.lostLines, "failed_writes", l.lostWrites}
	if l.lastErr != nil {
		attrs = append(attrs, "err", l.lastErr)
	}
	l.log.Error("access log lines lost: the destination failed or could not keep up", attrs...)
	l.lostLines, l.lostWrites, l.lastErr = 0, 0, nil
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
