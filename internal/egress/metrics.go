package egress

import (
	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/reqmetrics"
)

// metrics are the egress Prometheus metrics, named after MediaPackage's
// EgressBytes, EgressRequestCount and EgressResponseTime. Labels are
// bounded: channel and endpoint ids of configured endpoints only; requests
// that name no configured endpoint count under empty labels.
type metrics struct {
	requests  *reqmetrics.Metrics
	packaging *prometheus.HistogramVec
	cacheHit  prometheus.Counter
	cacheMiss prometheus.Counter
	evictions prometheus.Counter
	cacheReqs *prometheus.CounterVec
	// writeTimeouts counts responses cut for a stalled client.
	writeTimeouts prometheus.Counter
	collect       []prometheus.Collector
}

func newMetrics(c *cache) *metrics {
	m := &metrics{
		requests: reqmetrics.New(reqmetrics.Options{
			Component:    "egress",
			Labels:       []string{"channel", "endpoint"},
			Buckets:      []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
			RequestsHelp: "Playback requests by status code class.",
			DurationHelp: "Time to serve a playback request, body included.",
			BytesHelp:    "Response body bytes sent on playback.",
		}),
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
	m.collect = append(m.requests.Collectors(), m.packaging, m.evictions, m.cacheReqs, m.writeTimeouts,
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
	)
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

// endpointMetrics are the request metric children of one endpoint, bound
// once so the hot path does no label lookups.
type endpointMetrics = reqmetrics.Bound

func (m *metrics) forEndpoint(channel, endpoint string) *endpointMetrics {
	return m.requests.Bind(channel, endpoint)
}

// forget drops the series of a deleted endpoint.
func (m *metrics) forget(channel, endpoint string) {
	m.requests.Forget(channel, endpoint)
}
