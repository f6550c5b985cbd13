// Command holdconns plays many hostile clients against a running Boxcar
// origin and reports how it holds and sheds them.
//
// It opens -n connections, spread over -sources loopback addresses
// (127.1.x.y, so that a per-address cap counts them as many clients), and
// on each sends one request's headers declaring a body it never sends
// (-mode withheld), a body trickled one byte a second (-mode trickle), or
// nothing at all (-mode idle). Each connection then only reads. Meanwhile
// it samples the server's RSS and open file descriptors from
// /proc/<pid> and, with -probe, fetches a playback URL (a media playlist,
// then the last segment it lists) on a fresh connection as a normal
// player would, timing each fetch.
//
// It reports when the connections were open, how many the server
// answered and closed and how soon, the server's peak RSS and descriptor
// count, and the probe's latencies and failures.
//
// Usage (raise the client's descriptor limit first: ulimit -n 20000):
//
//	go run ./bench/holdconns -addr 127.0.0.1:8080 -pid $(pgrep -n boxcar) \
//	    -n 10000 -mode withheld -path /out/v1/x/index.m3u8 \
//	    -probe http://127.0.0.1:8080/out/v1/<id>/index.m3u8
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"boxcar/bench/internal/measure"
	"boxcar/internal/hls/playlist"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "holdconns:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "origin `host:port`")
	pid := flag.Int("pid", 0, "origin process id, for RSS and descriptors from /proc (0: not sampled)")
	n := flag.Int("n", 10000, "connections to hold open at once")
	mode := flag.String("mode", "withheld", "withheld: headers promise a body never sent; trickle: body at 1 byte/s; idle: send nothing")
	method := flag.String("method", "GET", "request method")
	path := flag.String("path", "/healthz", "request path")
	sources := flag.Int("sources", 100, "loopback source addresses to spread connections over (0: the default one)")
	dialers := flag.Int("dialers", 64, "concurrent dials")
	duration := flag.Duration("duration", 0, "keep the attack up this long: a connection the server closes is opened again at once (0: open each once)")
	wait := flag.Duration("wait", 60*time.Second, "longest wait, after the attack, for the server to close what is still open")
	probe := flag.String("probe", "", "playback `URL` (a playlist) to time meanwhile (empty: none)")
	probeEvery := flag.Duration("probe-every", 200*time.Millisecond, "probe interval")
	flag.Parse()
	switch *mode {
	case "withheld", "trickle", "idle":
	default:
		return fmt.Errorf("-mode %q: want withheld, trickle or idle", *mode)
	}
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", *method, *path, *addr)

	before := measure.SampleProc(*pid)
	fmt.Printf("server before: %s\n", procString(before))

	start := time.Now()
	since := func() time.Duration { return time.Since(start) }
	var (
		mu        sync.Mutex // guards holds, statuses, lastClose, firstErr
		holds     []time.Duration
		statuses  = map[string]int{}
		lastClose time.Duration
		firstErr  string

		opened, answered, closed, dialErrs atomic.Int64
		stopTrickle                        = make(chan struct{})
	)

	// Samples and probes run until the end.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var peak measure.Proc
	var peakMu sync.Mutex
	var probes probeStats
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		last := time.Now()
		for {
			s := measure.SampleProc(*pid)
			peakMu.Lock()
			peak.FDs, peak.RSSKiB = max(peak.FDs, s.FDs), max(peak.RSSKiB, s.RSSKiB)
			peakMu.Unlock()
			if time.Since(last) >= time.Second {
				last = time.Now()
				fmt.Printf("t=%5.1fs open=%d opened=%d answered=%d closed=%d dial_errors=%d server: %s probe: %s\n",
					since().Seconds(), opened.Load()-closed.Load(), opened.Load(), answered.Load(), closed.Load(), dialErrs.Load(), procString(s), probes.recent())
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()
	if *probe != "" {
		bg.Add(1)
		go func() {
			defer bg.Done()
			runProbe(ctx, *probe, *probeEvery, &probes)
		}()
	}

	// hold opens one connection, sends the headers and reads until the
	// server closes it.
	sem := make(chan struct{}, *dialers)
	hold := func(i int, dialled func()) bool {
		sem <- struct{}{}
		d := net.Dialer{Timeout: 10 * time.Second}
		if *sources > 0 {
			k := i%*sources + 1
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 1, byte(k>>8), byte(k))}
		}
		c, err := d.Dial("tcp", *addr)
		if err == nil && *mode != "idle" {
			if _, err = io.WriteString(c, head); err != nil {
				c.Close()
			}
		}
		<-sem
		dialled()
		if err != nil {
			dialErrs.Add(1)
			mu.Lock()
			if firstErr == "" {
				firstErr = err.Error()
			}
			mu.Unlock()
			return false
		}
		defer c.Close()
		t0 := since()
		opened.Add(1)
		if *mode == "trickle" {
			go func() {
				tk := time.NewTicker(time.Second)
				defer tk.Stop()
				for {
					select {
					case <-stopTrickle:
						return
					case <-tk.C:
						if _, err := c.Write([]byte("x")); err != nil {
							return
						}
					}
				}
			}()
		}
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		if line != "" {
			answered.Add(1)
		}
		if err == nil {
			io.Copy(io.Discard, br)
		}
		t1 := since()
		closed.Add(1)
		mu.Lock()
		holds = append(holds, t1-t0)
		if line != "" {
			statuses[statusOf(line)]++
		}
		lastClose = max(lastClose, t1)
		mu.Unlock()
		return true
	}

	var slots sync.WaitGroup
	var firstDials atomic.Int64 // slots that have dialled once
	for i := range *n {
		slots.Add(1)
		go func() {
			defer slots.Done()
			dialled := func() { firstDials.Add(1) }
			for {
				ok := hold(i, dialled)
				dialled = func() {}
				if *duration == 0 || since() >= *duration {
					return
				}
				if !ok {
					time.Sleep(10 * time.Millisecond) // no hot loop on refusals
				}
			}
		}()
	}
	for firstDials.Load() < int64(*n) {
		time.Sleep(10 * time.Millisecond)
	}
	allOpen := since()
	fmt.Printf("all %d connections opened (or failed) after %.2fs; dial errors %d\n", *n, since().Seconds(), dialErrs.Load())

	done := make(chan struct{})
	go func() { slots.Wait(); close(done) }()
	limit := *wait
	if *duration > 0 {
		limit += *duration - since()
	}
	select {
	case <-done:
	case <-time.After(limit):
	}
	end := since()
	// Keep the probe's view of the attack's whole length.
	if *duration > 0 && end < *duration {
		time.Sleep(*duration - end)
	}
	close(stopTrickle)
	cancel()
	bg.Wait()

	// Report.
	mu.Lock()
	defer mu.Unlock()
	open := opened.Load() - closed.Load()
	after := measure.SampleProc(*pid)
	fmt.Printf("\nmode %s, %s %s, %d connections at once over %d source addresses", *mode, *method, *path, *n, *sources)
	if *duration > 0 {
		fmt.Printf(", reopened as closed for %s", *duration)
	}
	fmt.Println()
	fmt.Printf("opened %d connections (first %d within %.2fs), dial errors %d", opened.Load(), *n, allOpen.Seconds(), dialErrs.Load())
	if firstErr != "" {
		fmt.Printf(" (first: %s)", firstErr)
	}
	fmt.Println()
	fmt.Printf("answers by status: %v\n", statuses)
	fmt.Printf("closed by the server: %d; still open after %.1fs: %d\n", len(holds), end.Seconds(), open)
	if len(holds) > 0 {
		q := percentiles(holds, 50, 99, 100)
		fmt.Printf("held per connection (headers sent to close): p50 %s, p99 %s, max %s\n", q[0], q[1], q[2])
		fmt.Printf("last close at %.2fs\n", lastClose.Seconds())
	}
	fmt.Printf("server peak: fds %d, RSS %d MiB; after: %s\n", peak.FDs, peak.RSSKiB>>10, procString(after))
	if *probe != "" {
		fmt.Printf("probe: %s\n", probes.summary())
	}
	return nil
}

