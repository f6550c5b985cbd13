package egress

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the egress Prometheus metrics, named after MediaPackage's
// EgressBytes, EgressRequestCount and EgressResponseTime. Labels are
// bounded: channel and endpoint ids of configured endpoints only; requests
// that name no configured endpoint count under empty labels.
type metrics struct {
	bytes     *prometheus.CounterVec
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	packaging *prometheus.HistogramVec
	cacheHit  prometheus.Counter
	cacheMiss prometheus.Counter
	evictions prometheus.Counter
	cacheReqs *prometheus.CounterVec
	// writeTimeouts counts responses cut for a stalled client.
	writeTimeouts prometheus.Counter
	collect       []prometheus.Collector
}

// codeClasses are the code_class label values, indexed by codeClass.
var codeClasses = [...]string{"2xx", "3xx", "4xx", "5xx"}

func codeClass(code int) int {
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

func newMetrics(c *cache) *metrics {
	m := &metrics{
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_egress_bytes_total",
			Help: "Response body bytes sent on playback.",
		}, []string{"channel", "endpoint"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_egress_requests_total",
			Help: "Playback requests by status code class.",
		}, []string{"channel", "endpoint", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxcar_egress_request_duration_seconds",
			Help:    "Time to serve a playback request, body included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"channel", "endpoint"}),
		packaging: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxcar_egress_package_duration_seconds",
			Help:    "Time a packager took to build an object the output cache did not hold, by object kind.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxcar_egress_cache_evictions_total",
			Help: "Objects evicted from the egress output cache to stay within its byte bound.",
		}),
		cacheReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_egress_cache_requests_total",
			Help: "Output cache lookups of playback requests: hit, or miss (packaged, or joined a packaging in flight).",
		}, []string{"result"}),
		writeTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxcar_egress_write_timeouts_total",
			Help: "Playback responses cut because the client did not accept the next 64 KiB within http.writeTimeout.",
		}),
	}
	m.cacheHit = m.cacheReqs.WithLabelValues("hit")
	m.cacheMiss = m.cacheReqs.WithLabelValues("miss")
	c.OnEvict(m.evictions.Inc)
	m.collect = []prometheus.Collector{m.bytes, m.requests, m.duration, m.packaging, m.evictions, m.cacheReqs, m.writeTimeouts,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "boxcar_egress_cache_bytes",
			Help: "Bytes held by the egress output cache (bodies, compressed forms and bookkeeping).",
		}, func() float64 { b, _ := c.stats(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "boxcar_egress_cache_objects",
			Help: "Objects held by the egress output cache.",
		}, func() float64 { _, n := c.stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "boxcar_egress_cache_capacity_bytes",
			Help: "The egress output cache's byte bound (egress.cacheBytes).",
		}, func() float64 { return float64(c.Max()) }),
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range m.collect {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// endpointMetrics are the metric children of one endpoint, bound once so
// the hot path does no label lookups.
type endpointMetrics struct {
	bytes    prometheus.Counter
	requests [len(codeClasses)]prometheus.Counter
	duration prometheus.Observer
}

func (m *metrics) forEndpoint(channel, endpoint string) *endpointMetrics {
	em := &endpointMetrics{
		bytes:    m.bytes.WithLabelValues(channel, endpoint),
		duration: m.duration.WithLabelValues(channel, endpoint),
	}
	for i, c := range codeClasses {
		em.requests[i] = m.requests.WithLabelValues(channel, endpoint, c)
	}
	return em
}

// forget drops the series of a deleted endpoint.
func (m *metrics) forget(channel, endpoint string) {
	m.bytes.DeleteLabelValues(channel, endpoint)
	m.duration.DeleteLabelValues(channel, endpoint)
	for _, c := range codeClasses {
		m.requests.DeleteLabelValues(channel, endpoint, c)
	}
}
