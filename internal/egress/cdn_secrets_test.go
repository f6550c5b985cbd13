package egress

import (
	"strings"
	"sync"
	"testing"
)

// fakeSecrets is a CDNSecrets whose values a test changes.
type fakeSecrets struct {
	mu     sync.Mutex
	values map[string][][]byte
}

func (s *fakeSecrets) set(arn string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if values == nil {
		delete(s.values, arn)
		return
	}
	var vs [][]byte
	for _, v := range values {
		vs = append(vs, []byte(v))
	}
	s.values[arn] = vs
}

func (s *fakeSecrets) CDNIdentifiers(arn string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[arn]
}

// TestCDNSecretsSource: a secret the configuration does not list is
// resolved through Options.Secrets on every request, so a rotation or a
// deletion takes effect without the endpoint changing; configured secrets
// keep precedence.
func TestCDNSecretsSource(t *testing.T) {
	src := &fakeSecrets{values: map[string][][]byte{}}
	f := newFixture(t, func(o *Options) { o.Secrets = src })
	play := func(endpoint, id string) int {
		r := req{target: "/out/v1/" + endpoint + "/index.m3u8"}
		if id != "" {
			r.header = map[string]string{"X-MediaPackage-CDNIdentifier": id}
		}
		return f.do(r).Code
	}
	steps := []struct {
		name   string
		change func()
		want   map[string]int // identifier → status on auth2
	}{
		{"not stored", func() {}, map[string]int{"": 403, "stored-value-1": 403}},
		{"stored", func() { src.set(missingARN, "stored-value-1") }, map[string]int{"": 403, "stored-value-1": 200, "stored-value-2": 403}},
		{"rotated", func() { src.set(missingARN, "stored-value-2", "stored-value-1") }, map[string]int{"stored-value-1": 200, "stored-value-2": 200, "stored-value-0": 403}},
		{"rotated again", func() { src.set(missingARN, "stored-value-3", "stored-value-2") }, map[string]int{"stored-value-1": 403, "stored-value-3": 200}},
		{"deleted", func() { src.set(missingARN) }, map[string]int{"stored-value-3": 403, "stored-value-2": 403}},
	}
	for _, st := range steps {
		st.change()
		for id, want := range st.want {
			if got := play("auth2", id); got != want {
				t.Errorf("%s: identifier %q: %d, want %d", st.name, id, got, want)
			}
		}
	}
	// The configuration's secret wins for its ARN.
	src.set(secretARN, "from-the-store-1")
	if got := play("auth1", currentSecret); got != 200 {
		t.Errorf("configured secret with a source: %d, want 200", got)
	}
	if got := play("auth1", "from-the-store-1"); got != 403 {
		t.Errorf("stored value for a configured ARN: %d, want 403", got)
	}
	if n := strings.Count(f.logs.String(), missingARN); n != 1 {
		t.Errorf("log lines naming the unusable secret: %d, want 1\n%s", n, f.logs.String())
	}
}
