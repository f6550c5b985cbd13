package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the control plane's Prometheus metrics. Labels are bounded:
// operation is one of the 19 operation names (or Unknown, CORSPreflight),
// code_class one of 2xx, 4xx, 5xx.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_api_requests_total",
			Help: "Control-plane API requests by operation and status class.",
		}, []string{"operation", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxcar_api_request_duration_seconds",
			Help:    "Control-plane API request duration by operation, including authentication and the config store.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("control: metrics already registered (one API per registry): %w", err)
			}
			return nil, fmt.Errorf("control: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(operation string, status int, d time.Duration) {
	m.requests.WithLabelValues(operation, fmt.Sprintf("%dxx", status/100)).Inc()
	m.duration.WithLabelValues(operation).Observe(d.Seconds())
}
