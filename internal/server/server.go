// Package server is Boxcar's composition root: it builds every component
// from the configuration, owns the listener and every goroutine, and drains
// cleanly on shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"boxcar/internal/accesslog"
	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/store"
)

// Options are the parts of a server that do not come from the
// configuration.
type Options struct {
	Version   string
	LogOutput io.Writer   // process log; default os.Stderr
	Clock     clock.Clock // default the real clock
	// Routes, when set, adds routes to the listener's mux after Boxcar's
	// own (the demo's page and status). It must not register a pattern
	// Boxcar already serves.
	Routes func(mux *http.ServeMux)
	// Listener, when set, is served instead of a listener on
	// cfg.Listen (tests inject accept failures with it). Run closes it.
	Listener net.Listener
}

// Server is a running Boxcar process.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	registry *prometheus.Registry
	clock    clock.Clock
	listener net.Listener
	http     *http.Server
	closers  []func() error
	runners  []func(context.Context) error
	ready    chan struct{}
	ingest   http.Handler
	egress   http.Handler
	// unknownAPI answers paths ServeMux would redirect (control.API.Unknown).
	unknownAPI http.Handler
	metrics    *metrics // the listener's
}

// New builds every component and opens the listener. The caller must call
// Run, which also releases everything New opened.
func New(cfg config.Config, opts Options) (_ *Server, err error) {
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	s := &Server{cfg: cfg, clock: opts.Clock, registry: prometheus.NewRegistry(), ready: make(chan struct{})}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	s.log = newLogger(cfg.Log, opts.LogOutput)
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	limited, err := s.listen(opts.Listener)
	if err != nil {
		return nil, err
	}
	c, err := s.openStores()
	if err != nil {
		return nil, err
	}
	if c.access, err = s.openAccessLog(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	if err := s.routes(mux, c); err != nil {
		return nil, err
	}
	if opts.Routes != nil {
		opts.Routes(mux)
	}
	s.http = &http.Server{
		Handler:           guardBodies(s.dispatch(mux), cfg.HTTP.BodyTimeout, s.metrics),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(httpErrorLog{s.log}, "", 0),
		ConnState:         limited.connStateHook(),
	}
	return s, nil
}

// listen opens the listener (or takes ln) under the connection caps,
// registers its metrics and resolves the public URL's port.
func (s *Server) listen(ln net.Listener) (*limitListener, error) {
	cfg := s.cfg
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return nil, fmt.Errorf("server: listen on %s: %w", cfg.Listen, err)
		}
	}
	s.metrics = newMetrics()
	fds := fdLimit()
	maxConns, lowered := connCap(cfg.HTTP.MaxConns, fds)
	if lowered {
		s.log.Warn("http.maxConns lowered to leave file descriptors for files; raise the limit (ulimit -n, systemd LimitNOFILE=) to allow more connections",
			"configured", cfg.HTTP.MaxConns, "max_conns", maxConns, "fd_limit", fds)
	}
	limited := newLimitListener(ln, maxConns, cfg.HTTP.MaxConnsPerIP, cfg.HTTP.EvictWaitingAfter, s.log, s.metrics)
	s.closers = append(s.closers, func() error { limited.Close(); return nil })
	s.listener = limited
	if err := s.metrics.register(s.registry, limited); err != nil {
		return nil, fmt.Errorf("server: register metrics: %w", err)
	}
	s.cfg.PublicURL = resolvePublicURL(cfg.PublicURL, ln.Addr())
	return limited, nil
}

// openStores opens the config store, the media store and the live
// timelines under the data directory.
func (s *Server) openStores() (components, error) {
	cfg := s.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return components{}, fmt.Errorf("server: create data dir: %w", err)
	}
	cs, err := configstore.OpenBolt(filepath.Join(cfg.DataDir, "config.db"))
	if err != nil {
		return components{}, err
	}
	s.closers = append(s.closers, cs.Close)

	files, err := store.NewFile(cfg.DataDir)
	if err != nil {
		return components{}, err
	}
	media := store.NewCached(files, cfg.Storage.MemoryBytes)
	ret := newRetention(cs, cfg.Storage.RetentionMargin, cfg.Storage.DefaultRetention)
	timelines, err := live.Open(context.Background(), live.Options{
		DataDir:        cfg.DataDir,
		Store:          media,
		Clock:          s.clock,
		Logger:         s.log,
		Registry:       s.registry,
		FailoverFactor: cfg.Ingest.FailoverFactor,
		Retention:      ret.For,
		SweepInterval:  cfg.Storage.SweepInterval,
	})
	if err != nil {
		return components{}, err
	}
	s.closers = append(s.closers, timelines.Close)
	s.runners = append(s.runners, timelines.Run)
	return components{config: cs, media: media, timelines: timelines}, nil
}

