package egress

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

var pathSeeds = []string{
	"/out/v1/hls1/index.m3u8",
	"/out/v1/cmaf1/abc/index.m3u8",
	"/out/v1/hls1/index_1_34.ts",
	"/out/v1/hls1",
	"/out/v1/hls1/",
	"/out/v1//index.m3u8",
	"/out/v1/hls1/a/../b",
	"/out/v1/hls1/a%2fb",
	"/out/v1/hls1/a//b",
	"/out/v1/mss1/index.ism/Manifest",
	"/out/v2/x/y",
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in       string
		id, rest string
		ok       bool
	}{
		{"/out/v1/hls1/index.m3u8", "hls1", "index.m3u8", true},
		{"/out/v1/cmaf1/abc/index.m3u8", "cmaf1", "abc/index.m3u8", true},
		{"/out/v1/e_1-2/x~y.ts", "e_1-2", "x~y.ts", true},
		{"/out/v1/hls1", "", "", false},
		{"/out/v1/hls1/", "", "", false},
		{"/out/v1//index.m3u8", "", "", false},
		{"/out/v1/hls1/a/../b", "", "", false},
		{"/out/v1/hls1/./b", "", "", false},
		{"/out/v1/hls1/a//b", "", "", false},
		{"/out/v1/hls1/a/", "", "", false},
		{"/out/v1/hls1/a%2fb", "", "", false},
		{"/out/v1/hl.s1/a", "", "", false},
		{"/out/v1/hls1/" + strings.Repeat("a/", maxDepth) + "b", "hls1", strings.Repeat("a/", maxDepth) + "b", true},
		{"/out/v1/hls1/" + strings.Repeat("a/", maxDepth+1) + "b", "", "", false},
		{"/out/v1/" + strings.Repeat("x", maxIDLen+1) + "/a", "", "", false},
		{"/out/v1/hls1/" + strings.Repeat("x", maxElemLen+1), "", "", false},
	}
	for _, tt := range tests {
		id, rest, ok := splitPath(tt.in)
		if id != tt.id || rest != tt.rest || ok != tt.ok {
			t.Errorf("splitPath(%q) = %q, %q, %v; want %q, %q, %v", tt.in, id, rest, ok, tt.id, tt.rest, tt.ok)
		}
	}
}

func FuzzSplitPath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		id, rest, ok := splitPath(p)
		if !ok {
			return
		}
		if Prefix+id+"/"+rest != p {
			t.Fatalf("splitPath(%q) = %q, %q does not rebuild the path", p, id, rest)
		}
		if !validID(id) || !validName(rest) {
			t.Fatalf("splitPath(%q) accepted an invalid id or name", p)
		}
		for _, e := range strings.Split(rest, "/") {
			if e == "" || e == "." || e == ".." {
				t.Fatalf("splitPath(%q) accepted element %q", p, e)
			}
		}
		if strings.ContainsAny(rest, "%?#\\") {
			t.Fatalf("splitPath(%q) accepted a special character", p)
		}
	})
}

var querySeeds = []string{
	"", "m=1588607409", "start=2026-01-01T00:00:00Z&end=2026-01-01T00:10:00Z",
	"aws.manifestfilter=video_height:1-720", "a=%zz", "a=%4", "a=%41", "a;b", "a=1&&b=2", "=x", "a+b=c+d", "%",
}

