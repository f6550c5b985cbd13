package digest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// paramCases are auth-param lists and what they parse to (nil: they do
// not parse); FuzzParseParams is seeded from them.
var paramCases = []struct {
	in   string
	want map[string]string
}{
	{``, map[string]string{}},
	{`realm="r"`, map[string]string{"realm": "r"}},
	{`Realm=r,NONCE=n`, map[string]string{"realm": "r", "nonce": "n"}},
	{` , ,realm = "a, b" ,, qop=auth`, map[string]string{"realm": "a, b", "qop": "auth"}},
	{`username="a\"b\\c"`, map[string]string{"username": `a"b\c`}},
	{`x=""`, map[string]string{"x": ""}},
	{`x=`, map[string]string{"x": ""}},
	{`qop="auth, auth-int", stale=true`, map[string]string{"qop": "auth, auth-int", "stale": "true"}},
	{`x="unterminated`, nil},
	{`x="ends in backslash\`, nil},
	{`=value`, nil},
	{`novalue`, nil},
	{`a=b, a=c`, nil},                                  // a name twice
	{`A=b, a=c`, nil},                                  // names are case-insensitive
	{`bad name=x`, nil},                                // not a token
	{`na"me=x`, nil},                                   // not a token
	{`a(b)=x`, nil},                                    // not a token
	{"n\u00e9=x", nil},                                 // not a token
	{`a=b c=d`, map[string]string{"a": "b", "c": "d"}}, // a token value ends at whitespace
	{`a="b"c=d`, map[string]string{"a": "b", "c": "d"}},
}

func TestParseParams(t *testing.T) {
	for _, c := range paramCases {
		got, ok := ParseParams(c.in)
		if ok != (c.want != nil) {
			t.Errorf("ParseParams(%q): ok %v, want %v", c.in, ok, c.want != nil)
			continue
		}
		if diff := cmp.Diff(c.want, got); ok && diff != "" {
			t.Errorf("ParseParams(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

// render writes p back as an auth-param list of quoted strings.
func render(p map[string]string) string {
	var b strings.Builder
	for name, val := range p {
		fmt.Fprintf(&b, "%s=%s, ", name, Quote(val))
	}
	return b.String()
}

// FuzzParseParams: any input parses or is refused without a panic, and
// what parses parses again, to the same map, from its rendering.
func FuzzParseParams(f *testing.F) {
	for _, c := range paramCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParseParams(s)
		if !ok {
			return
		}
		q, ok := ParseParams(render(p))
		if !ok {
			t.Fatalf("%q parsed to %q, whose rendering %q does not parse", s, p, render(p))
		}
		if diff := cmp.Diff(p, q); diff != "" {
			t.Fatalf("%q: rendered and parsed again (-first +second):\n%s", s, diff)
		}
	})
}

// TestRFC7616Example computes the responses of RFC 7616 §3.9.1 and
// renders the Authorization header.
func TestRFC7616Example(t *testing.T) {
	const (
		nonce  = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
		opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
		cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	)
	for _, c := range []struct{ alg, want string }{
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
	} {
		t.Run(c.alg, func(t *testing.T) {
			alg, ok := ParseAlgorithm(c.alg)
			if !ok {
				t.Fatalf("algorithm %s not known", c.alg)
			}
			cr := Credentials{Username: "Mufasa", Realm: "http-auth@example.org", Nonce: nonce, URI: "/dir/index.html",
				Algorithm: c.alg, QOP: "auth", NC: "00000001", CNonce: cnonce, Opaque: opaque}
			if cr.Response = cr.Digest(alg, "GET", "Circle of Life"); cr.Response != c.want {
				t.Errorf("response: got %s, want %s", cr.Response, c.want)
			}
			want := `Digest username="Mufasa", realm="http-auth@example.org", nonce="` + nonce + `", uri="/dir/index.html", algorithm=` + c.alg +
				`, response="` + c.want + `", qop=auth, nc=00000001, cnonce="` + cnonce + `", opaque="` + opaque + `"`
			if got := cr.String(); got != want {
				t.Errorf("header\n got %s\nwant %s", got, want)
			}
			// The header parses back to what was rendered.
			p, ok := ParseParams(strings.TrimPrefix(cr.String(), "Digest "))
			if !ok || p["response"] != c.want || p["uri"] != cr.URI || p["nc"] != cr.NC {
				t.Errorf("header does not parse back: %v %q", ok, p)
			}
		})
	}
}

func TestParseAlgorithm(t *testing.T) {
	for _, name := range []string{"", "md5", "MD5", "MD5-sess", "sha-256", "SHA-256-SESS"} {
		if _, ok := ParseAlgorithm(name); !ok {
			t.Errorf("ParseAlgorithm(%q) not known", name)
		}
	}
	for _, name := range []string{"SHA-512-256", "SHA256", "md5 "} {
		if _, ok := ParseAlgorithm(name); ok {
			t.Errorf("ParseAlgorithm(%q) known", name)
		}
	}
}

// TestChallengeRoundTrip: a server's challenge is parsed and picked by a
// client, and the stale flag survives.
func TestChallengeRoundTrip(t *testing.T) {
	hs := []string{
		ChallengeHeader("boxcar", "SHA-256", "n1", "op", true),
		ChallengeHeader("boxcar", "MD5", "n1", "op", false),
		`Basic realm="boxcar", charset="UTF-8"`,
	}
	if want := `Digest realm="boxcar", qop="auth", algorithm=SHA-256, nonce="n1", opaque="op", stale=true`; hs[0] != want {
		t.Errorf("challenge\n got %s\nwant %s", hs[0], want)
	}
	cs := ParseChallenges(hs)
	if len(cs) != 3 || cs[2].Scheme != "basic" {
		t.Fatalf("parsed %d challenges: %+v", len(cs), cs)
	}
	c := Pick(cs)
	if c == nil || c.Params["algorithm"] != "SHA-256" || c.Params["stale"] != "true" || c.Params["nonce"] != "n1" {
		t.Errorf("picked %+v", c)
	}
}

func TestPick(t *testing.T) {
	for _, c := range []struct {
		name    string
		headers []string
		want    string // algorithm picked, "none" for none
	}{
		{"prefers SHA-256", []string{`Digest realm="r", qop="auth", algorithm=MD5, nonce="a"`, `Digest realm="r", qop="auth", algorithm=SHA-256, nonce="b"`, `Basic realm="r"`}, "SHA-256"},
		{"MD5 by default", []string{`Digest realm="r", qop="auth", nonce="a"`}, ""},
		{"auth-int only", []string{`Digest realm="r", qop="auth-int", algorithm=MD5, nonce="a"`}, "none"},
		{"unknown algorithm", []string{`Digest realm="r", qop="auth", algorithm=SHA-512-256, nonce="a"`}, "none"},
		{"Basic only", []string{`Basic realm="r"`}, "none"},
		{"legacy without qop", []string{`Digest realm="r", nonce="a", algorithm=MD5`}, "MD5"},
		{"malformed skipped", []string{`Digest realm="r", realm="s", algorithm=SHA-256, nonce="a"`, `Digest algorithm=MD5, nonce="b"`}, "MD5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := Pick(ParseChallenges(c.headers))
			got := "none"
			if ch != nil {
				got = ch.Params["algorithm"]
			}
			if got != c.want {
				t.Errorf("picked algorithm %q, want %q", got, c.want)
			}
		})
	}
}
