package push

import (
	"strings"
	"testing"

	"boxcar/internal/digest"
)

// TestDigestRFC7616 answers the example challenges of RFC 7616 §3.9.1 and
// compares the responses with the ones the RFC gives.
func TestDigestRFC7616(t *testing.T) {
	const (
		nonce  = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
		opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
		cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	)
	for _, c := range []struct {
		alg, want string
	}{
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
	} {
		t.Run(c.alg, func(t *testing.T) {
			hdr := `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=` + c.alg +
				`, nonce="` + nonce + `", opaque="` + opaque + `"`
			ch := digest.Pick(digest.ParseChallenges([]string{hdr}))
			if ch == nil {
				t.Fatalf("no usable challenge in %s", hdr)
			}
			got := newDigestSession(ch).authorization("GET", "/dir/index.html", "Mufasa", "Circle of Life", cnonce)
			for _, want := range []string{
				`username="Mufasa"`, `realm="http-auth@example.org"`, `uri="/dir/index.html"`,
				`response="` + c.want + `"`, "qop=auth", "nc=00000001", `cnonce="` + cnonce + `"`,
				`opaque="` + opaque + `"`, "algorithm=" + c.alg,
			} {
				if !strings.Contains(got, want) {
					t.Errorf("Authorization %s lacks %s", got, want)
				}
			}
		})
	}
}

// TestDigestCounts: every use of a session raises its nonce count, and a
// challenge without qop gets the RFC 2069 form without counts.
func TestDigestCounts(t *testing.T) {
	s := newDigestSession(&digest.Challenge{Scheme: "digest", Params: map[string]string{"realm": "r", "nonce": "n", "qop": "auth"}})
	for i, want := range []string{"nc=00000001", "nc=00000002", "nc=00000003"} {
		if got := s.authorization("PUT", "/a", "u", "p", "c"); !strings.Contains(got, want) {
			t.Errorf("use %d: %s lacks %s", i+1, got, want)
		}
	}
	legacy := newDigestSession(&digest.Challenge{Scheme: "digest", Params: map[string]string{"realm": "r", "nonce": "n"}})
	if got := legacy.authorization("PUT", "/a", "u", "p", "c"); strings.Contains(got, "nc=") || strings.Contains(got, "qop") {
		t.Errorf("RFC 2069 answer %s has qop or nc", got)
	}
}

func TestSplitIngestURL(t *testing.T) {
	for _, c := range []struct {
		in, base, name string
	}{
		{"http://h:8080/in/v2/ch/ep/channel", "http://h:8080/in/v2/ch/ep/", "channel"},
		{"https://abc.mediapackage.us-east-1.amazonaws.com/in/v2/0123/4567/channel", "https://abc.mediapackage.us-east-1.amazonaws.com/in/v2/0123/4567/", "channel"},
		{"http://h/in/v2/ch/ep/live.m3u8", "http://h/in/v2/ch/ep/", "live"},
		{"http://h/in/v2/ch/ep/", "http://h/in/v2/ch/ep/", "channel"},
		{"http://h", "http://h/", "channel"},
	} {
		base, name, err := splitIngestURL(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if base.String() != c.base || name != c.name {
			t.Errorf("%s: got %s + %s, want %s + %s", c.in, base, name, c.base, c.name)
		}
	}
	for _, bad := range []string{"", "ftp://h/channel", "/in/v2/ch/ep/channel", "http://user:pw@h/channel"} {
		if _, _, err := splitIngestURL(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
