package control

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// deadlineRecorder is a ResponseWriter that takes read deadlines, as the
// listener's connections do, and records them.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.deadlines = append(d.deadlines, t)
	return nil
}

// TestReadBodySetsNoDeadline: ReadBody leaves the read deadline to the
// listener (http.bodyTimeout), so a longer configured timeout is not cut
// short, and still refuses a body over MaxBodyBytes.
func TestReadBodySetsNoDeadline(t *testing.T) {
	w := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/channels", strings.NewReader(`{"id":"a"}`))
	body, err := ReadBody(w, r)
	if err != nil || string(body) != `{"id":"a"}` {
		t.Errorf("ReadBody = %q, %v; want the body", body, err)
	}
	if len(w.deadlines) != 0 {
		t.Errorf("ReadBody set read deadlines %v, want none", w.deadlines)
	}

	r = httptest.NewRequest(http.MethodPost, "/channels", strings.NewReader(strings.Repeat("x", MaxBodyBytes+1)))
	_, err = ReadBody(w, r)
	var tooBig *http.MaxBytesError
	if !errors.As(err, &tooBig) {
		t.Errorf("ReadBody of %d bytes: got %v, want *http.MaxBytesError", MaxBodyBytes+1, err)
	}
}
