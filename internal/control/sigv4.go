package control

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"boxcar/internal/config"
)

// AWS Signature Version 4 verification, as the AWS SDKs, the AWS CLI and
// Terraform sign requests: the Authorization-header form and the
// query-string (presigned URL) form, service "mediapackage" (or, through
// Authorize, another service name such as "secretsmanager"), any region.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	sigV4Terminator = "aws4_request"
	signingService  = "mediapackage"
	amzDateLayout   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// maxClockSkew is how far X-Amz-Date may be from the server's clock,
	// as AWS allows.
	maxClockSkew = 5 * time.Minute
	// maxPresignExpires is SigV4's longest presigned URL lifetime (7 days).
	maxPresignExpires = 7 * 24 * 60 * 60
	// maxSignedHeaders bounds the work an unauthenticated request can cause;
	// SDKs sign fewer than ten.
	maxSignedHeaders = 64
)

// principal is who made a request.
type principal struct {
	AccessKeyID string
	Role        string
}

// sigV4Auth is the parsed Authorization header (or presigned query).
type sigV4Auth struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// parseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/mediapackage/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// whose credential scope names the SigV4 service service.
func parseAuthorization(h, service string) (sigV4Auth, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != sigV4Algorithm {
		return sigV4Auth{}, fmt.Errorf("authorization header: want the %s scheme (AWS Signature Version 4)", sigV4Algorithm)
	}
	var cred, signed, sig string
	var seen [3]bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return sigV4Auth{}, fmt.Errorf("authorization header: malformed component %q", truncate(strings.TrimSpace(part), 40))
		}
		var i int
		switch k {
		case "Credential":
			cred, i = v, 0
		case "SignedHeaders":
			signed, i = v, 1
		case "Signature":
			sig, i = v, 2
		default:
			return sigV4Auth{}, fmt.Errorf("authorization header: unknown component %q", truncate(k, 40))
		}
		if seen[i] {
			return sigV4Auth{}, fmt.Errorf("authorization header: %s given twice", k)
		}
		seen[i] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return sigV4Auth{}, fmt.Errorf("authorization header: Credential, SignedHeaders and Signature are all required")
	}
	return newSigV4Auth(cred, signed, sig, service)
}

func newSigV4Auth(cred, signed, sig, service string) (sigV4Auth, error) {
	var a sigV4Auth
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[4] != sigV4Terminator {
		return a, fmt.Errorf("credential %q: want ACCESS_KEY_ID/YYYYMMDD/REGION/%s/%s", truncate(cred, 100), service, sigV4Terminator)
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	if _, err := time.Parse("20060102", a.Date); err != nil {
		return a, fmt.Errorf("credential scope date %q: want YYYYMMDD", truncate(a.Date, 20))
	}
	if a.Service != service {
		return a, fmt.Errorf("credential scope service %q: this API signs as %q", truncate(a.Service, 40), service)
	}
	if signed == "" {
		return a, fmt.Errorf("SignedHeaders is empty")
	}
	a.SignedHeaders = strings.Split(signed, ";")
	if len(a.SignedHeaders) > maxSignedHeaders {
		return a, fmt.Errorf("SignedHeaders: at most %d headers", maxSignedHeaders)
	}
	for i, h := range a.SignedHeaders {
		if h == "" || h != strings.ToLower(h) || (i > 0 && h <= a.SignedHeaders[i-1]) {
			return a, fmt.Errorf("SignedHeaders %q: want lower-case names, sorted, separated by ;", truncate(signed, 100))
		}
	}
	if !slices.Contains(a.SignedHeaders, "host") {
		return a, fmt.Errorf("SignedHeaders must include host")
	}
	if len(sig) != 64 || !isHex(sig) {
		return a, fmt.Errorf("signature: want 64 hexadecimal characters")
	}
	a.Signature = strings.ToLower(sig)
	return a, nil
}

// signed refuses, before its body is read, a request that carries no
// signature at all (no Authorization header, no presigned query): such a
// client could otherwise make the server wait for a body it withholds.
// With auth.insecureNoAuth every request passes.
func (a *API) signed(r *http.Request, service string) error {
	q := r.URL.Query()
	if a.insecure || r.Header.Get("Authorization") != "" || q.Has("X-Amz-Signature") || q.Has("X-Amz-Algorithm") {
		return nil
	}
	return forbidden("missing authentication: sign requests with AWS Signature Version 4 (service %q) using a Boxcar API key", service)
}

// authenticate verifies the request's SigV4 signature, made for the SigV4
// service service, over body and returns the key's principal. now is the
// server's time.
func (a *API) authenticate(r *http.Request, body []byte, service string, now time.Time) (principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return a.verifyHeader(r, h, service, body, now)
	}
	if r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Algorithm") {
		return a.verifyPresigned(r, service, body, now)
	}
	return principal{}, forbidden("missing authentication: sign requests with AWS Signature Version 4 (service %q) using a Boxcar API key", service)
}