// resolvePublicURL replaces a port of 0 (an ephemeral listener) with the
// port actually bound.
func resolvePublicURL(public string, addr net.Addr) string {
	u, err := url.Parse(public)
	if err != nil || u.Port() != "0" {
		return public
	}
	_, port, _ := net.SplitHostPort(addr.String())
	u.Host = net.JoinHostPort(u.Hostname(), port)
	return u.String()
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// PublicURL is the base URL the server advertises.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }

// Registry is the server's metrics registry.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Run serves until ctx ends, then lets in-flight requests finish (bounded
// by the shutdown timeout), stops every component and closes the stores.
func (s *Server) Run(ctx context.Context) error {
	defer s.close()
	if s.cfg.Auth.InsecureNoAuth {
		s.log.Warn("API AUTHENTICATION IS OFF (--insecure-no-auth): anyone who can reach this port can change channels and endpoints; use only on a local machine")
	}
	s.log.Info("boxcar listening", "addr", s.listener.Addr().String(), "public_url", s.cfg.PublicURL, "data_dir", s.cfg.DataDir)

	g, gctx := errgroup.WithContext(ctx)
	compCtx, stopComponents := context.WithCancel(context.Background())
	defer stopComponents()
	for _, r := range s.runners {
		g.Go(func() error {
			err := r(compCtx)
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		close(s.ready)
		if err := s.http.Serve(s.listener); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("server: serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		s.log.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		err := s.http.Shutdown(sctx)
		if err != nil {
			s.http.Close()
		}
		stopComponents()
		return nil
	})
	err := g.Wait()
	s.log.Info("stopped")
	return err
}

// Ready is closed once the server accepts requests.
func (s *Server) Ready() <-chan struct{} { return s.ready }

func (s *Server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			s.log.Error("close", "err", err)
		}
	}
	s.closers = nil
}

// openAccessLog opens the JSON access log of ingest and playback named by
// the configuration: "" for none, "-" for standard output, else a file
// appended to. Its Run buffers lines while the server runs; it stops
// with the other components, after the last request, and writes what is
// left before the file is closed.
func (s *Server) openAccessLog() (*accesslog.Log, error) {
	name := s.cfg.Log.AccessLog
	var f *os.File
	switch name {
	case "":
		return nil, nil
	case "-":
		f, name = os.Stdout, "stdout"
	default:
		var err error
		if f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640); err != nil {
			return nil, fmt.Errorf("server: open access log: %w", err)
		}
	}
	s.closers = append(s.closers, f.Close)
	l, err := accesslog.New(f, accesslog.Options{Clock: s.clock, Logger: s.log, Registry: s.registry, Name: name})
	if err != nil {
		return nil, fmt.Errorf("server: access log: %w", err)
	}
	s.runners = append(s.runners, l.Run)
	return l, nil
}

// httpErrorLog receives net/http's own log lines. Most are about clients
// (a malformed request, a TLS handshake cut short) and stay at DEBUG; a
// failed accept or a handler's panic is a server problem and goes to
// ERROR. Accepts failing for lack of file descriptors never get here:
// limitListener logs and retries them.
type httpErrorLog struct{ log *slog.Logger }

func (e httpErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimRight(string(p), "\n")
	level := slog.LevelDebug
	if strings.HasPrefix(msg, "http: Accept error") || strings.HasPrefix(msg, "http: panic serving") {
		level = slog.LevelError
	}
	e.log.Log(context.Background(), level, msg)
	return len(p), nil
}

func newLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
