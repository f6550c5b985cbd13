package live

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the timeline's Prometheus metrics. Per-channel gauges are
// collected at scrape time from the timelines, so deleted channels vanish.
type metrics struct {
	m         *Manager
	switches  *prometheus.CounterVec
	publishes *prometheus.CounterVec
	drops     *prometheus.CounterVec
	errors    *prometheus.CounterVec
	orphans   prometheus.Counter

	activeDesc   *prometheus.Desc
	ageDesc      *prometheus.Desc
	bytesDesc    *prometheus.Desc
	segmentsDesc *prometheus.Desc
}

func newMetrics(m *Manager) *metrics {
	return &metrics{
		m: m,
		switches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_input_switches_total",
			Help: "Switches of a channel's active ingest input.",
		}, []string{"channel"}),
		publishes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_timeline_segments_total",
			Help: "Segments published on a channel's timeline.",
		}, []string{"channel"}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_ingest_segments_skipped_total",
			Help: "Ingest segments not placed on the timeline, by reason (duplicate, late, standby).",
		}, []string{"channel", "reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxcar_timeline_errors_total",
			Help: "Failed timeline operations, by op: commit (timeline index), delete (media store), replay and fallback (placing held segments).",
		}, []string{"channel", "op"}),
		orphans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxcar_timeline_orphans_removed_total",
			Help: "Media objects no timeline listed (left by a crash between writing and indexing) removed from the store.",
		}),
		activeDesc: prometheus.NewDesc("boxcar_active_input",
			"The ingest input (1 or 2) feeding the channel; 0 before any delivered.", []string{"channel"}, nil),
		ageDesc: prometheus.NewDesc("boxcar_last_fragment_age_seconds",
			"Seconds since the track's newest fragment arrived.", []string{"channel", "track", "rendition", "kind"}, nil),
		bytesDesc: prometheus.NewDesc("boxcar_channel_media_bytes",
			"Bytes of media the channel's window holds in the store.", []string{"channel"}, nil),
		segmentsDesc: prometheus.NewDesc("boxcar_timeline_window_segments",
			"Segments in the channel's published window.", []string{"channel"}, nil),
	}
}

func (x *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{x.switches, x.publishes, x.drops, x.errors, x.orphans, x} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (x *metrics) switched(ch string)         { x.switches.WithLabelValues(ch).Inc() }
func (x *metrics) published(ch string, n int) { x.publishes.WithLabelValues(ch).Add(float64(n)) }
func (x *metrics) dropped(ch, reason string)  { x.drops.WithLabelValues(ch, reason).Inc() }
func (x *metrics) failed(ch, op string)       { x.errors.WithLabelValues(ch, op).Inc() }
func (x *metrics) forget(ch string) {
	x.switches.DeleteLabelValues(ch)
	x.publishes.DeleteLabelValues(ch)
	x.drops.DeletePartialMatch(prometheus.Labels{"channel": ch})
	x.errors.DeletePartialMatch(prometheus.Labels{"channel": ch})
}

// Describe implements prometheus.Collector.
func (x *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- x.activeDesc
	ch <- x.ageDesc
	ch <- x.bytesDesc
	ch <- x.segmentsDesc
}

// Collect implements prometheus.Collector.
func (x *metrics) Collect(ch chan<- prometheus.Metric) {
	now := x.m.clock.Now()
	for _, t := range x.m.timelines() {
		t.mu.Lock()
		ch <- prometheus.MustNewConstMetric(x.activeDesc, prometheus.GaugeValue, float64(t.c.st.Active), t.id)
		ch <- prometheus.MustNewConstMetric(x.bytesDesc, prometheus.GaugeValue, float64(t.c.bytes), t.id)
		ch <- prometheus.MustNewConstMetric(x.segmentsDesc, prometheus.GaugeValue, float64(len(t.c.segs)), t.id)
		for _, tr := range t.c.tracks {
			if at, ok := t.c.lastFrag[tr.ID]; ok {
				ch <- prometheus.MustNewConstMetric(x.ageDesc, prometheus.GaugeValue, now.Sub(at).Seconds(),
					t.id, strconv.Itoa(tr.ID), tr.Rendition, tr.Kind.String())
			}
		}
		t.mu.Unlock()
	}
}
