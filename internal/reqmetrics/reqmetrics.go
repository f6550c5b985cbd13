// Package reqmetrics is the request metrics every HTTP component of Boxcar
// keeps, under one naming scheme: boxcar_<component>_requests_total (by
// status code class), boxcar_<component>_request_duration_seconds and,
// where bodies are counted, boxcar_<component>_bytes_total.
package reqmetrics

import (
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options describe one component's request metrics.
type Options struct {
	// Component names the metrics: boxcar_<Component>_requests_total.
	Component string
	// Labels label the requests and bytes counters (code_class is added
	// to requests); keep them bounded.
	Labels []string
	// DurationLabels label the duration histogram: the first of Labels
	// (all of them when nil).
	DurationLabels []string
	Buckets        []float64
	// Help texts; BytesHelp "" keeps no bytes counter.
	RequestsHelp, DurationHelp, BytesHelp string
}

// Metrics are one component's request metrics. Register Collectors with
// a registry. Safe for concurrent use.
type Metrics struct {
	Requests *prometheus.CounterVec   // Labels and code_class
	Duration *prometheus.HistogramVec // DurationLabels
	Bytes    *prometheus.CounterVec   // Labels; nil without BytesHelp
	nDur     int
}

// New makes the metrics. DurationLabels must be a prefix of Labels.
func New(o Options) *Metrics {
	if o.DurationLabels == nil {
		o.DurationLabels = o.Labels
	}
	if len(o.DurationLabels) > len(o.Labels) || !slices.Equal(o.DurationLabels, o.Labels[:len(o.DurationLabels)]) {
		panic(fmt.Sprintf("reqmetrics: duration labels %q are not a prefix of %q", o.DurationLabels, o.Labels))
	}
	prefix := "boxcar_" + o.Component + "_"
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "requests_total",
			Help: o.RequestsHelp,
		}, append(slices.Clip(o.Labels), "code_class")),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    prefix + "request_duration_seconds",
			Help:    o.DurationHelp,
			Buckets: o.Buckets,
		}, o.DurationLabels),
		nDur: len(o.DurationLabels),
	}
	if o.BytesHelp != "" {
		m.Bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "bytes_total",
			Help: o.BytesHelp,
		}, o.Labels)
	}
	return m
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	cs := []prometheus.Collector{m.Requests, m.Duration}
	if m.Bytes != nil {
		cs = append(cs, m.Bytes)
	}
	return cs
}

// Register registers the metrics with r.
func (m *Metrics) Register(r prometheus.Registerer) error {
	for _, c := range m.Collectors() {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Observe counts one request with its status code, duration and body
// bytes (ignored without a bytes counter) under labels.
func (m *Metrics) Observe(labels []string, code int, d time.Duration, bytes int64) {
	var lv [4]string // on the stack for up to 3 labels
	m.Requests.WithLabelValues(append(append(lv[:0], labels...), CodeClass(code))...).Inc()
	m.Duration.WithLabelValues(labels[:m.nDur]...).Observe(d.Seconds())
	if bytes > 0 && m.Bytes != nil {
		m.Bytes.WithLabelValues(labels...).Add(float64(bytes))
	}
}

// Bound are the metric children of one label set, looked up once so a
// hot path does no label lookups.
type Bound struct {
	requests [len(codeClasses)]prometheus.Counter
	duration prometheus.Observer
	bytes    prometheus.Counter
}

// Bind looks up the children of labels.
func (m *Metrics) Bind(labels ...string) *Bound {
	b := &Bound{duration: m.Duration.WithLabelValues(labels[:m.nDur]...)}
	if m.Bytes != nil {
		b.bytes = m.Bytes.WithLabelValues(labels...)
	}
	for i, c := range codeClasses {
		b.requests[i] = m.Requests.WithLabelValues(append(slices.Clip(labels), c)...)
	}
	return b
}

// Observe counts one request, like Metrics.Observe.
func (b *Bound) Observe(code int, d time.Duration, bytes int64) {
	b.requests[codeClassIndex(code)].Inc()
	if bytes > 0 && b.bytes != nil {
		b.bytes.Add(float64(bytes))
	}
	b.duration.Observe(d.Seconds())
}

// Forget drops the series of labels (a deleted endpoint).
func (m *Metrics) Forget(labels ...string) {
	if m.Bytes != nil {
		m.Bytes.DeleteLabelValues(labels...)
	}
	m.Duration.DeleteLabelValues(labels[:m.nDur]...)
	for _, c := range codeClasses {
		m.Requests.DeleteLabelValues(append(slices.Clip(labels), c)...)
	}
}

// codeClasses are the code_class label values, indexed by codeClassIndex.
var codeClasses = [...]string{"2xx", "3xx", "4xx", "5xx"}

func codeClassIndex(code int) int {
	switch {
	case code >= 500:
		return 3
	case code >= 400:
		return 2
	case code >= 300:
		return 1
	}
	return 0
}

// CodeClass is the code_class label value of an HTTP status: 2xx (also
// for anything below 300), 3xx, 4xx or 5xx.
func CodeClass(code int) string { return codeClasses[codeClassIndex(code)] }
