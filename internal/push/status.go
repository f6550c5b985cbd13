package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// errorRepeatWindow is how long an error identical to the last one printed
// is counted instead of printed again.
const errorRepeatWindow = 30 * time.Second

// Stats are the counters of a push so far.
type Stats struct {
	// Segments is the number of segment indices uploaded to every
	// rendition (one per segment duration of media).
	Segments uint64
	// Media is the media time pushed.
	Media time.Duration
	// Uploads and Failures count requests (segments, playlists, init
	// segments, deletes) by outcome; Bytes is the body bytes accepted.
	Uploads, Failures uint64
	Bytes             uint64
	// LastStatus and LastLatency describe the latest response; LastError
	// is the latest failure.
	LastStatus  int
	LastLatency time.Duration
	LastError   error
}

// status keeps the counters of a push and prints them: a line updated in
// place on a terminal, one line per interval otherwise, and every error
// as it happens (an error identical to the previous one is counted, and
// printed again with its count after a while).
type status struct {
	w        io.Writer
	terminal bool
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	st        Stats
	rateBytes uint64
	rateSince time.Time
	rate      float64 // bit/s of the last interval
	lastErr   string
	lastErrAt time.Time
	repeats   int
	drawn     int // length of the line drawn in place
}

func newStatus(w io.Writer, terminal bool, interval time.Duration) *status {
	if w == nil {
		w = io.Discard
	}
	return &status{w: w, terminal: terminal, interval: interval, now: time.Now, rateSince: time.Now()}
}

// record counts one upload and prints it if it failed.
func (s *status) record(u upload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Uploads++
	if u.status != 0 {
		s.st.LastStatus, s.st.LastLatency = u.status, u.latency
	}
	if u.err == nil {
		s.st.Bytes += uint64(u.bytes)
		s.rateBytes += uint64(u.bytes)
		return
	}
	s.st.Failures++
	s.st.LastError = u.err
	// Identical errors (same status and message, or the same network
	// error, for any object) repeat.
	key := u.err.Error()
	var se *StatusError
	if errors.As(u.err, &se) {
		key = fmt.Sprintf("%d %s", se.Status, se.Message)
	} else if inner := errors.Unwrap(u.err); inner != nil {
		key = inner.Error()
	}
	now := s.now()
	if key == s.lastErr && now.Sub(s.lastErrAt) < errorRepeatWindow {
		s.repeats++
		return
	}
	msg := "push: " + u.err.Error()
	if key == s.lastErr && s.repeats > 0 {
		msg += fmt.Sprintf(" (%d more like it)", s.repeats)
	}
	s.lastErr, s.lastErrAt, s.repeats = key, now, 0
	s.printLine(msg)
}

// segment counts a segment index pushed to every rendition.
func (s *status) segment(media time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Segments++
	s.st.Media = media
}

// stats returns a copy of the counters.
func (s *status) stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// printf prints a message line.
func (s *status) printf(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.printLine(fmt.Sprintf(format, a...))
}

// printLine prints a line above the in-place status line. Callers hold mu.
func (s *status) printLine(line string) {
	if s.terminal && s.drawn > 0 {
		fmt.Fprintf(s.w, "\r%s\r", strings.Repeat(" ", s.drawn))
		s.drawn = 0
	}
	fmt.Fprintln(s.w, line)
}

// line formats the counters.
func (s *status) line() string {
	now := s.now()
	if d := now.Sub(s.rateSince); d >= time.Second || s.rate == 0 && d > 0 {
		s.rate = float64(s.rateBytes) * 8 / d.Seconds()
		s.rateBytes, s.rateSince = 0, now
	}
	st := &s.st
	l := fmt.Sprintf("push: %d segments (%s of media), %s, %d uploads", st.Segments, st.Media.Round(time.Second), formatRate(s.rate), st.Uploads)
	if st.LastStatus != 0 {
		l += fmt.Sprintf(", last %d in %v", st.LastStatus, st.LastLatency.Round(time.Millisecond))
	}
	l += fmt.Sprintf(", %d errors", st.Failures)
	if st.Failures > 0 && s.repeats > 0 {
		l += fmt.Sprintf(" (%d more like the last)", s.repeats)
	}
	return l
}

// draw prints the status line: in place on a terminal, else as a line.
func (s *status) draw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.line()
	if !s.terminal {
		fmt.Fprintln(s.w, l)
		return
	}
	pad := ""
	if n := s.drawn - len(l); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(s.w, "\r%s%s", l, pad)
	s.drawn = len(l)
}

// finish ends the in-place line.
func (s *status) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.terminal && s.drawn > 0 {
		fmt.Fprintln(s.w)
		s.drawn = 0
	}
}

// run draws the status line every interval until ctx ends.
func (s *status) run(ctx context.Context) {
	if s.interval <= 0 {
		return
	}
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.draw()
		}
	}
}

func formatRate(bps float64) string {
	switch {
	case bps >= 1e6:
		return fmt.Sprintf("%.1f Mbit/s", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.0f kbit/s", bps/1e3)
	}
	return fmt.Sprintf("%.0f bit/s", bps)
}
