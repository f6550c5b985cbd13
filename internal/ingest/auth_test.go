package ingest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/digest"
)

func isOK(code int) bool { return code == http.StatusCreated || code == http.StatusNoContent }

func TestDigest(t *testing.T) {
	for _, alg := range []string{"SHA-256", "MD5"} {
		t.Run(alg, func(t *testing.T) {
			fc := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			e := newEnv(t, envOptions{clock: fc})
			d := &digestClient{user: "user1", pass: "pass1", alg: alg}

			// No credentials: 401 with both Digest challenges and Basic.
			req, _ := http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("no credentials: got %d, want 401", resp.StatusCode)
			}
			var schemes []string
			for _, v := range resp.Header.Values("WWW-Authenticate") {
				s, _, _ := strings.Cut(v, " ")
				if s == "Digest" {
					p, _ := digest.ParseParams(v[len("Digest "):])
					s += " " + p["algorithm"]
				}
				schemes = append(schemes, s)
			}
			if got, want := strings.Join(schemes, ","), "Digest SHA-256,Digest MD5,Basic"; got != want {
				t.Fatalf("challenges: got %s, want %s", got, want)
			}
			if d.challenge(t, resp) {
				t.Fatal("first challenge is stale")
			}

			// Answered challenge, nonce counts 1, 2, 3.
			for i := 0; i < 3; i++ {
				req, _ := http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
				d.authorize(req)
				if code, msg := e.do(req); !isOK(code) {
					t.Fatalf("digest request %d: got %d %q, want 201/204", i+1, code, msg)
				}
			}

			// Replays: the same and a lower nonce count are refused.
			for _, nc := range []int{3, 2} {
				req, _ := http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
				d.authorizeNC(req, nc)
				if code, _ := e.do(req); code != http.StatusUnauthorized {
					t.Fatalf("replayed nc=%d: got %d, want 401", nc, code)
				}
			}
			// A higher count still works.
			req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
			d.authorizeNC(req, 4)
			if code, msg := e.do(req); !isOK(code) {
				t.Fatalf("nc=4: got %d %q", code, msg)
			}

			// A response for another URI is refused.
			req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "other.ts"), nil)
			d.nc = 10
			d.authorize(req)
			req.URL.Path = strings.Replace(req.URL.Path, "other.ts", "probe.ts", 1)
			if code, _ := e.do(req); code != http.StatusUnauthorized {
				t.Fatalf("uri mismatch: got %d, want 401", code)
			}

			// Wrong password: 401, not stale.
			bad := &digestClient{user: "user1", pass: "nope", alg: alg, realm: d.realm, nonce: d.nonce, opaque: d.opaque, nc: 20}
			req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
			bad.authorize(req)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || staleIn(resp) {
				t.Fatalf("wrong password: got %d stale=%v, want 401 not stale", resp.StatusCode, staleIn(resp))
			}

			// The nonce expires: right credentials get stale=true, and the
			// fresh nonce works.
			fc.Advance(nonceLifetime + time.Second)
			req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
			d.authorize(req)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("expired nonce: got %d, want 401", resp.StatusCode)
			}
			if !d.challenge(t, resp) {
				t.Fatal("expired nonce: challenge not stale=true")
			}
			req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
			d.authorize(req)
			if code, msg := e.do(req); !isOK(code) {
				t.Fatalf("fresh nonce: got %d %q", code, msg)
			}

			// The other endpoint's credentials do not open this one.
			other := &digestClient{user: "user2", pass: "pass2", alg: alg, realm: d.realm, nonce: d.nonce, opaque: d.opaque, nc: 30}
			req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
			other.authorize(req)
			if code, _ := e.do(req); code != http.StatusUnauthorized {
				t.Fatalf("endpoint 2 credentials on endpoint 1: got %d, want 401", code)
			}
		})
	}
}

func staleIn(resp *http.Response) bool {
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.Contains(v, "stale=true") {
			return true
		}
	}
	return false
}

