package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/reqmetrics"
)

// metrics are the control plane's Prometheus metrics,
// boxcar_api_requests_total and boxcar_api_request_duration_seconds.
// Labels are bounded: operation is one of the 19 operation names (or
// Unknown, CORSPreflight), code_class one of 2xx, 4xx, 5xx.
type metrics struct {
	requests *reqmetrics.Metrics
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{requests: reqmetrics.New(reqmetrics.Options{
		Component:    "api",
		Labels:       []string{"operation"},
		Buckets:      []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		RequestsHelp: "Control-plane API requests by operation and status class.",
		DurationHelp: "Control-plane API request duration by operation, including authentication and the config store.",
	})}
	if err := m.requests.Register(reg); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return nil, fmt.Errorf("control: metrics already registered (one API per registry): %w", err)
		}
		return nil, fmt.Errorf("control: register metrics: %w", err)
	}
	return m, nil
}

func (m *metrics) observe(operation string, status int, d time.Duration) {
	m.requests.Observe([]string{operation}, status, d, 0)
}
