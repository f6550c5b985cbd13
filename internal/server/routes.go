package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"boxcar/internal/configstore"
	"boxcar/internal/control"
)

// routes registers every route of the listener.
func (s *Server) routes(mux *http.ServeMux, cs configstore.Store, opts Options) error {
	api, err := control.New(control.Options{
		Config:   s.cfg,
		Store:    cs,
		Logger:   s.log,
		Registry: s.registry,
		Clock:    s.clock,
	})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, api.Close)
	api.Register(mux)

	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
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
	return nil
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
