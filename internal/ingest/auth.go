package ingest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/digest"
)

// Realm is the protection space of every ingest endpoint's credentials
// (RFC 7616 §3.3). Digest responses are bound to it.
const Realm = "boxcar"

const (
	// nonceLifetime is how long a server nonce stays valid; after it a
	// correct response gets stale=true so the client retries with a fresh
	// nonce without asking its user again (RFC 7616 §3.3).
	nonceLifetime = 5 * time.Minute
	// maxNonces bounds the nonces whose counts are remembered for replay
	// protection: a few per encoder connection. When full, the oldest is
	// forgotten and its next use is answered with stale=true.
	maxNonces = 8192
	// maxAuthHeader bounds the Authorization header parsed.
	maxAuthHeader = 4096
)

// authResult is the outcome of checking a request's credentials.
type authResult int

const (
	authOK authResult = iota
	// authMissing: no usable credentials; challenge.
	authMissing
	// authFailed: wrong credentials, malformed or replayed; challenge.
	authFailed
	// authStale: right credentials with an expired or forgotten nonce;
	// challenge with stale=true.
	authStale
)

// authenticator checks HTTP Digest (RFC 7616: SHA-256, MD5 and their -sess
// variants, qop=auth) and Basic (RFC 7617) credentials. Nonces are made
// statelessly (time, random and an HMAC), and the last nonce count seen per
// nonce is remembered so every request must raise it. Safe for concurrent
// use.
type authenticator struct {
	key    [32]byte
	opaque string
	now    func() time.Time

	mu     sync.Mutex
	counts map[string]*nonceUse
	order  []string // nonces in first-use order, for eviction
	// forgotten is the latest issue time of a nonce evicted while it may
	// still have been valid.
	forgotten time.Time
}

type nonceUse struct {
	nc     uint64
	issued time.Time
}

func newAuthenticator(now func() time.Time) (*authenticator, error) {
	a := &authenticator{now: now, counts: make(map[string]*nonceUse)}
	if _, err := rand.Read(a.key[:]); err != nil {
		return nil, fmt.Errorf("ingest: nonce key: %w", err)
	}
	var op [12]byte
	if _, err := rand.Read(op[:]); err != nil {
		return nil, fmt.Errorf("ingest: opaque: %w", err)
	}
	a.opaque = hex.EncodeToString(op[:])
	return a, nil
}

// nonce makes a fresh server nonce: issue time, 8 random bytes and an HMAC
// of both, base64url.
func (a *authenticator) nonce() string {
	var b [8 + 8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(a.now().UnixNano()))
	rand.Read(b[8:16])
	m := hmac.New(sha256.New, a.key[:])
	m.Write(b[:16])
	copy(b[16:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkNonce verifies a nonce's HMAC and reports its issue time.
func (a *authenticator) checkNonce(n string) (issued time.Time, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(b) != 32 {
		return time.Time{}, false
	}
	m := hmac.New(sha256.New, a.key[:])
	m.Write(b[:16])
	if !hmac.Equal(m.Sum(nil)[:16], b[16:]) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))), true
}

// challenge sets the WWW-Authenticate headers of a 401: Digest with
// SHA-256 (preferred) and MD5, then Basic.
func (a *authenticator) challenge(h http.Header, stale bool) {
	n := a.nonce()
	for _, alg := range []string{"SHA-256", "MD5"} {
		h.Add("WWW-Authenticate", digest.ChallengeHeader(Realm, alg, n, a.opaque, stale))
	}
	h.Add("WWW-Authenticate", fmt.Sprintf(`Basic realm=%q, charset="UTF-8"`, Realm))
}

// check authenticates r against the ingest endpoint's current credentials.
func (a *authenticator) check(r *http.Request, ep *configstore.IngestEndpoint) authResult {
	v := r.Header.Get("Authorization")
	if v == "" || len(v) > maxAuthHeader {
		return authMissing
	}
	scheme, rest, _ := strings.Cut(v, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			return authFailed
		}
		if secretEqual(user, ep.Username)&secretEqual(pass, ep.Password) == 1 {
			return authOK
		}
		return authFailed
	case strings.EqualFold(scheme, "Digest"):
		return a.checkDigest(r, rest, ep)
	}
	return authMissing
}

func secretEqual(got, want string) int {
	if want == "" {
		return 0
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want))
}

// checkDigest verifies a Digest response (RFC 7616 §3.4.1).
func (a *authenticator) checkDigest(r *http.Request, params string, ep *configstore.IngestEndpoint) authResult {
	p, ok := digest.ParseParams(params)
	if !ok {
		return authFailed
	}
	alg, ok := digest.ParseAlgorithm(p["algorithm"])
	if !ok {
		return authFailed
	}
	if p["qop"] != "auth" || p["realm"] != Realm || p["opaque"] != a.opaque || p["cnonce"] == "" || p["userhash"] == "true" {
		return authFailed
	}
	if p["uri"] != r.RequestURI {
		return authFailed
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 64)
	if err != nil || len(p["nc"]) != 8 || nc == 0 {
		return authFailed
	}
	nonce := p["nonce"]
	issued, ok := a.checkNonce(nonce)
	if !ok {
		return authFailed
	}
	if secretEqual(p["username"], ep.Username) != 1 || ep.Password == "" {
		return authFailed
	}
	cr := digest.Credentials{Username: ep.Username, Realm: Realm, Nonce: nonce, URI: p["uri"], QOP: "auth", NC: p["nc"], CNonce: p["cnonce"]}
	want := cr.Digest(alg, r.Method, ep.Password)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(p["response"])), []byte(want)) != 1 {
		return authFailed
	}
	now := a.now()
	if now.Sub(issued) > nonceLifetime || issued.After(now.Add(time.Minute)) {
		return authStale
	}
	return a.useCount(nonce, nc, issued, now)
}

// useCount records nc for nonce; every use must raise the count. A nonce
// not seen before is accepted unless it may have been forgotten (issued no
// later than a forgotten one), which is answered stale so a replay of a
// forgotten nonce cannot pass.
func (a *authenticator) useCount(nonce string, nc uint64, issued, now time.Time) authResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u, seen := a.counts[nonce]; seen {
		if nc <= u.nc {
			return authFailed
		}
		u.nc = nc
		return authOK
	}
	if !issued.After(a.forgotten) {
		return authStale
	}
	for len(a.order) > 0 {
		u := a.counts[a.order[0]]
		if len(a.order) < maxNonces && now.Sub(u.issued) <= nonceLifetime {
			break
		}
		if u.issued.After(a.forgotten) {
			a.forgotten = u.issued
		}
		delete(a.counts, a.order[0])
		a.order = a.order[1:]
	}
	a.counts[nonce] = &nonceUse{nc: nc, issued: issued}
	a.order = append(a.order, nonce)
	return authOK
}
