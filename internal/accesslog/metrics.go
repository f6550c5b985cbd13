package accesslog

import "github.com/prometheus/client_golang/prometheus"

// metrics count what the access log lost. Labels are bounded: reason is
// buffer_full or write_error.
type metrics struct {
	writeErrors  prometheus.Counter
	dropped      *prometheus.CounterVec
	droppedFull  prometheus.Counter
	droppedWrite prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxcar_access_log_write_errors_total",
			Help: "Failed writes to the access log (log.accessLog): a full disk, a closed pipe.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_access_log_dropped_lines_total",
			Help: "Access-log lines lost: buffer_full (the destination could not keep up), write_error (a failed write).",
		}, []string{"reason"}),
	}
	m.droppedFull = m.dropped.WithLabelValues("buffer_full")
	m.droppedWrite = m.dropped.WithLabelValues("write_error")
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.writeErrors, m.dropped} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
