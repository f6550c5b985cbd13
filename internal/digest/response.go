package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// Algorithm is a Digest algorithm: its hash and whether it is a -sess
// variant (RFC 7616 §3.4.2).
type Algorithm struct {
	newHash func() hash.Hash
	sess    bool
}

// ParseAlgorithm parses an algorithm parameter, in any case; "" is MD5
// (RFC 7616 §3.3).
func ParseAlgorithm(name string) (Algorithm, bool) {
	switch strings.ToUpper(name) {
	case "", "MD5":
		return Algorithm{newHash: md5.New}, true
	case "MD5-SESS":
		return Algorithm{newHash: md5.New, sess: true}, true
	case "SHA-256":
		return Algorithm{newHash: sha256.New}, true
	case "SHA-256-SESS":
		return Algorithm{newHash: sha256.New, sess: true}, true
	}
	return Algorithm{}, false
}

func (a Algorithm) h(s string) string {
	x := a.newHash()
	x.Write([]byte(s))
	return hex.EncodeToString(x.Sum(nil))
}

// Credentials are the parameters of a Digest Authorization header (RFC
// 7616 §3.4).
type Credentials struct {
	Username, Realm, Nonce, URI string
	Algorithm                   string // as the challenge named it; "" for none
	QOP                         string // "auth", or "" for RFC 2069 (no counts)
	NC, CNonce                  string
	Response                    string
	Opaque                      string
}

// Digest computes the request digest of c for method and password with
// alg (RFC 7616 §3.4.1; RFC 2069 without qop).
func (c *Credentials) Digest(alg Algorithm, method, password string) string {
	ha1 := alg.h(c.Username + ":" + c.Realm + ":" + password)
	if alg.sess {
		ha1 = alg.h(ha1 + ":" + c.Nonce + ":" + c.CNonce)
	}
	ha2 := alg.h(method + ":" + c.URI)
	if c.QOP == "" {
		return alg.h(ha1 + ":" + c.Nonce + ":" + ha2)
	}
	return alg.h(ha1 + ":" + c.Nonce + ":" + c.NC + ":" + c.CNonce + ":" + c.QOP + ":" + ha2)
}

// String renders c as an Authorization header value.
func (c *Credentials) String() string {
	var b strings.Builder
	b.WriteString("Digest username=" + Quote(c.Username) + ", realm=" + Quote(c.Realm) + ", nonce=" + Quote(c.Nonce) + ", uri=" + Quote(c.URI))
	if c.Algorithm != "" {
		b.WriteString(", algorithm=" + c.Algorithm)
	}
	b.WriteString(`, response="` + c.Response + `"`)
	if c.QOP != "" {
		b.WriteString(", qop=" + c.QOP + ", nc=" + c.NC + `, cnonce="` + c.CNonce + `"`)
	}
	if c.Opaque != "" {
		b.WriteString(", opaque=" + Quote(c.Opaque))
	}
	return b.String()
}
