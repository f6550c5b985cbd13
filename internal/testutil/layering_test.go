package testutil

import (
	"fmt"
	"strings"
	"testing"
)

// errRecorder is a recorder (tools_test.go) that also keeps every Errorf.
type errRecorder struct {
	recorder
	errs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// layering runs Layering on a recorder and returns its failures.
func layering(t *testing.T, pattern string, forbidden ...string) []string {
	r := &errRecorder{recorder: recorder{TB: t}}
	r.run(func() { Layering(r, pattern, forbidden...) })
	if r.failed != "" {
		r.errs = append(r.errs, r.failed)
	}
	return r.errs
}

func TestLayering(t *testing.T) {
	tests := []struct {
		name      string
		pattern   string
		forbidden []string
		want      []string // substrings of the failures, in order
	}{
		{"allowed", ".", []string{"database/sql", "net/smtp", "boxcar/internal/..."}, nil},
		{"own package is never forbidden", ".", []string{"boxcar/internal/testutil"}, nil},
		{"direct import", ".", []string{"os/exec"}, []string{"boxcar/internal/testutil depends on os/exec, "}},
		{"tree", ".", []string{"github.com/google/go-cmp/..."}, []string{
			"depends on github.com/google/go-cmp/cmp,",
			"depends on github.com/google/go-cmp/cmp/internal/diff (through github.com/google/go-cmp/cmp)",
		}},
		{"no package", "./nothing/...", nil, []string{"./nothing/..."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := layering(t, tc.pattern, tc.forbidden...)
			if tc.want == nil {
				if len(errs) > 0 {
					t.Errorf("got failures %q, want none", errs)
				}
				return
			}
			for _, w := range tc.want {
				found := false
				for _, e := range errs {
					found = found || strings.Contains(e, w)
				}
				if !found {
					t.Errorf("got failures %q, want one containing %q", errs, w)
				}
			}
		})
	}
}
