package reqmetrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/testutil"
)

func TestNamesAndLabels(t *testing.T) {
	m := New(Options{Component: "ingest", Labels: []string{"channel", "ingest_endpoint"}, DurationLabels: []string{"channel"},
		RequestsHelp: "r", DurationHelp: "d", BytesHelp: "b"})
	reg := prometheus.NewRegistry()
	if err := m.Register(reg); err != nil {
		t.Fatal(err)
	}
	m.Observe([]string{"ch1", "ep1"}, 201, time.Second, 100)
	m.Observe([]string{"ch1", "ep1"}, 404, time.Second, 0)
	b := m.Bind("ch1", "ep2")
	b.Observe(503, 2*time.Second, 7)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"boxcar_ingest_requests_total", map[string]string{"ingest_endpoint": "ep1", "code_class": "2xx"}, 1},
		{"boxcar_ingest_requests_total", map[string]string{"ingest_endpoint": "ep1", "code_class": "4xx"}, 1},
		{"boxcar_ingest_requests_total", map[string]string{"ingest_endpoint": "ep2", "code_class": "5xx"}, 1},
		{"boxcar_ingest_bytes_total", map[string]string{"ingest_endpoint": "ep1"}, 100},
		{"boxcar_ingest_bytes_total", map[string]string{"ingest_endpoint": "ep2"}, 7},
		{"boxcar_ingest_request_duration_seconds", map[string]string{"channel": "ch1"}, 3},
	} {
		if got := testutil.Metric(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v: got %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	m.Forget("ch1", "ep2")
	if n := testutil.Metric(t, reg, "boxcar_ingest_bytes_total", map[string]string{"ingest_endpoint": "ep2"}); n != 0 {
		t.Errorf("forgotten series still counts %v", n)
	}
}

func TestNoBytes(t *testing.T) {
	m := New(Options{Component: "api", Labels: []string{"operation"}, RequestsHelp: "r", DurationHelp: "d"})
	if m.Bytes != nil || len(m.Collectors()) != 2 {
		t.Fatalf("bytes counter without BytesHelp")
	}
	m.Observe([]string{"ListChannels"}, 200, time.Millisecond, 10) // no panic
	m.Bind("x").Observe(200, 0, 10)
}

func TestCodeClass(t *testing.T) {
	for code, want := range map[int]string{0: "2xx", 200: "2xx", 204: "2xx", 304: "3xx", 404: "4xx", 499: "4xx", 500: "5xx", 503: "5xx"} {
		if got := CodeClass(code); got != want {
			t.Errorf("CodeClass(%d) = %s, want %s", code, got, want)
		}
	}
}

func TestDurationLabelsMustBePrefix(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for duration labels that are not a prefix")
		}
	}()
	New(Options{Component: "x", Labels: []string{"a", "b"}, DurationLabels: []string{"b"}})
}

// BenchmarkObserve counts one request by label values, as ingest and the
// APIs do.
func BenchmarkObserve(b *testing.B) {
	m := New(Options{Component: "ingest", Labels: []string{"channel", "ingest_endpoint"}, DurationLabels: []string{"channel"},
		RequestsHelp: "r", DurationHelp: "d", BytesHelp: "b"})
	ch, ep := "ch1", "ep1"
	b.ReportAllocs()
	for b.Loop() {
		m.Observe([]string{ch, ep}, 201, time.Millisecond, 1000)
	}
}

// BenchmarkObserveByHand is what Observe replaces, for comparison.
func BenchmarkObserveByHand(b *testing.B) {
	m := New(Options{Component: "ingest", Labels: []string{"channel", "ingest_endpoint"}, DurationLabels: []string{"channel"},
		RequestsHelp: "r", DurationHelp: "d", BytesHelp: "b"})
	ch, ep := "ch1", "ep1"
	b.ReportAllocs()
	for b.Loop() {
		m.Requests.WithLabelValues(ch, ep, CodeClass(201)).Inc()
		m.Duration.WithLabelValues(ch).Observe(time.Millisecond.Seconds())
		m.Bytes.WithLabelValues(ch, ep).Add(1000)
	}
}
