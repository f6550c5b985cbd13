package digest

import "strings"

// Challenge is one parsed WWW-Authenticate challenge.
type Challenge struct {
	Scheme string // lower case: "digest", "basic"
	Params map[string]string
}

// ParseChallenges parses WWW-Authenticate header values, one challenge
// per value (how servers, Boxcar's included, send several); values that
// do not parse are skipped.
func ParseChallenges(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if scheme == "" {
			continue
		}
		p, ok := ParseParams(rest)
		if !ok {
			continue
		}
		out = append(out, Challenge{Scheme: strings.ToLower(scheme), Params: p})
	}
	return out
}

// Algorithms are the algorithm names answered, in order of preference
// (RFC 7616 §3.7: SHA-256 first).
var Algorithms = []string{"SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS"}

// Pick returns the strongest Digest challenge a client can answer: a
// known algorithm, and qop auth offered (or no qop, RFC 2069); nil for
// none.
func Pick(cs []Challenge) *Challenge {
	for _, alg := range Algorithms {
		for i := range cs {
			c := &cs[i]
			if c.Scheme != "digest" {
				continue
			}
			a := strings.ToUpper(c.Params["algorithm"])
			if a == "" {
				a = "MD5"
			}
			if a == alg && (c.Params["qop"] == "" || QOPAuth(c.Params["qop"]) != "") {
				return c
			}
		}
	}
	return nil
}

// QOPAuth returns "auth" when a challenge's qop list offers it.
func QOPAuth(list string) string {
	for _, q := range strings.Split(list, ",") {
		if strings.TrimSpace(q) == "auth" {
			return "auth"
		}
	}
	return ""
}

// ChallengeHeader is a server's WWW-Authenticate value offering Digest
// with algorithm and qop=auth (RFC 7616 §3.3); stale says a correct
// answer used an expired nonce.
func ChallengeHeader(realm, algorithm, nonce, opaque string, stale bool) string {
	h := "Digest realm=" + Quote(realm) + `, qop="auth", algorithm=` + algorithm + ", nonce=" + Quote(nonce) + ", opaque=" + Quote(opaque)
	if stale {
		h += ", stale=true"
	}
	return h
}
