// Package measure is what the load tools under bench/ use to watch the
// origin: its process as /proc shows it, its answers to plain GETs, and
// percentiles of the timings they collect.
package measure

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Proc is what /proc/<pid> says of a process.
type Proc struct {
	RSSKiB  int64 // VmRSS
	Threads int
	FDs     int // open file descriptors
}

// SampleProc reads /proc/<pid>/status and /proc/<pid>/fd. A pid of 0, or
// a field /proc does not give, leaves the field 0.
func SampleProc(pid int) Proc {
	var p Proc
	if pid == 0 {
		return p
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		p.FDs = len(ents)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			p.RSSKiB, _ = strconv.ParseInt(f[1], 10, 64)
		case "Threads:":
			p.Threads, _ = strconv.Atoi(f[1])
		}
	}
	return p
}

// Percentiles sorts d in place and returns its p-th percentile for each
// p in ps (100 is the maximum); all zero when d is empty.
func Percentiles(d []time.Duration, ps ...int) []time.Duration {
	out := make([]time.Duration, len(ps))
	if len(d) == 0 {
		return out
	}
	slices.Sort(d)
	for i, p := range ps {
		out[i] = d[min(len(d)*p/100, len(d)-1)]
	}
	return out
}

// Get fetches u with c and returns the whole body; an answer other than
// 200 OK is an error.
func Get(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return body, nil
}
