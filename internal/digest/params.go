// Package digest is HTTP Digest access authentication (RFC 7616) as both
// sides speak it: auth-param parsing, challenges, and the request digest
// with MD5 and SHA-256 (and their -sess variants), qop=auth. It parses
// untrusted headers: nothing in it panics on input.
package digest

import "strings"

// ParseParams parses the comma-separated auth-param list of a challenge
// or credentials header (RFC 7235 §2.1, RFC 7616 §3.3-3.4): name=token or
// name="quoted-string", names are tokens (RFC 9110 §5.6.2) compared
// case-insensitively and returned in lower case. A list with a name that
// is not a token, an unterminated quoted string or a name given twice
// does not parse.
func ParseParams(s string) (map[string]string, bool) {
	p := make(map[string]string, 10)
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
		if !isToken(name) {
			return nil, false
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var ok bool
			if val, s, ok = unquote(s); !ok {
				return nil, false
			}
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if _, dup := p[name]; dup {
			return nil, false
		}
		p[name] = val
	}
}

// unquote reads the quoted-string s starts with (RFC 9110 §5.6.4: a
// backslash quotes the next character) and returns its value and the
// rest of s.
func unquote(s string) (val, rest string, ok bool) {
	var b strings.Builder
	i := 1
	for ; i < len(s) && s[i] != '"'; i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	if i >= len(s) {
		return "", "", false
	}
	return b.String(), s[i+1:], true
}

// Quote makes an RFC 9110 quoted-string of s.
func Quote(s string) string {
	return `"` + quoter.Replace(s) + `"`
}

var quoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// isToken reports whether s is an RFC 9110 token (an auth-param name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
