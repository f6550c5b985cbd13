package secrets

import (
	"strings"
	"unicode/utf8"
)

// Limits on input, as the Secrets Manager API reference sets them.
const (
	maxNameLen        = 512
	maxDescriptionLen = 2048
	maxKMSKeyIDLen    = 2048
	maxSecretIDLen    = 2048
	// maxValueBytes is Secrets Manager's largest SecretString or
	// SecretBinary (64 KiB).
	maxValueBytes = 65536
	minTokenLen   = 32
	maxTokenLen   = 64
	maxTags       = 50
	maxTagKeyLen  = 128
	maxTagValLen  = 256
)

// checkName validates a secret name: 1–512 of A–Z a–z 0–9 / _ + = . @ -.
func checkName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return invalidParam("Name: must be 1 to %d characters, got %d", maxNameLen, len(name))
	}
	for _, c := range name {
		if !isNameChar(c) {
			return invalidParam("Name %q: may contain only letters, digits and /_+=.@-", truncate(name, 100))
		}
	}
	return nil
}

func isNameChar(c rune) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.ContainsRune("/_+=.@-", c)
}

func checkSecretID(id string) error {
	if id == "" || len(id) > maxSecretIDLen {
		return invalidParam("SecretId: must be a secret's name or ARN, 1 to %d characters", maxSecretIDLen)
	}
	return nil
}

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > maxDescriptionLen {
		return invalidParam("Description: at most %d characters", maxDescriptionLen)
	}
	return nil
}

func checkKMSKeyID(k string) error {
	if len(k) > maxKMSKeyIDLen {
		return invalidParam("KmsKeyId: at most %d characters", maxKMSKeyIDLen)
	}
	return nil
}

// checkToken validates a ClientRequestToken, which becomes a version id.
func checkToken(field, t string) error {
	if len(t) < minTokenLen || len(t) > maxTokenLen {
		return invalidParam("%s: must be %d to %d characters (a UUID; the AWS SDKs and CLI generate one), got %d", field, minTokenLen, maxTokenLen, len(t))
	}
	for _, c := range t {
		if c < 0x20 || c > 0x7e {
			return invalidParam("%s: printable ASCII characters only", field)
		}
	}
	return nil
}

// checkValue validates a value: exactly one of SecretString and
// SecretBinary unless optional, at most 64 KiB.
func checkValue(str *string, bin []byte, optional bool) error {
	switch {
	case str != nil && bin != nil:
		return invalidParam("set SecretString or SecretBinary, not both")
	case str == nil && bin == nil && !optional:
		return invalidParam("SecretString or SecretBinary is required")
	case str != nil && len(*str) > maxValueBytes:
		return invalidParam("SecretString: at most %d bytes, got %d", maxValueBytes, len(*str))
	case len(bin) > maxValueBytes:
		return invalidParam("SecretBinary: at most %d bytes, got %d", maxValueBytes, len(bin))
	}
	return nil
}

// checkTags validates tags to add: at most 50, keys 1–128 characters not
// starting with "aws:", values at most 256, no key twice.
func checkTags(tags []tagWire) error {
	if len(tags) > maxTags {
		return invalidParam("Tags: at most %d, got %d", maxTags, len(tags))
	}
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		switch n := utf8.RuneCountInString(t.Key); {
		case n == 0 || n > maxTagKeyLen:
			return invalidParam("Tags[%d].Key: must be 1 to %d characters", i, maxTagKeyLen)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return invalidParam("Tags[%d].Key %q: keys starting with aws: are reserved", i, truncate(t.Key, 128))
		case seen[t.Key]:
			return invalidParam("Tags[%d].Key %q: listed twice", i, truncate(t.Key, 128))
		}
		if utf8.RuneCountInString(t.Value) > maxTagValLen {
			return invalidParam("Tags[%d].Value: at most %d characters", i, maxTagValLen)
		}
		seen[t.Key] = true
	}
	return nil
}

// truncate shortens s for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
