package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestUncleanAPIPathsAreNotRedirected: paths ServeMux would redirect to
// their clean form ("//", ".", "..") get the API's JSON not-found answer
// at once, before anything is authenticated, instead of a redirect; the
// operations routes keep net/http's plain answers.
func TestUncleanAPIPathsAreNotRedirected(t *testing.T) {
	o := startOrigin(t, t.TempDir(), nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"//channels", "/channels//x", "/channels/../tags", "/./channels", "/origin_endpoints/./x/"} {
		req, _ := http.NewRequest(http.MethodGet, o.url+p, nil)
		req.URL.Opaque = p // send the path as written
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-amzn-ErrorType") != "NotFoundException" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("Location") != "" {
			t.Errorf("GET %s: %d, x-amzn-ErrorType %q, Content-Type %q, Location %q; want a JSON NotFoundException and no redirect",
				p, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("Content-Type"), resp.Header.Get("Location"))
		}
	}
	if code, _, _ := get(t, o.url+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
}