func (a *API) verifyHeader(r *http.Request, h, service string, body []byte, now time.Time) (principal, error) {
	auth, err := parseAuthorization(h, service)
	if err != nil {
		return principal{}, forbidden("%v", err)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return principal{}, forbidden("missing X-Amz-Date header")
	}
	if !slices.Contains(auth.SignedHeaders, "x-amz-date") {
		return principal{}, forbidden("SignedHeaders must include x-amz-date")
	}
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return principal{}, forbidden("X-Amz-Date %q: want YYYYMMDDTHHMMSSZ", truncate(amzDate, 40))
	}
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return principal{}, forbidden("signature expired or not yet valid: X-Amz-Date %s is more than %s from the server time %s; check the client's clock", amzDate, maxClockSkew, now.UTC().Format(amzDateLayout))
	}
	if auth.Date != amzDate[:8] {
		return principal{}, forbidden("credential scope date %s does not match X-Amz-Date %s", auth.Date, amzDate)
	}
	payload, err := payloadHash(r.Header.Get("X-Amz-Content-Sha256"), body)
	if err != nil {
		return principal{}, err
	}
	canonical := canonicalRequest(r, canonicalQuery(r.URL.RawQuery, ""), auth.SignedHeaders, payload)
	if canonical == "" {
		return principal{}, forbidden("a header named in SignedHeaders is missing from the request")
	}
	return a.checkSignature(auth, amzDate, []string{canonical})
}

func (a *API) verifyPresigned(r *http.Request, service string, body []byte, now time.Time) (principal, error) {
	q := r.URL.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if len(q[k]) != 1 {
			return principal{}, forbidden("presigned URL: want exactly one %s query parameter", k)
		}
	}
	if q.Get("X-Amz-Algorithm") != sigV4Algorithm {
		return principal{}, forbidden("presigned URL: X-Amz-Algorithm must be %s", sigV4Algorithm)
	}
	auth, err := newSigV4Auth(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), service)
	if err != nil {
		return principal{}, forbidden("presigned URL: %v", err)
	}
	amzDate := q.Get("X-Amz-Date")
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return principal{}, forbidden("presigned URL: X-Amz-Date %q: want YYYYMMDDTHHMMSSZ", truncate(amzDate, 40))
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 1 || expires > maxPresignExpires {
		return principal{}, forbidden("presigned URL: X-Amz-Expires must be between 1 and %d seconds", maxPresignExpires)
	}
	if t.Sub(now) > maxClockSkew {
		return principal{}, forbidden("presigned URL: X-Amz-Date %s is in the future; check the client's clock", amzDate)
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return principal{}, forbidden("presigned URL expired at %s", t.Add(time.Duration(expires)*time.Second).UTC().Format(time.RFC3339))
	}
	if auth.Date != amzDate[:8] {
		return principal{}, forbidden("presigned URL: credential scope date %s does not match X-Amz-Date %s", auth.Date, amzDate)
	}
	// Presigned URLs sign either the body's hash or, as S3's do,
	// UNSIGNED-PAYLOAD (accepted only without a body).
	candidates := []string{hashHex(body)}
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" {
		p, err := payloadHash(declared, body)
		if err != nil {
			return principal{}, err
		}
		candidates = []string{p}
	} else if len(body) == 0 {
		candidates = append(candidates, unsignedPayload)
	}
	query := canonicalQuery(r.URL.RawQuery, "X-Amz-Signature")
	var canonicals []string
	for _, p := range candidates {
		c := canonicalRequest(r, query, auth.SignedHeaders, p)
		if c == "" {
			return principal{}, forbidden("presigned URL: a header named in X-Amz-SignedHeaders is missing from the request")
		}
		canonicals = append(canonicals, c)
	}
	return a.checkSignature(auth, amzDate, canonicals)
}

