package accesslog

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
	"boxcar/internal/testutil"
)

// lineWriter records every Write so a test can check each holds whole
// lines; while block is set, writes wait for it to close.
type lineWriter struct {
	mu     sync.Mutex
	writes []string
	block  chan struct{}
	err    error
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	block, err := l.block, l.err
	l.mu.Unlock()
	if block != nil {
		<-block
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return 0, err
	}
	l.writes = append(l.writes, string(p))
	return len(p), nil
}

func (l *lineWriter) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.writes, "")
}

func (l *lineWriter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.writes)
}

func line(s string) func([]byte) []byte {
	return func(b []byte) []byte {
		b = append(b, `{"timestamp":`...)
		b = AppendString(b, s)
		return append(b, "}\n"...)
	}
}

func (l *Log) isBuffered() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buffered
}

const waitTimeout = 10 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func newTestLog(t *testing.T, w *lineWriter) (*Log, *clock.Fake, *prometheus.Registry, *testutil.Buffer) {
	t.Helper()
	fc := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	reg := prometheus.NewRegistry()
	logs := &testutil.Buffer{}
	l, err := New(w, Options{Clock: fc, Registry: reg, Logger: slog.New(slog.NewTextHandler(logs, nil)), Name: "test.log"})
	if err != nil {
		t.Fatal(err)
	}
	return l, fc, reg, logs
}

func TestBufferedByRun(t *testing.T) {
	w := &lineWriter{}
	l, fc, _, _ := newTestLog(t, w)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // also when a wait fails
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor(t, "Run to buffer the access log", l.isBuffered)
	l.Append(line("a"))
	if got := w.text(); got != "" {
		t.Fatalf("line written before a flush: %q", got)
	}
	// The periodic flush writes it.
	waitFor(t, "the periodic access-log flush", func() bool {
		fc.Advance(FlushInterval)
		return w.text() != ""
	})
	// Stopping Run flushes the rest and goes back to unbuffered lines.
	l.Append(line("b"))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(w.text(), "\n"); n != 2 {
		t.Fatalf("after Run returned: %d lines, want 2", n)
	}
	l.Append(line("c"))
	if n := strings.Count(w.text(), "\n"); n != 3 {
		t.Errorf("unbuffered after Run: %d lines, want 3", n)
	}
}

func TestWritesWholeLines(t *testing.T) {
	w := &lineWriter{}
	l, _, _, _ := newTestLog(t, w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor(t, "Run to buffer the access log", l.isBuffered)
	ua := strings.Repeat("u", 700)
	for i := 0; i < 500; i++ {
		l.Append(line(ua))
	}
	l.Append(line(strings.Repeat("x", flushBytes+10))) // a line longer than the flush size
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, s := range w.writes {
		if !strings.HasSuffix(s, "\n") || !strings.HasPrefix(s, `{"timestamp"`) {
			t.Fatalf("a write of %d bytes does not hold whole lines", len(s))
		}
		lines += strings.Count(s, "\n")
	}
	if lines != 501 {
		t.Errorf("lines written: got %d, want 501", lines)
	}
	if len(w.writes) > 20 {
		t.Errorf("%d writes for 501 buffered lines", len(w.writes))
	}
}

// TestSlowDestinationDropsLines: while the destination does not accept a
// write, lines fill the bounded buffer and the rest are dropped and
// counted; Append never waits for the destination.
func TestSlowDestinationDropsLines(t *testing.T) {
	w := &lineWriter{block: make(chan struct{})}
	l, fc, reg, logs := newTestLog(t, w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor(t, "Run to buffer the access log", l.isBuffered)
	big := strings.Repeat("y", 1000)
	l.Append(line(big))
	// Wake Run: it takes the line and blocks in Write.
	waitFor(t, "Run to start a write", func() bool {
		fc.Advance(FlushInterval)
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.buf) == 0
	})
	n := 2 * maxBufferBytes / len(big)
	for i := 0; i < n; i++ {
		l.Append(line(big)) // returns at once: the write is stuck
	}
	dropped := testutil.Metric(t, reg, "boxcar_access_log_dropped_lines_total", map[string]string{"reason": "buffer_full"})
	if dropped < float64(n)/3 || dropped >= float64(n) {
		t.Errorf("dropped %v of %d lines beyond a %d-byte buffer", dropped, n, maxBufferBytes)
	}
	close(w.block)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := float64(strings.Count(w.text(), "\n")), float64(n+1)-dropped; got != want {
		t.Errorf("lines written: got %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "access log lines lost") || !strings.Contains(logs.String(), "test.log") {
		t.Errorf("dropped lines not reported: %q", logs.String())
	}
}

// TestWriteErrors: failed writes are counted, their lines counted as
// lost, and reported once per errorLogEvery with the error.
func TestWriteErrors(t *testing.T) {
	w := &lineWriter{err: errors.New("disk full")}
	l, fc, reg, logs := newTestLog(t, w)
	for i := 0; i < 3; i++ {
		l.Append(line("a"))
	}
	if got := testutil.Metric(t, reg, "boxcar_access_log_write_errors_total", nil); got != 3 {
		t.Errorf("write errors: got %v, want 3", got)
	}
	if got := testutil.Metric(t, reg, "boxcar_access_log_dropped_lines_total", map[string]string{"reason": "write_error"}); got != 3 {
		t.Errorf("lines lost to write errors: got %v, want 3", got)
	}
	if got := strings.Count(logs.String(), "disk full"); got != 1 {
		t.Errorf("error logged %d times within a minute, want 1: %q", got, logs.String())
	}
	fc.Advance(errorLogEvery)
	l.Append(line("b"))
	if got := strings.Count(logs.String(), "lines_lost=3"); got != 1 {
		t.Errorf("the report after a minute does not count the 2 suppressed and the new loss: %q", logs.String())
	}
}

func TestNilLog(t *testing.T) {
	l, err := New(nil, Options{})
	if l != nil || err != nil {
		t.Fatalf("New(nil) = %v, %v", l, err)
	}
	l.Append(line("a")) // no panic
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
}
