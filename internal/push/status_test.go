package push

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestStatusLines(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, terminal := range []bool{false, true} {
		var out bytes.Buffer
		s := newStatus(&out, terminal, time.Second)
		s.now = func() time.Time { return now }
		s.rateSince = now
		ok := upload{method: "PUT", name: "channel_1_1.ts", bytes: 250_000, status: 201, latency: 12 * time.Millisecond}
		refused := func(name string) upload {
			return upload{method: "PUT", name: name, bytes: 100, status: 401, latency: time.Millisecond,
				err: &StatusError{Method: "PUT", Name: name, Status: 401, Message: "wrong credentials"}}
		}
		s.record(ok)
		s.segment(2 * time.Second)
		now = now.Add(2 * time.Second)
		s.draw()
		s.record(refused("channel_1_2.ts"))
		s.record(refused("channel_1_3.ts")) // counted, not printed
		s.record(refused("channel_1_4.ts"))
		now = now.Add(errorRepeatWindow)
		s.record(refused("channel_1_5.ts")) // printed again with the count
		refusedConn := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
		s.record(upload{method: "PUT", name: "channel_1_6.ts", err: fmt.Errorf("PUT channel_1_6.ts: %w", refusedConn)})
		s.record(upload{method: "PUT", name: "channel_2_6.ts", err: fmt.Errorf("PUT channel_2_6.ts: %w", refusedConn)}) // counted
		s.draw()
		s.finish()
		got := out.String()
		for _, want := range []string{
			"push: 1 segments (2s of media), 1.0 Mbit/s, 1 uploads, last 201 in 12ms, 0 errors",
			"push: PUT channel_1_2.ts: 401 Unauthorized: wrong credentials\n",
			"push: PUT channel_1_5.ts: 401 Unauthorized: wrong credentials (2 more like it)\n",
			"push: PUT channel_1_6.ts: dial tcp 127.0.0.1:1: connect: connection refused\n",
			"7 uploads, last 401 in 1ms, 6 errors (1 more like the last)",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("terminal %v: output lacks %q:\n%s", terminal, want, got)
			}
		}
		if strings.Contains(got, "channel_1_3.ts") || strings.Contains(got, "channel_2_6.ts") {
			t.Errorf("terminal %v: a repeated error was printed:\n%s", terminal, got)
		}
		if terminal != strings.Contains(got, "\r") {
			t.Errorf("terminal %v: carriage returns %v:\n%q", terminal, !terminal, got)
		}
	}
}
