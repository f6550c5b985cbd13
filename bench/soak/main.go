// Command soak plays many live HLS players against a running Boxcar origin
// for a long time and reports errors, latency, throughput and the server's
// memory as it goes.
//
// Each player has its own connection (its own HTTP transport, from one of
// -sources loopback addresses, 127.2.x.y, so per-address caps see many
// clients) and does what a player does: it reloads the media playlist
// about once a target duration and fetches every segment that is new
// since the previous reload, starting three segments behind the live
// edge. Players start over -ramp. Every -report it prints requests per
// second, megabytes per second, error counts, playlist and segment
// latency percentiles, and the server's RSS, heap-independent of Go, open
// descriptors and threads from /proc/<pid>; at the end a summary whose
// last line says PASS (no error, RSS at the end within 10 % of the first
// full-load sample) or FAIL.
//
// Usage (raise the descriptor limit of both processes first, ulimit -n
// 65536, and the origin's connection cap above -players):
//
//	BOXCAR_HTTP_MAX_CONNS=20000 boxcar demo --listen 127.0.0.1:8080 &
//	go run ./bench/soak -url http://127.0.0.1:8080/out/v1/<hls>/index.m3u8 \
//	    -pid $(pgrep -n boxcar) -players 10000 -duration 10m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"boxcar/bench/internal/measure"
	"boxcar/internal/hls/playlist"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type options struct {
	url      string
	variant  string
	players  int
	duration time.Duration
	ramp     time.Duration
	report   time.Duration
	sources  int
	pid      int
	timeout  time.Duration
}