func FuzzValidQuery(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > maxQueryLen {
			return
		}
		_, err := url.ParseQuery(q)
		if got, want := validQuery(q), err == nil; got != want {
			t.Fatalf("validQuery(%q) = %v, url.ParseQuery error %v", q, got, err)
		}
	})
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in         string
		size       int64
		start, end int64
		ok, unsat  bool
	}{
		{"bytes=0-99", 1000, 0, 99, true, false},
		{"bytes=0-", 1000, 0, 999, true, false},
		{"Bytes= 5 - 9 ", 1000, 5, 9, true, false},
		{"bytes=-100", 1000, 900, 999, true, false},
		{"bytes=-5000", 1000, 0, 999, true, false},
		{"bytes=990-2000", 1000, 990, 999, true, false},
		{"bytes=1000-", 1000, 0, 0, false, true},
		{"bytes=1000-1001", 1000, 0, 0, false, true},
		{"bytes=-0", 1000, 0, 0, false, true},
		{"bytes=0-", 0, 0, 0, false, true},
		{"bytes=-5", 0, 0, 0, false, true},
		{"bytes=5-1", 1000, 0, 0, false, false},
		{"bytes=0-1,3-4", 1000, 0, 0, false, false},
		{"bytes=a-b", 1000, 0, 0, false, false},
		{"bytes=-", 1000, 0, 0, false, false},
		{"bytes=1", 1000, 0, 0, false, false},
		{"items=0-1", 1000, 0, 0, false, false},
		{"bytes=99999999999999999999999-", 1000, 0, 0, false, true},
		{"bytes=0-99999999999999999999999", 1000, 0, 999, true, false},
	}
	for _, tt := range tests {
		start, end, ok, unsat := parseRange(tt.in, tt.size)
		if start != tt.start || end != tt.end || ok != tt.ok || unsat != tt.unsat {
			t.Errorf("parseRange(%q, %d) = %d, %d, %v, %v; want %d, %d, %v, %v",
				tt.in, tt.size, start, end, ok, unsat, tt.start, tt.end, tt.ok, tt.unsat)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-99", "bytes=-100", "bytes=1000-", "bytes=5-1", "bytes=0-1,3-4", "bytes= 5 - 9 "} {
		f.Add(s, int64(1000))
	}
	f.Fuzz(func(t *testing.T, s string, size int64) {
		if size < 0 {
			return
		}
		start, end, ok, unsat := parseRange(s, size)
		if ok && unsat {
			t.Fatal("both ok and unsatisfiable")
		}
		if ok && !(0 <= start && start <= end && end < size) {
			t.Fatalf("parseRange(%q, %d) = [%d, %d] outside the body", s, size, start, end)
		}
	})
}

func FuzzHeaderLists(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0", "*;q=0.000, gzip", `"a", W/"b"`, "*", `"unterminated`, "W/", ", ,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		acceptsGzip([]string{s})
		etagListMatch(s, `"abc"`)
		if etagListMatch(s, `"abc"`) && !strings.Contains(s, `"abc"`) && !strings.Contains(s, "*") {
			t.Fatalf("etagListMatch(%q) matched without the tag or *", s)
		}
	})
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, want string // want "" = error
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{" 192.0.2.7 ", "192.0.2.7/32"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:10.0.0.1", "10.0.0.1/32"},
		{"::ffff:0.0.0.0/80", ""},
		{"fe80::1%eth0", "fe80::1/128"},
		{"not-a-cidr", ""},
		{"10.0.0.0/33", ""},
		{"", ""},
	}
	for _, tt := range tests {
		p, err := parsePrefix(tt.in)
		got := ""
		if err == nil {
			got = p.String()
		}
		if got != tt.want {
			t.Errorf("parsePrefix(%q) = %q (err %v), want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzServeHTTP throws arbitrary paths, queries and request headers at
// the handler: it must answer every one with a status it documents and
// never panic.
func FuzzServeHTTP(f *testing.F) {
	fx := newFixture(f, nil)
	fx.h.log = slog.New(slog.DiscardHandler)
	for _, p := range pathSeeds {
		f.Add(p, "", "", "", "")
	}
	f.Add("/out/v1/hls1/index_1_2.ts", "m=1", "bytes=0-9", `"x"`, "gzip")
	f.Add("/out/v1/hls1/index.m3u8", "start=2026-01-01T00:00:00Z&end=x", "bytes=-1", "*", "*;q=0")
	f.Add("/out/v1/auth1/index.m3u8", "a=%zz", "", "W/", "")
	f.Fuzz(func(t *testing.T, path, query, rng, inm, ae string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path, RawQuery: query},
			Header: http.Header{}, RemoteAddr: "10.0.0.1:1234", Proto: "HTTP/1.1", Host: "example.com"}
		r = r.WithContext(context.Background())
		for k, v := range map[string]string{"Range": rng, "If-None-Match": inm, "Accept-Encoding": ae} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 206, 304, 400, 403, 404, 416, 501:
		case 500:
			if !strings.Contains(path, "boom") && !strings.Contains(path, "panic") {
				t.Fatalf("GET %q ?%q: 500 %q", path, query, w.Body.String())
			}
		default:
			t.Fatalf("GET %q ?%q: unexpected status %d", path, query, w.Code)
		}
		if w.Header().Get("X-MediaPackage-Request-Id") == "" || w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("GET %q: missing request id or CORS", path)
		}
	})
}