// payloadHash returns the payload hash to sign: the declared
// X-Amz-Content-Sha256 (which must match the body) or the body's hash.
func payloadHash(declared string, body []byte) (string, error) {
	actual := hashHex(body)
	switch {
	case declared == "":
		return actual, nil
	case declared == unsignedPayload:
		if len(body) > 0 {
			return "", forbidden("X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is accepted only for requests without a body; sign the payload")
		}
		return unsignedPayload, nil
	case !strings.EqualFold(declared, actual):
		return "", forbidden("X-Amz-Content-Sha256 does not match the SHA-256 of the request body")
	}
	return strings.ToLower(declared), nil
}

// checkSignature computes the expected signature of each candidate
// canonical request and compares it with the client's in constant time.
func (a *API) checkSignature(auth sigV4Auth, amzDate string, canonicals []string) (principal, error) {
	key, known := a.keys[auth.AccessKeyID]
	secret := key.SecretAccessKey
	if !known {
		// Do the same work for unknown keys so timing does not tell
		// which key ids exist.
		secret = a.dummySecret
	}
	signingKey := deriveSigningKey(secret, auth.Date, auth.Region, auth.Service)
	scope := strings.Join([]string{auth.Date, auth.Region, auth.Service, sigV4Terminator}, "/")
	got := []byte(auth.Signature)
	match := false
	for _, c := range canonicals {
		sts := sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hashHex([]byte(c))
		want := hex.EncodeToString(hmacSHA256(signingKey, sts))
		if hmac.Equal([]byte(want), got) {
			match = true
		}
	}
	switch {
	case !known:
		return principal{}, forbidden("the access key id %q is not a Boxcar API key", truncate(auth.AccessKeyID, 128))
	case !match:
		return principal{}, forbidden("the request signature does not match: check the secret access key and the signing method (AWS Signature Version 4, service %q)", auth.Service)
	}
	return principal{AccessKeyID: key.AccessKeyID, Role: key.Role}, nil
}

func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, sigV4Terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// canonicalRequest builds the SigV4 canonical request, or "" when a signed
// header is missing.
func canonicalRequest(r *http.Request, query string, signedHeaders []string, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r))
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		v, ok := headerValue(r, h)
		if !ok {
			return ""
		}
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

// canonicalURI is the path as the client sent it, URI-encoded once more:
// every service but S3 signs the double-encoded path.
func canonicalURI(r *http.Request) string {
	path := r.URL.EscapedPath()
	if rp, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(rp, "/") {
		path = rp
	}
	if path == "" {
		path = "/"
	}
	return sigV4Escape(path, false)
}

// canonicalQuery sorts the query's parameters after encoding each name and
// value, leaving out skip.
func canonicalQuery(raw, skip string) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var params []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			// Undecodable parameters are signed as sent; the signature
			// then decides.
			k, v, _ = strings.Cut(part, "=")
		}
		if k == skip {
			continue
		}
		params = append(params, kv{sigV4Escape(k, true), sigV4Escape(v, true)})
	}
	slices.SortFunc(params, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// sigV4Escape percent-encodes everything but RFC 3986 unreserved
// characters (and '/' unless encodeSlash), with upper-case hex.
func sigV4Escape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// headerValue is the canonical value of a signed header: values trimmed,
// inner runs of spaces collapsed, several values joined with commas.
func headerValue(r *http.Request, name string) (string, bool) {
	switch name {
	case "host":
		return collapseSpaces(r.Host), r.Host != ""
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v, true
		}
		if r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10), true
		}
		return "", false
	}
	vals := r.Header.Values(name)
	if len(vals) == 0 {
		return "", false
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = collapseSpaces(v)
	}
	return strings.Join(out, ","), true
}

func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func newDummySecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// roleAllows reports whether a key with role have may call what needs
// role need.
func roleAllows(have, need string) bool {
	switch need {
	case config.RoleReadOnly:
		return have == config.RoleReadOnly || have == config.RoleAdmin
	case config.RoleAdmin:
		return have == config.RoleAdmin
	}
	return false
}
