package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestConnCap(t *testing.T) {
	for _, tc := range []struct {
		configured int
		fdLimit    uint64
		want       int
		lowered    bool
	}{
		{10000, 0, 10000, false},       // unknown limit
		{10000, 1 << 20, 10000, false}, // systemd's usual hard limit
		{10000, 1024, 768, true},       // a quarter kept for files
		{10000, 256, 192, true},        // the ulimit -n 256 of the report
		{100, 256, 100, false},
		{10000, 40, 8, true}, // at least 32 kept
		{10000, 20, 1, true},
		{100000, 65536, 64512, true}, // at most 1024 kept
	} {
		got, lowered := connCap(tc.configured, tc.fdLimit)
		if got != tc.want || lowered != tc.lowered {
			t.Errorf("connCap(%d, %d) = %d, %v; want %d, %v", tc.configured, tc.fdLimit, got, lowered, tc.want, tc.lowered)
		}
	}
}

// The canned 503 is a well-formed response whose Content-Length is its
// body's.
func TestRefused503(t *testing.T) {
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(refused503)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || !resp.Close || resp.ContentLength != int64(len(b)) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, close %v, length %d for %d body bytes, header %v", resp.StatusCode, resp.Close, resp.ContentLength, len(b), resp.Header)
	}
	if len(b) == 0 {
		t.Error("empty body")
	}
}

func TestAddrKey(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 1}, "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:ffff::1"), Port: 1}, "2001:db8:1:2::"},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, "invalid IP"},
	} {
		if got := addrKey(tc.addr).String(); got != tc.want {
			t.Errorf("addrKey(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestLogLimiter(t *testing.T) {
	l := logLimiter{every: 10 * time.Second}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at         time.Duration
		ok         bool
		suppressed int
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{5 * time.Second, false, 0},
		{10 * time.Second, true, 2},
		{11 * time.Second, false, 0},
		{30 * time.Second, true, 1},
	}
	for _, s := range steps {
		ok, n := l.allow(t0.Add(s.at))
		if ok != s.ok || n != s.suppressed {
			t.Errorf("at %s: allow = %v, %d; want %v, %d", s.at, ok, n, s.ok, s.suppressed)
		}
	}
}

// A connection's state and the time it began are packed into one word
// and read back as they were stored, at any time.
func TestPackState(t *testing.T) {
	times := []time.Time{
		time.Unix(0, 0),
		time.Date(2026, 12, 2, 10, 30, 0, 123456789, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, at := range times {
		for _, s := range []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateHijacked, http.StateClosed} {
			gotS, gotAt := unpackState(packState(s, at))
			if gotS != s || gotAt != at.UnixMicro() {
				t.Errorf("unpackState(packState(%v, %v)) = %v, %d; want %v, %d", s, at, gotS, gotAt, s, at.UnixMicro())
			}
		}
	}
}

// A reader never sees a state with the time of another: here every
// active state begins at an even microsecond and every idle one at an
// odd one, while a writer flips between them.
func TestLimitConnStateReadTogether(t *testing.T) {
	var c limitConn
	t0 := time.Unix(1_800_000_000, 0)
	c.setState(http.StateActive, t0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20000 {
			at := t0.Add(time.Duration(2*i) * time.Microsecond)
			c.setState(http.StateActive, at)
			c.setState(http.StateIdle, at.Add(time.Microsecond))
		}
	}()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			return
		default:
		}
		waiting, at := c.waiting()
		if odd := (at-t0.UnixMicro())%2 == 1; waiting != odd {
			t.Fatalf("read %d: waiting %v since %d µs after t0: a state paired with another's time", reads, waiting, at-t0.UnixMicro())
		}
	}
}