func statusOf(line string) string {
	f := strings.Fields(line)
	if len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
		return f[1]
	}
	return "?"
}

// percentiles are measure.Percentiles of d, to the millisecond.
func percentiles(d []time.Duration, ps ...int) []time.Duration {
	q := measure.Percentiles(d, ps...)
	for i := range q {
		q[i] = q[i].Round(time.Millisecond)
	}
	return q
}

// procString is a server's open descriptors and resident memory.
func procString(p measure.Proc) string {
	if p.FDs == 0 && p.RSSKiB == 0 {
		return "-"
	}
	return fmt.Sprintf("fds=%d rss=%dMiB", p.FDs, p.RSSKiB>>10)
}

// probeStats are the timings of a normal player's fetches.
type probeStats struct {
	mu     sync.Mutex
	all    []time.Duration
	window []time.Duration
	errs   int
	werrs  int
	last   string
}

func (p *probeStats) add(d time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.errs++
		p.werrs++
		p.last = err.Error()
		return
	}
	p.all = append(p.all, d)
	p.window = append(p.window, d)
}

// recent summarizes the fetches since the last call.
func (p *probeStats) recent() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, e := p.window, p.werrs
	p.window, p.werrs = nil, 0
	if len(w) == 0 {
		return fmt.Sprintf("ok=0 errors=%d", e)
	}
	q := percentiles(w, 50, 100)
	return fmt.Sprintf("ok=%d errors=%d p50=%s max=%s", len(w), e, q[0], q[1])
}