func TestBasicAndRotation(t *testing.T) {
	e := newEnv(t, envOptions{})
	send := func(ep, user, pass string) int {
		req, _ := http.NewRequest(http.MethodPut, e.url(ep, "probe.ts"), nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		code, _ := e.do(req)
		return code
	}
	tests := []struct {
		name       string
		ep, u, p   string
		rotateTo   string
		wantStatus int
	}{
		{name: "basic ok", ep: "ep1", u: "user1", p: "pass1", wantStatus: http.StatusCreated},
		{name: "second endpoint ok", ep: "ep2", u: "user2", p: "pass2", wantStatus: http.StatusCreated},
		{name: "wrong password", ep: "ep1", u: "user1", p: "pass2", wantStatus: http.StatusUnauthorized},
		{name: "wrong user", ep: "ep1", u: "user2", p: "pass1", wantStatus: http.StatusUnauthorized},
		{name: "other endpoint's credentials", ep: "ep2", u: "user1", p: "pass1", wantStatus: http.StatusUnauthorized},
		{name: "none", ep: "ep1", wantStatus: http.StatusUnauthorized},
		{name: "old password after rotation", ep: "ep1", u: "user1", p: "pass1", rotateTo: "rotated", wantStatus: http.StatusUnauthorized},
		{name: "new password after rotation", ep: "ep1", u: "user1", p: "rotated", wantStatus: http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rotateTo != "" {
				e.channels.setPassword("ch1", 0, tc.rotateTo)
			}
			if got := send(tc.ep, tc.u, tc.p); got != tc.wantStatus {
				t.Fatalf("got %d, want %d", got, tc.wantStatus)
			}
		})
	}

	// Digest follows the rotation too.
	d := &digestClient{user: "user1", pass: "rotated", alg: "SHA-256"}
	req, _ := http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d.challenge(t, resp)
	req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
	d.authorize(req)
	if code, msg := e.do(req); !isOK(code) {
		t.Fatalf("digest with rotated password: got %d %q", code, msg)
	}
	e.channels.setPassword("ch1", 0, "again")
	req, _ = http.NewRequest(http.MethodPut, e.url("ep1", "probe.ts"), nil)
	d.authorize(req)
	if code, _ := e.do(req); code != http.StatusUnauthorized {
		t.Fatalf("digest with the password rotated away: got %d, want 401", code)
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, envOptions{cfg: testIngestConfig()})
	tests := []struct {
		name   string
		method string
		path   string // raw, after the server URL
		want   int
	}{
		{"unknown channel", http.MethodPut, Prefix + "nope/ep1/a.ts", http.StatusUnauthorized},
		{"unknown endpoint", http.MethodPut, Prefix + "ch1/nope/a.ts", http.StatusUnauthorized},
		{"dot dot", http.MethodPut, Prefix + "ch1/ep1/../ep2/a.ts", http.StatusBadRequest},
		{"escaped dot dot", http.MethodPut, Prefix + "ch1/ep1/%2e%2e/a.ts", http.StatusBadRequest},
		{"escaped slash", http.MethodPut, Prefix + "ch1/ep1/a%2fb.ts", http.StatusBadRequest},
		{"empty element", http.MethodPut, Prefix + "ch1/ep1/a//b.ts", http.StatusBadRequest},
		{"no name", http.MethodPut, Prefix + "ch1/ep1/", http.StatusBadRequest},
		{"odd character", http.MethodPut, Prefix + "ch1/ep1/a$b.ts", http.StatusBadRequest},
		{"space", http.MethodPut, Prefix + "ch1/ep1/a%20b.ts", http.StatusBadRequest},
		{"GET", http.MethodGet, Prefix + "ch1/ep1/a.ts", http.StatusMethodNotAllowed},
		{"subdirectory ok", http.MethodPut, Prefix + "ch1/ep1/v0/a.ts", http.StatusCreated},
		{"delete ok", http.MethodDelete, Prefix + "ch1/ep1/a.ts", http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.srv.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = "//" + req.URL.Host + tc.path
			req.SetBasicAuth("user1", "pass1")
			if code, msg := e.do(req); code != tc.want {
				t.Fatalf("got %d %q, want %d", code, msg, tc.want)
			}
		})
	}
}
