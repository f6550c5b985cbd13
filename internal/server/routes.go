package server

import (
	"context"
	"net/http"
	"path"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"boxcar/internal/accesslog"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/control"
	"boxcar/internal/dash"
	"boxcar/internal/egress"
	"boxcar/internal/hls"
	"boxcar/internal/ingest"
	"boxcar/internal/live"
	"boxcar/internal/secrets"
	"boxcar/internal/store"
)

// components are what the routes serve from.
type components struct {
	config    configstore.Store
	media     store.Store
	timelines *live.Manager
	access    *accesslog.Log // JSON access log of ingest and playback; nil for none
}

// routes registers every route of the listener.
func (s *Server) routes(mux *http.ServeMux, c components) error {
	vault, api, err := s.controlRoutes(mux, c)
	if err != nil {
		return err
	}
	if err := s.ingestRoutes(mux, c, api); err != nil {
		return err
	}
	out, err := egress.New(egress.Options{
		Endpoints: c.config,
		Timelines: c.timelines,
		Media:     c.media,
		HLS:       hls.New(),
		DASH:      dash.New(),
		Config:    s.cfg.Egress,
		Secrets:   vault,
		WriteWait: s.cfg.HTTP.WriteTimeout,
		PublicURL: s.cfg.PublicURL,
		Clock:     s.clock,
		Logger:    s.log,
		Registry:  s.registry,
		AccessLog: c.access,
	})
	if err != nil {
		return err
	}
	s.egress = out
	s.operationsRoutes(mux)
	return nil
}

// controlRoutes registers the MediaPackage and Secrets Manager APIs.
func (s *Server) controlRoutes(mux *http.ServeMux, c components) (*secrets.Vault, *control.API, error) {
	vault, err := secrets.Open(context.Background(), secrets.Options{Store: c.config, Config: s.cfg, Clock: s.clock, Logger: s.log})
	if err != nil {
		return nil, nil, err
	}
	s.runners = append(s.runners, vault.Run)
	api, err := control.New(control.Options{
		Config:   s.cfg,
		Store:    c.config,
		Secrets:  vault,
		Logger:   s.log,
		Registry: s.registry,
		Clock:    s.clock,
		ChannelDeleted: func(ctx context.Context, id string) {
			if err := c.timelines.DeleteChannel(ctx, id); err != nil {
				s.log.Error("delete channel media", "channel", id, "err", err)
			}
		},
	})
	if err != nil {
		return nil, nil, err
	}
	s.closers = append(s.closers, api.Close)
	api.Register(mux)
	s.unknownAPI = api.Unknown()
	sm, err := secrets.NewAPI(secrets.APIOptions{Vault: vault, Auth: api, Logger: s.log, Registry: s.registry})
	if err != nil {
		return nil, nil, err
	}
	sm.Register(mux)
	return vault, api, nil
}

// ingestRoutes builds the ingest handler (dispatch serves it) and
// registers its status route behind the API's authentication.
func (s *Server) ingestRoutes(mux *http.ServeMux, c components, api *control.API) error {
	in, err := ingest.New(ingest.Options{
		Channels:  c.config,
		Timelines: c.timelines,
		Config:    s.cfg.Ingest,
		Clock:     s.clock,
		Logger:    s.log,
		Registry:  s.registry,
		AccessLog: c.access,
	})
	if err != nil {
		return err
	}
	s.runners = append(s.runners, in.Run)
	s.ingest = in
	mux.Handle("GET /boxcar/v1/channels/{id}/ingest_status", api.Protect(config.RoleReadOnly, in.Status()))
	return nil
}

// operationsRoutes registers /metrics, the health checks and /time.
func (s *Server) operationsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /metrics", protectMetrics(s.cfg.Metrics, promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}), s.metrics))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		select {
		case <-s.ready:
			w.Write([]byte("ready\n"))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("starting\n"))
		}
	})
	mux.HandleFunc("GET /time", s.serveTime)
	mux.HandleFunc("HEAD /time", s.serveTime)
}

// dispatch sends ingest and playback requests to their handlers as they
// came, and everything else through the mux. ServeMux would answer a path
// with ".." or "//" with a redirect; ingest answers those with a clear 400
// and playback with 404 themselves.
func (s *Server) dispatch(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, ingest.Prefix):
			s.ingest.ServeHTTP(w, r)
		case strings.HasPrefix(p, egress.Prefix):
			s.egress.ServeHTTP(w, r)
		case unclean(p):
			// ServeMux would redirect it to the clean path before
			// any route sees it; no operation lives at such a path.
			s.unknownAPI.ServeHTTP(w, r)
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// unclean reports whether ServeMux would redirect p to a cleaned path:
// "//", "." or ".." elements (a trailing slash is kept).
func unclean(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c != p
}

// serveTime is the UTC time source for DASH UTCTiming: an xs:dateTime with
// milliseconds (HTTP-ISO/HTTP-XSDATE) in the body and the Date header
// (HTTP-HEAD).
func (s *Server) serveTime(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now().UTC()
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Date")
	h.Set("Date", now.Format(http.TimeFormat))
	if r.Method == http.MethodHead {
		return
	}
	w.Write([]byte(now.Format("2006-01-02T15:04:05.000Z")))
}