func run() error {
	var o options
	flag.StringVar(&o.url, "url", "", "multivariant or media playlist `URL` of a live HLS endpoint")
	flag.StringVar(&o.variant, "variant", "lowest", "with a multivariant playlist: play the lowest or highest bandwidth variant")
	flag.IntVar(&o.players, "players", 10000, "concurrent players")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long all players play, after the ramp")
	flag.DurationVar(&o.ramp, "ramp", time.Minute, "players start evenly over this")
	flag.DurationVar(&o.report, "report", 30*time.Second, "reporting interval")
	flag.IntVar(&o.sources, "sources", 100, "loopback source addresses 127.2.x.y to spread players over (0: the default one)")
	flag.IntVar(&o.pid, "pid", 0, "origin process id, for RSS, descriptors and threads from /proc (0: not sampled)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Second, "a request taking longer is an error")
	flag.Parse()
	if o.url == "" || o.players < 1 {
		return errors.New("usage: soak -url URL [-players N] [-duration D] [-pid PID]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	media, err := mediaPlaylistURL(ctx, o.url, o.variant)
	if err != nil {
		return err
	}
	fmt.Printf("soak: %d players of %s for %s after a %s ramp, %d source addresses\n", o.players, media, o.duration, o.ramp, max(o.sources, 1))

	st := newStats()
	end := time.Now().Add(o.ramp + o.duration)
	runCtx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	var wg sync.WaitGroup
	go func() {
		for i := range o.players {
			if o.ramp > 0 {
				select {
				case <-runCtx.Done():
					return
				case <-time.After(o.ramp / time.Duration(o.players)):
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				play(runCtx, newClient(i, o), media, st)
			}()
		}
	}()

	var samples []sample
	tick := time.NewTicker(o.report)
	defer tick.Stop()
	start := time.Now()
	// A sample counts as full load when its whole interval came after
	// the ramp.
	loaded := start.Add(o.ramp + o.report)
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case <-tick.C:
			s := st.take(o.pid, time.Since(start), !time.Now().Before(loaded))
			samples = append(samples, s)
			fmt.Println(s)
		}
	}
	wg.Wait()
	return summarize(samples, st, o)
}

// mediaPlaylistURL returns u when it is a media playlist, else the chosen
// variant of the multivariant playlist u.
func mediaPlaylistURL(ctx context.Context, u, variant string) (string, error) {
	body, err := measure.Get(ctx, http.DefaultClient, u)
	if err != nil {
		return "", err
	}
	pl, err := playlist.Parse(body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", u, err)
	}
	mv, ok := pl.(*playlist.Multivariant)
	if !ok {
		return u, nil
	}
	var best *playlist.Variant
	for i, v := range mv.Variants {
		if best == nil || variant == "lowest" && v.Bandwidth < best.Bandwidth || variant == "highest" && v.Bandwidth > best.Bandwidth {
			best = &mv.Variants[i]
		}
	}
	if best == nil {
		return "", fmt.Errorf("%s lists no variant", u)
	}
	base, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(best.URI)
	if err != nil {
		return "", err
	}
	return base.ResolveReference(ref).String(), nil
}

// newClient returns player i's client: one connection, kept alive, from
// its own source address.
func newClient(i int, o options) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if o.sources > 0 {
		k := i % o.sources
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 2, byte(k/250), byte(1+k%250))}
	}
	return &http.Client{
		Timeout: o.timeout,
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// play is one player: reload, fetch what is new, wait about a target
// duration, until ctx ends.
func play(ctx context.Context, c *http.Client, media string, st *stats) {
	base, _ := url.Parse(media)
	var last uint64
	started := false
	for ctx.Err() == nil {
		t0 := time.Now()
		body, err := measure.Get(ctx, c, media)
		if ctx.Err() != nil {
			return
		}
		var pl *playlist.Media
		if err == nil {
			pl, err = parseMedia(body)
		}
		st.done(kindPlaylist, time.Since(t0), len(body), err)
		wait := 2 * time.Second
		if err == nil {
			if pl.TargetDuration > 0 {
				wait = time.Duration(pl.TargetDuration) * time.Second
			}
			for i, s := range pl.Segments {
				seq := s.Sequence
				if !started && i < len(pl.Segments)-3 || started && seq <= last {
					continue
				}
				ref, err := url.Parse(s.URI)
				if err != nil {
					st.done(kindSegment, 0, 0, err)
					continue
				}
				t1 := time.Now()
				seg, err := measure.Get(ctx, c, base.ResolveReference(ref).String())
				if ctx.Err() != nil {
					return
				}
				st.done(kindSegment, time.Since(t1), len(seg), err)
				last, started = seq, true
			}
		}
		// Players reload about once a target duration, not in step.
		jitter := time.Duration(float64(wait) * (0.9 + 0.2*rand.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(jitter - time.Since(t0)):
		}
	}
}

// parseMedia parses a media playlist; a multivariant one is an error.
func parseMedia(b []byte) (*playlist.Media, error) {
	pl, err := playlist.Parse(b)
	if err != nil {
		return nil, err
	}
	m, ok := pl.(*playlist.Media)
	if !ok {
		return nil, errors.New("playlist: a multivariant playlist where a media playlist was expected")
	}
	return m, nil
}

const (
	kindPlaylist = iota
	kindSegment
	kinds
)

var kindNames = [kinds]string{"playlist", "segment"}

// stats accumulates what the players saw since the last take.
type stats struct {
	mu       sync.Mutex
	lat      [kinds][]time.Duration
	reqs     [kinds]int
	errs     [kinds]int
	bytes    int64
	errLog   map[string]int
	totalReq atomic.Int64
	totalErr atomic.Int64
	last     time.Time
}

func newStats() *stats { return &stats{errLog: map[string]int{}, last: time.Now()} }

func (s *stats) done(kind int, d time.Duration, n int, err error) {
	s.totalReq.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs[kind]++
	s.bytes += int64(n)
	if err != nil {
		s.totalErr.Add(1)
		s.errs[kind]++
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 && len(s.errLog) > 20 {
			msg = msg[i+2:]
		}
		s.errLog[msg]++
		return
	}
	if len(s.lat[kind]) < 1<<20 {
		s.lat[kind] = append(s.lat[kind], d)
	}
}

// sample is one reporting interval.
type sample struct {
	at        time.Duration
	loaded    bool
	rps, mbps float64
	reqs      [kinds]int
	errs      [kinds]int
	p50, p99  [kinds]time.Duration
	rss       int64 // KiB
	fds       int
	threads   int
}

func (s sample) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%7s  %7.0f req/s %6.1f MB/s", s.at.Round(time.Second), s.rps, s.mbps)
	for k := range kinds {
		fmt.Fprintf(&b, "  %s %d err %d p50 %s p99 %s", kindNames[k], s.reqs[k], s.errs[k],
			s.p50[k].Round(100*time.Microsecond), s.p99[k].Round(100*time.Microsecond))
	}
	if s.rss > 0 {
		fmt.Fprintf(&b, "  server rss %d MiB fds %d threads %d", s.rss/1024, s.fds, s.threads)
	}
	return b.String()
}

func (s *stats) take(pid int, at time.Duration, loaded bool) sample {
	s.mu.Lock()
	now := time.Now()
	dt := now.Sub(s.last).Seconds()
	out := sample{at: at, loaded: loaded, reqs: s.reqs, errs: s.errs}
	total := 0
	for k := range kinds {
		total += s.reqs[k]
		l := s.lat[k]
		q := measure.Percentiles(l, 50, 99)
		out.p50[k], out.p99[k] = q[0], q[1]
		s.lat[k] = l[:0]
	}
	out.rps = float64(total) / dt
	out.mbps = float64(s.bytes) / dt / 1e6
	s.reqs, s.errs, s.bytes, s.last = [kinds]int{}, [kinds]int{}, 0, now
	s.mu.Unlock()
	p := measure.SampleProc(pid)
	out.rss, out.fds, out.threads = p.RSSKiB, p.FDs, p.Threads
	return out
}

func summarize(samples []sample, st *stats, o options) error {
	var loaded []sample
	for _, s := range samples {
		if s.loaded {
			loaded = append(loaded, s)
		}
	}
	fmt.Printf("\nsoak: %d requests, %d errors\n", st.totalReq.Load(), st.totalErr.Load())
	keys := make([]string, 0, len(st.errLog))
	for k := range st.errLog {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("  %6d × %s\n", st.errLog[k], k)
	}
	pass := st.totalErr.Load() == 0
	if len(loaded) >= 2 && loaded[0].rss > 0 {
		first, final := loaded[0].rss, loaded[len(loaded)-1].rss
		peak := first
		for _, s := range loaded {
			peak = max(peak, s.rss)
		}
		growth := float64(final-first) / float64(first)
		fmt.Printf("server RSS under full load: first %d MiB, peak %d MiB, last %d MiB (%+.1f %%)\n",
			first/1024, peak/1024, final/1024, 100*growth)
		if growth > 0.10 {
			pass = false
		}
	}
	if pass {
		fmt.Println("PASS")
		return nil
	}
	fmt.Println("FAIL")
	return errors.New("errors or memory growth under load")
}
