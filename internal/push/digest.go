package push

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
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

// challenge is one parsed WWW-Authenticate challenge.
type challenge struct {
	scheme string // lower case: "digest", "basic"
	params map[string]string
}

// parseChallenges parses WWW-Authenticate header values, one challenge per
// value (how servers, Boxcar's included, send several).
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if scheme == "" {
			continue
		}
		p, ok := parseParams(rest)
		if !ok {
			continue
		}
		out = append(out, challenge{scheme: strings.ToLower(scheme), params: p})
	}
	return out
}

// parseParams parses an auth-param list: name=token or name="quoted",
// separated by commas (RFC 7235 §2.1).
func parseParams(s string) (map[string]string, bool) {
	p := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return p, true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			p[name], s = b.String(), s[i+1:]
			continue
		}
		end := strings.IndexAny(s, ", \t")
		if end < 0 {
			end = len(s)
		}
		p[name], s = s[:end], s[end:]
	}
}

// digestAlgorithms in order of preference (RFC 7616 §3.7: SHA-256 first).
var digestAlgorithms = []string{"SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS"}

// pickDigest returns the strongest Digest challenge we can answer, or nil.
func pickDigest(cs []challenge) *challenge {
	for _, alg := range digestAlgorithms {
		for i := range cs {
			c := &cs[i]
			if c.scheme != "digest" {
				continue
			}
			a := strings.ToUpper(c.params["algorithm"])
			if a == "" {
				a = "MD5"
			}
			if a == alg && (c.params["qop"] == "" || qopAuth(c.params["qop"]) != "") {
				return c
			}
		}
	}
	return nil
}

// qopAuth returns "auth" when a challenge's qop list offers it.
func qopAuth(list string) string {
	for _, q := range strings.Split(list, ",") {
		if strings.TrimSpace(q) == "auth" {
			return "auth"
		}
	}
	return ""
}

// digestSession answers one Digest challenge: one server nonce with its
// nonce count. A session serves one request at a time, so its counts reach
// the server in order (RFC 7616 §3.4: a server may reject a count that
// does not rise).
type digestSession struct {
	realm, nonce, opaque, algorithm, qop string
	newHash                              func() hash.Hash
	sess                                 bool
	nc                                   uint32
}

func newDigestSession(c *challenge) *digestSession {
	alg := strings.ToUpper(c.params["algorithm"])
	if alg == "" {
		alg = "MD5"
	}
	d := &digestSession{
		realm: c.params["realm"], nonce: c.params["nonce"], opaque: c.params["opaque"],
		algorithm: c.params["algorithm"], qop: qopAuth(c.params["qop"]),
		sess: strings.HasSuffix(alg, "-SESS"),
	}
	if strings.HasPrefix(alg, "SHA-256") {
		d.newHash = sha256.New
	} else {
		d.newHash = md5.New
	}
	return d
}

// newCnonce returns a client nonce: 96 random bits, hex.
func newCnonce() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// authorization returns the Authorization header value for one request
// with client nonce cnonce, and counts the nonce use.
func (d *digestSession) authorization(method, uri, user, pass, cnonce string) string {
	h := func(s string) string {
		x := d.newHash()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	d.nc++
	nc := fmt.Sprintf("%08x", d.nc)
	ha1 := h(user + ":" + d.realm + ":" + pass)
	if d.sess {
		ha1 = h(ha1 + ":" + d.nonce + ":" + cnonce)
	}
	ha2 := h(method + ":" + uri)
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%s, realm=%s, nonce=%s, uri=%s`, quote(user), quote(d.realm), quote(d.nonce), quote(uri))
	if d.algorithm != "" {
		fmt.Fprintf(&b, ", algorithm=%s", d.algorithm)
	}
	if d.qop != "" {
		resp := h(ha1 + ":" + d.nonce + ":" + nc + ":" + cnonce + ":" + d.qop + ":" + ha2)
		fmt.Fprintf(&b, `, response="%s", qop=%s, nc=%s, cnonce="%s"`, resp, d.qop, nc, cnonce)
	} else {
		// RFC 2069 compatibility: no qop, no counts.
		fmt.Fprintf(&b, `, response="%s"`, h(ha1+":"+d.nonce+":"+ha2))
	}
	if d.opaque != "" {
		fmt.Fprintf(&b, ", opaque=%s", quote(d.opaque))
	}
	return b.String()
}

// quote makes an RFC 7230 quoted-string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
