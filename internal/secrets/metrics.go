package secrets

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/reqmetrics"
)

// metrics are the Secrets Manager API's Prometheus metrics,
// boxcar_secrets_requests_total and
// boxcar_secrets_request_duration_seconds. Labels are bounded: operation
// is one of the implemented operations or Unknown, code_class one of 2xx,
// 4xx, 5xx.
type metrics struct {
	requests *reqmetrics.Metrics
}

func newMetrics(reg prometheus.Registerer, operations []string) (*metrics, error) {
	m := &metrics{requests: reqmetrics.New(reqmetrics.Options{
		Component:    "secrets",
		Labels:       []string{"operation"},
		Buckets:      []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		RequestsHelp: "Secrets Manager API requests by operation and status class.",
		DurationHelp: "Secrets Manager API request duration by operation, including authentication, encryption and the config store.",
	})}
	// Children exist from the start, so dashboards see zeros.
	for _, op := range append(operations, "Unknown") {
		m.requests.Duration.WithLabelValues(op)
	}
	if reg == nil {
		return m, nil
	}
	if err := m.requests.Register(reg); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return nil, fmt.Errorf("secrets: metrics already registered (one API per registry): %w", err)
		}
		return nil, fmt.Errorf("secrets: register metrics: %w", err)
	}
	return m, nil
}

func (m *metrics) observe(operation string, status int, d time.Duration) {
	m.requests.Observe([]string{operation}, status, d, 0)
}
