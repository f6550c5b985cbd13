package push

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"boxcar/internal/digest"
)

// Auth is how a push authenticates to the ingest server.
type Auth int

// Authentication modes.
const (
	// AuthAuto answers the server's challenge: Digest when offered, else
	// Basic. Nothing is sent before the first 401.
	AuthAuto Auth = iota
	// AuthBasic sends Basic credentials pre-emptively on every request
	// (RFC 7617), as ffmpeg can.
	AuthBasic
	// AuthDigest answers Digest challenges only (RFC 7616), as MediaLive
	// does towards MediaPackage.
	AuthDigest
)

func (a Auth) String() string {
	switch a {
	case AuthAuto:
		return "auto"
	case AuthBasic:
		return "basic"
	case AuthDigest:
		return "digest"
	}
	return fmt.Sprintf("auth(%d)", int(a))
}

// ParseAuth parses "auto", "basic" or "digest".
func ParseAuth(s string) (Auth, error) {
	switch strings.ToLower(s) {
	case "auto", "":
		return AuthAuto, nil
	case "basic":
		return AuthBasic, nil
	case "digest":
		return AuthDigest, nil
	}
	return 0, fmt.Errorf("push: auth %q: want auto, basic or digest", s)
}

// digestSession answers one Digest challenge: one server nonce with its
// nonce count. A session serves one request at a time, so its counts reach
// the server in order (RFC 7616 §3.4: a server may reject a count that
// does not rise).
type digestSession struct {
	realm, nonce, opaque, algorithm, qop string
	alg                                  digest.Algorithm
	nc                                   uint32
}

// newDigestSession answers c, a challenge digest.Pick returned (its
// algorithm is known).
func newDigestSession(c *digest.Challenge) *digestSession {
	alg, _ := digest.ParseAlgorithm(c.Params["algorithm"])
	return &digestSession{
		realm: c.Params["realm"], nonce: c.Params["nonce"], opaque: c.Params["opaque"],
		algorithm: c.Params["algorithm"], qop: digest.QOPAuth(c.Params["qop"]), alg: alg,
	}
}

// newCnonce returns a client nonce: 96 random bits, hex.
func newCnonce() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// authorization returns the Authorization header value for one request
// with client nonce cnonce, and counts the nonce use. Without qop (RFC
// 2069) it sends no counts.
func (d *digestSession) authorization(method, uri, user, pass, cnonce string) string {
	d.nc++
	cr := digest.Credentials{Username: user, Realm: d.realm, Nonce: d.nonce, URI: uri, Algorithm: d.algorithm, QOP: d.qop, Opaque: d.opaque}
	if d.qop != "" {
		cr.NC, cr.CNonce = fmt.Sprintf("%08x", d.nc), cnonce
	}
	cr.Response = cr.Digest(d.alg, method, pass)
	return cr.String()
}
