package control

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on user-chosen names and free text. MediaPackage documents none
// for v1; these are generous for real use and keep URLs and audit lines
// bounded.
const (
	maxIDLength          = 128  // ids appear in URLs and ARNs
	maxDescriptionLength = 1024 // characters
	maxTags              = 50   // AWS's per-resource tag limit
	maxTagKeyLength      = 128  // AWS tag key limit (characters)
	maxTagValueLength    = 256  // AWS tag value limit (characters)
	maxLogGroupLength    = 512  // CloudWatch Logs' log group name limit
	maxURLLength         = 2048
	maxARNLength         = 2048
)

// validID reports whether s matches [A-Za-z0-9_-]{1,128}.
func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkID(fe *fieldErrors, field, id string) {
	switch {
	case id == "":
		fe.add(field, "required")
	case !validID(id):
		fe.add(field, "must be 1 to %d characters of A-Z, a-z, 0-9, _ and -, got %q", maxIDLength, truncate(id, 140))
	}
}

// checkPathID validates an id taken from the URL path.
func checkPathID(kind, id string) error {
	if !validID(id) {
		return unprocessable("%s id %q: must be 1 to %d characters of A-Z, a-z, 0-9, _ and -", kind, truncate(id, 140), maxIDLength)
	}
	return nil
}

func checkDescription(fe *fieldErrors, field, s string) {
	if n := utf8.RuneCountInString(s); n > maxDescriptionLength {
		fe.add(field, "must be at most %d characters, got %d", maxDescriptionLength, n)
	}
}

// checkTags applies AWS's tag rules.
func checkTags(fe *fieldErrors, field string, tags map[string]string) {
	if len(tags) > maxTags {
		fe.add(field, "at most %d tags, got %d", maxTags, len(tags))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v := tags[k]
		kf := fmt.Sprintf("%s[%q]", field, truncate(k, 40))
		switch n := utf8.RuneCountInString(k); {
		case n == 0:
			fe.add(field, "tag keys must not be empty")
		case n > maxTagKeyLength:
			fe.add(kf, "tag key must be at most %d characters, got %d", maxTagKeyLength, n)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			fe.add(kf, "tag keys starting with aws: are reserved")
		case !validTagText(k):
			fe.add(kf, "tag key may contain only letters, digits, spaces and _ . : / = + - @")
		}
		switch n := utf8.RuneCountInString(v); {
		case n > maxTagValueLength:
			fe.add(kf, "tag value must be at most %d characters, got %d", maxTagValueLength, n)
		case !validTagText(v):
			fe.add(kf, "tag value may contain only letters, digits, spaces and _ . : / = + - @")
		}
	}
}

func validTagText(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Zs, r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// intField validates an optional integer: absent gives def, present must
// lie in [lo, hi].
func intField(fe *fieldErrors, field string, v *int, def, lo, hi int) int {
	if v == nil {
		return def
	}
	if *v < lo || *v > hi {
		fe.add(field, "must be between %d and %d, got %d", lo, hi, *v)
	}
	return *v
}

// enumField validates an optional enum: "" gives def.
func enumField(fe *fieldErrors, field, v, def string, allowed []string) string {
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		fe.add(field, "must be one of %s, got %q", strings.Join(allowed, ", "), truncate(v, 60))
	}
	return v
}

// enumList validates a list of enum values without duplicates. It returns
// a non-nil copy so an explicit empty list stays explicit.
func enumList(fe *fieldErrors, field string, vs []string, allowed []string) []string {
	out := make([]string, 0, len(vs))
	for i, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(allowed, v) {
			fe.add(f, "must be one of %s, got %q", strings.Join(allowed, ", "), truncate(v, 60))
			continue
		}
		if slices.Contains(out, v) {
			fe.add(f, "%s is listed twice", v)
			continue
		}
		out = append(out, v)
	}
	return out
}

// checkHTTPURL requires an absolute http or https URL.
func checkHTTPURL(fe *fieldErrors, field, s string) {
	if len(s) > maxURLLength {
		fe.add(field, "must be at most %d characters", maxURLLength)
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fe.add(field, "must be an absolute http or https URL, got %q", truncate(s, 100))
	}
}

func checkRequiredString(fe *fieldErrors, field, s string, maxLen int) {
	switch {
	case s == "":
		fe.add(field, "required")
	case len(s) > maxLen:
		fe.add(field, "must be at most %d characters", maxLen)
	}
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isUUID reports whether s is 8-4-4-4-12 hex digits (a DRM system id).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, part := range strings.Split(s, "-") {
		if len(part) != []int{8, 4, 4, 4, 12}[i] || !isHex(part) {
			return false
		}
		if i == 4 {
			return true
		}
	}
	return false
}
