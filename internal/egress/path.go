package egress

import "strings"

// Prefix is the URL path every playback request starts with; the server
// mounts the Handler there without stripping it.
const Prefix = "/out/v1/"

const (
	// maxIDLen bounds endpoint ids (MediaPackage ids are at most 256
	// characters of [A-Za-z0-9_-]); longer ones are refused without a
	// config store read.
	maxIDLen = 256
	// maxNameLen bounds the object path below the endpoint (packagers
	// name objects in well under 200 bytes).
	maxNameLen = 512
	// maxElemLen bounds one path element.
	maxElemLen = 255
	// maxDepth bounds the subdirectories of an object path (a CMAF
	// endpoint's manifests sit one level down).
	maxDepth = 8
	// maxQueryLen bounds the raw query string; MediaPackage's own query
	// parameters (m, start, end, time_delay, aws.*) fit easily.
	maxQueryLen = 4096
)

// splitPath splits the escaped request path /out/v1/{endpointId}/{rest...}.
// Escapes are refused: packagers name objects with plain characters, and
// decoding is how "%2e%2e" and "%2f" tricks get in.
func splitPath(escapedPath string) (id, rest string, ok bool) {
	p, ok := strings.CutPrefix(escapedPath, Prefix)
	if !ok {
		return "", "", false
	}
	id, rest, ok = strings.Cut(p, "/")
	if !ok || !validID(id) || !validName(rest) {
		return "", "", false
	}
	return id, rest, true
}

func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validName accepts slash-separated elements of [A-Za-z0-9._~-], none
// empty, "." or "..", within the length and depth bounds.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			e := s[start:i]
			if e == "" || e == "." || e == ".." || len(e) > maxElemLen {
				return false
			}
			if i < len(s) {
				depth++
				if depth > maxDepth {
					return false
				}
			}
			start = i + 1
			continue
		}
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
			return false
		}
	}
	return true
}

// validQuery reports whether url.ParseQuery accepts raw, without
// allocating: every '&'-separated part has no ';' and only well-formed
// percent escapes. The cache keys on the raw query, and a cached object is
// served without parsing it again.
func validQuery(raw string) bool {
	if len(raw) > maxQueryLen {
		return false
	}
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ';':
			return false
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
