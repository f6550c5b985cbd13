package control

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"boxcar/internal/configstore"
)

// NewUUID returns a random (version 4) UUID: the request ids sent as
// x-amzn-RequestId and written to logs and audit lines, here and in the
// Secrets Manager API, and that API's secret version ids, the form the
// AWS SDKs generate for them.
func NewUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// setCORS lets browser tools call the API. Authentication is by signed
// headers, never cookies, so any origin may be allowed.
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, Date")
}

// corsPreflight answers OPTIONS on API paths.
func corsPreflight(w http.ResponseWriter) {
	h := w.Header()
	setCORS(h)
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token, X-Amz-User-Agent, Amz-Sdk-Invocation-Id, Amz-Sdk-Request")
	h.Set("Access-Control-Max-Age", "600")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}

// page reads maxResults and nextToken. A token is opaque to clients: it
// names the list and its filter, so one list's token is refused by
// another.
func page(r *http.Request, list, filter string) (configstore.Page, error) {
	q := r.URL.Query()
	p := configstore.Page{Limit: defaultMaxResults}
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxMaxResults {
			return p, unprocessable("maxResults: must be between 1 and %d, got %q", maxMaxResults, truncate(s, 20))
		}
		p.Limit = n
	}
	if tok := q.Get("nextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		parts := strings.SplitN(string(raw), "\x00", 3)
		if err != nil || len(parts) != 3 || parts[0] != list || parts[1] != filter || parts[2] == "" {
			return p, unprocessable("nextToken: not a token of this listing; pass the nextToken of the previous response unchanged, with the same filters")
		}
		p.After = parts[2]
	}
	return p, nil
}

func nextToken(list, filter, after string) string {
	if after == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + filter + "\x00" + after))
}

// credentials makes ingest ids and secrets from crypto/rand.

// randomHex returns n random bytes as 2n lower-case hex characters.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// randomAlphabet is safe in URLs, headers, shells, Digest authentication
// and ARNs.
const randomAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// passwordLength: 32 characters of randomAlphabet carry about 190 bits.
const passwordLength = 32

// RandomString returns n letters and digits from crypto/rand, each
// equally likely: ingest passwords here, the random suffix of a secret's
// ARN in the Secrets Manager API.
func RandomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	for len(out) < n {
		rand.Read(buf)
		for _, c := range buf {
			// Rejection sampling keeps every character equally likely.
			if int(c) < 256-256%len(randomAlphabet) && len(out) < n {
				out = append(out, randomAlphabet[int(c)%len(randomAlphabet)])
			}
		}
	}
	return string(out)
}
