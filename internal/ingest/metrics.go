package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/reqmetrics"
)

// Reasons an upload or a listed segment was skipped, the values of the
// reason label of boxcar_ingest_uploads_skipped_total.
const (
	reasonTruncated    = "truncated"     // client cut the body short
	reasonTooLarge     = "too_large"     // body over the named limit
	reasonTimeout      = "timeout"       // body did not arrive in time, or stalled
	reasonTooSlow      = "too_slow"      // body arrived under the minimum rate
	reasonBudget       = "budget"        // in-flight body bytes budget full
	reasonUnsupported  = "unsupported"   // neither MPEG-TS nor fMP4 (nor WebVTT)
	reasonDemux        = "demux_error"   // listed segment did not parse
	reasonMissing      = "missing"       // listed segment never arrived
	reasonNoInit       = "no_init"       // fMP4 fragment without its init
	reasonEncrypted    = "encrypted"     // encrypted input
	reasonCodecChanged = "codec_changed" // a track changed codec
	reasonNoMedia      = "no_media"      // segment without samples
	reasonExpired      = "expired"       // uploaded, never listed
	reasonEvicted      = "evicted"       // held-bytes bound reached
	reasonBusy         = "busy"          // too many concurrent requests
	reasonStore        = "store_error"   // the timeline could not store it
	reasonBadPlaylist  = "bad_playlist"  // playlist did not parse
)

// metrics are the ingest Prometheus metrics. Labels are bounded: channel
// and ingest endpoint ids only of configured channels ("" otherwise).
type metrics struct {
	inflight prometheus.GaugeFunc
	// requests are boxcar_ingest_requests_total (by channel,
	// ingest_endpoint, code_class), boxcar_ingest_bytes_total (request
	// bodies) and boxcar_ingest_request_duration_seconds (by channel).
	requests *reqmetrics.Metrics
	segments *prometheus.CounterVec
	skipped  *prometheus.CounterVec
}

func newMetrics(b *budget) *metrics {
	return &metrics{
		inflight: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "boxcar_ingest_inflight_body_bytes",
			Help: "Request body bytes held by ingest requests in progress, across channels (bounded by ingest.maxInflightBytes).",
		}, func() float64 { return float64(b.inUse()) }),
		requests: reqmetrics.New(reqmetrics.Options{
			Component:      "ingest",
			Labels:         []string{"channel", "ingest_endpoint"},
			DurationLabels: []string{"channel"},
			Buckets:        []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
			RequestsHelp:   "Ingest requests by status code class.",
			DurationHelp:   "Time to serve an ingest request, body upload included.",
			BytesHelp:      "Request body bytes received on ingest.",
		}),
		segments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_ingest_segments_total",
			Help: "Listed ingest segments handed to the timeline, by outcome (accepted, duplicate, standby, late, skipped).",
		}, []string{"channel", "outcome"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_ingest_uploads_skipped_total",
			Help: "Uploads rejected and listed segments skipped, by reason.",
		}, []string{"channel", "reason"}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range append(m.requests.Collectors(), m.inflight, m.segments, m.skipped) {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
