package server

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a connection is refused or an accept fails, the reason label
// values.
const (
	reasonMaxConns      = "max_conns"
	reasonMaxConnsPerIP = "max_conns_per_ip"
	reasonFDExhausted   = "fd_exhausted" // EMFILE, ENFILE
	reasonNoMemory      = "no_memory"    // ENOBUFS, ENOMEM
	reasonOther         = "other"
)

// metrics are the listener's metrics: what clients hold and what the
// limits turned away. Labels are bounded (reason only).
type metrics struct {
	refused      *prometheus.CounterVec
	evicted      *prometheus.CounterVec
	acceptErrors *prometheus.CounterVec
	unreadBody   prometheus.Counter
	metricsAuth  prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_http_connections_refused_total",
			Help: "Connections answered 503 and closed at once because http.maxConns (max_conns) or http.maxConnsPerIP (max_conns_per_ip) was reached.",
		}, []string{"reason"}),
		evicted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_http_connections_evicted_total",
			Help: "Connections closed to make room for a new one at a cap (max_conns, max_conns_per_ip): the oldest that had sent no request yet, or sat idle between requests, for at least http.evictWaitingAfter.",
		}, []string{"reason"}),
		acceptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_http_accept_errors_total",
			Help: "Failed accepts on the listener: fd_exhausted (too many open files: raise ulimit -n or lower http.maxConns), no_memory, other.",
		}, []string{"reason"}),
		unreadBody: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxcar_http_unread_body_closes_total",
			Help: "Responses sent with Connection: close because the handler did not read the request body to its end (refusals before the body, clients withholding a body).",
		}),
		metricsAuth: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxcar_http_metrics_auth_failures_total",
			Help: "Requests for /metrics refused for missing or wrong credentials.",
		}),
	}
}

// register adds the metrics, and gauges of the listener's open
// connections and effective cap, to r.
func (m *metrics) register(r prometheus.Registerer, l *limitListener) error {
	for _, c := range []prometheus.Collector{
		m.refused, m.evicted, m.acceptErrors, m.unreadBody, m.metricsAuth,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "boxcar_http_connections",
			Help: "Open client connections on the listener.",
		}, func() float64 { return float64(l.openConns()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "boxcar_http_connections_limit",
			Help: "The cap on open connections: http.maxConns, lowered to fit the file descriptor limit.",
		}, func() float64 { return float64(l.max) }),
	} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
