package secrets

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Secrets Manager API's Prometheus metrics. Labels are
// bounded: operation is one of the implemented operations or Unknown,
// code_class one of 2xx, 4xx, 5xx.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, operations []string) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_secrets_requests_total",
			Help: "Secrets Manager API requests by operation and status class.",
		}, []string{"operation", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxcar_secrets_request_duration_seconds",
			Help:    "Secrets Manager API request duration by operation, including authentication, encryption and the config store.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
	}
	// Children exist from the start, so dashboards see zeros.
	for _, op := range append(operations, "Unknown") {
		m.duration.WithLabelValues(op)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("secrets: metrics already registered (one API per registry): %w", err)
			}
			return nil, fmt.Errorf("secrets: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(operation string, status int, d time.Duration) {
	m.requests.WithLabelValues(operation, fmt.Sprintf("%dxx", status/100)).Inc()
	m.duration.WithLabelValues(operation).Observe(d.Seconds())
}
