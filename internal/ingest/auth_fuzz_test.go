package ingest

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/digest"
)

// FuzzAuthorization feeds arbitrary Authorization headers to the ingest
// authenticator: none may panic or authenticate without the password, and
// every auth-param list that parses must parse again, to the same map,
// from its canonical rendering.
func FuzzAuthorization(f *testing.F) {
	a, err := newAuthenticator(time.Now)
	if err != nil {
		f.Fatal(err)
	}
	nonce := a.nonce()
	for _, s := range []string{
		"Basic dXNlcjE6cGFzczE=",
		"Basic !!!",
		fmt.Sprintf(`Digest username="user1", realm=%q, nonce=%q, uri="/in/v2/ch1/ep1/a.ts", qop=auth, nc=00000001, cnonce="x", response="00", opaque=%q, algorithm=SHA-256`, Realm, nonce, a.opaque),
		`Digest username="a\"b", realm=""`,
		`Digest ,,, a=b, a=c`,
		`Digest x="unterminated`,
		"Bearer token",
		// Hostile headers: another channel's credentials, a Digest
		// answer for another path, an unknown algorithm, a header at
		// the size bound.
		"Basic dXNlcjM6cGFzczM=",
		fmt.Sprintf(`Digest username="user1", realm=%q, nonce=%q, uri="/in/v2/nope/ep1/a.ts", qop=auth, nc=00000001, cnonce="x", response="00", opaque=%q`, Realm, nonce, a.opaque),
		fmt.Sprintf(`Digest username="user1", realm=%q, nonce=%q, uri="/in/v2/ch1/ep1/a.ts", qop=auth, nc=00000001, cnonce="x", response="00", opaque=%q, algorithm=SHA-512-256`, Realm, nonce, a.opaque),
		"Digest " + strings.Repeat("a=b, ", maxAuthHeader/5),
	} {
		f.Add(s)
	}
	ep := &configstore.IngestEndpoint{ID: "ep1", Username: "user1", Password: "a strong password nobody guesses"}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("PUT", "/in/v2/ch1/ep1/a.ts", nil)
		r.Header.Set("Authorization", v)
		if got := a.check(r, ep); got == authOK {
			t.Fatalf("authenticated without the password: %q", v)
		}
		_, params, _ := strings.Cut(v, " ")
		p, ok := digest.ParseParams(params)
		if !ok {
			return
		}
		var b strings.Builder
		for name, val := range p {
			fmt.Fprintf(&b, "%s=\"%s\", ", name, strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(val))
		}
		q, ok := digest.ParseParams(b.String())
		if !ok || len(q) != len(p) {
			t.Fatalf("%q parsed to %q, whose rendering %q does not parse back", params, p, b.String())
		}
		for k, v := range p {
			if q[k] != v {
				t.Fatalf("%q: param %q = %q, rendered and parsed again %q", params, k, v, q[k])
			}
		}
	})
}