func (p *probeStats) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("%d fetches (playlist + last segment, new connection each), %d failed", len(p.all)+p.errs, p.errs)
	if len(p.all) > 0 {
		q := percentiles(p.all, 50, 99, 100)
		s += fmt.Sprintf("; latency p50 %s, p99 %s, max %s", q[0], q[1], q[2])
	}
	if p.last != "" {
		s += "; last error: " + p.last
	}
	return s
}

// fetchChain fetches the playlist at u and then the last URI it lists,
// following a multivariant playlist to its last variant, down to a
// segment.
func fetchChain(ctx context.Context, c *http.Client, u *url.URL) error {
	for range 3 {
		b, err := measure.Get(ctx, c, u.String())
		if err != nil {
			return err
		}
		if !strings.HasSuffix(u.Path, ".m3u8") {
			return nil
		}
		last, err := lastURI(b)
		if err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		if u, err = u.Parse(last); err != nil {
			return err
		}
	}
	return nil
}

// lastURI is the last variant of a multivariant playlist or the last
// segment of a media playlist.
func lastURI(b []byte) (string, error) {
	pl, err := playlist.Parse(b)
	if err != nil {
		return "", err
	}
	switch pl := pl.(type) {
	case *playlist.Multivariant:
		if n := len(pl.Variants); n > 0 {
			return pl.Variants[n-1].URI, nil
		}
	case *playlist.Media:
		if n := len(pl.Segments); n > 0 {
			return pl.Segments[n-1].URI, nil
		}
	}
	return "", errors.New("playlist lists nothing")
}

// runProbe fetches the playlist at u and the last segment it lists,
// every interval, on a new connection each time.
func runProbe(ctx context.Context, u string, every time.Duration, st *probeStats) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	base, err := url.Parse(u)
	if err != nil {
		st.add(0, err)
		return
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		t := time.Now()
		err := fetchChain(ctx, client, base)

		if ctx.Err() != nil {
			return
		}
		st.add(time.Since(t), err)
	}
}
