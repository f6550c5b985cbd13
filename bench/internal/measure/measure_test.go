package measure

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		ps   []int
		want []time.Duration
	}{
		{"empty", nil, []int{50, 99}, ms(0, 0)},
		{"one", ms(7), []int{0, 50, 100}, ms(7, 7, 7)},
		{"unsorted", ms(4, 1, 3, 2), []int{0, 50, 99, 100}, ms(1, 3, 4, 4)},
		{"hundred", ms(hundred()...), []int{1, 50, 99, 100}, ms(2, 51, 100, 100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentiles(tc.in, tc.ps...); !slices.Equal(got, tc.want) {
				t.Errorf("Percentiles(%v, %v) = %v, want %v", tc.in, tc.ps, got, tc.want)
			}
		})
	}
}

// hundred is 100, 99, …, 1.
func hundred() []int {
	v := make([]int, 100)
	for i := range v {
		v[i] = 100 - i
	}
	return v
}

func TestSampleProc(t *testing.T) {
	if got := SampleProc(0); got != (Proc{}) {
		t.Errorf("SampleProc(0) = %+v, want zero", got)
	}
	if _, err := os.Stat("/proc/self/status"); errors.Is(err, os.ErrNotExist) {
		t.Skip("no /proc")
	}
	got := SampleProc(os.Getpid())
	if got.RSSKiB <= 0 || got.Threads <= 0 || got.FDs <= 0 {
		t.Errorf("SampleProc(self) = %+v, want every field above 0", got)
	}
}

func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("body"))
	}))
	defer srv.Close()
	ctx := context.Background()
	if got, err := Get(ctx, srv.Client(), srv.URL+"/ok"); err != nil || string(got) != "body" {
		t.Errorf("Get(/ok) = %q, %v, want %q, nil", got, err, "body")
	}
	if got, err := Get(ctx, srv.Client(), srv.URL+"/missing"); err == nil || got != nil {
		t.Errorf("Get(/missing) = %q, %v, want nil and an error", got, err)
	}
}
