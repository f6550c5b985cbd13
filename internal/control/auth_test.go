package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"

	"boxcar/internal/clock"
	"boxcar/internal/config"
)

func wantForbidden(t *testing.T, what string, err error, msg string) {
	t.Helper()
	var fb *types.ForbiddenException
	if !errors.As(err, &fb) {
		t.Errorf("%s: got %v, want ForbiddenException", what, err)
		return
	}
	if !strings.Contains(fb.ErrorMessage(), msg) {
		t.Errorf("%s: message %q does not mention %q", what, fb.ErrorMessage(), msg)
	}
}

func TestSignatureFailures(t *testing.T) {
	e := newEnv(t)
	list := &mediapackage.ListChannelsInput{}

	_, err := e.client(adminKey, "wrong-secret").ListChannels(ctx, list)
	wantForbidden(t, "wrong secret", err, "signature does not match")
	_, err = e.client("AKIDUNKNOWN", adminSecret).ListChannels(ctx, list)
	wantForbidden(t, "unknown key", err, "not a Boxcar API key")

	// The server's clock is 10 minutes ahead of the client's: the
	// signature is too old. And 10 minutes behind: from the future.
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		fake := clock.NewFake(time.Now().Add(skew))
		skewed := newEnv(t, withClock(fake))
		_, err = skewed.admin.ListChannels(ctx, list)
		wantForbidden(t, "skewed clock "+skew.String(), err, "check the client's clock")
	}
	// 4 minutes is within the allowed skew.
	near := newEnv(t, withClock(clock.NewFake(time.Now().Add(4*time.Minute))))
	if _, err := near.admin.ListChannels(ctx, list); err != nil {
		t.Errorf("4 minutes of skew: %v", err)
	}

	// Unsigned.
	r := e.doAs(t, "", "", "GET", "/channels", "")
	if r.status != 403 || r.header.Get("x-amzn-ErrorType") != "ForbiddenException" {
		t.Errorf("unsigned request: %d %s", r.status, r.body)
	}

	// A body changed after signing.
	req, _ := http.NewRequest("POST", e.srv.URL+"/channels", strings.NewReader(`{"id":"evil"}`))
	sign(t, req, adminKey, adminSecret, []byte(`{"id":"good"}`), time.Now())
	req.Header.Del("X-Amz-Content-Sha256")
	if r := e.send(t, req); r.status != 403 {
		t.Errorf("tampered body: %d %s", r.status, r.body)
	}
	// A declared payload hash that is not the body's.
	req, _ = http.NewRequest("POST", e.srv.URL+"/channels", strings.NewReader(`{"id":"evil"}`))
	sum := sha256.Sum256([]byte(`{"id":"good"}`))
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	sign(t, req, adminKey, adminSecret, []byte(`{"id":"good"}`), time.Now())
	if r := e.send(t, req); r.status != 403 || !strings.Contains(string(r.body), "X-Amz-Content-Sha256 does not match") {
		t.Errorf("wrong X-Amz-Content-Sha256: %d %s", r.status, r.body)
	}
	// UNSIGNED-PAYLOAD: fine without a body, refused with one.
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/channels", "", 200},
		{"POST", "/channels", `{"id":"unsigned"}`, 403},
	} {
		req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
		creds := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, unsignedPayload, "mediapackage", testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := e.send(t, req); r.status != tc.want {
			t.Errorf("UNSIGNED-PAYLOAD %s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
		}
	}
	// Signed for another service.
	req, _ = http.NewRequest("GET", e.srv.URL+"/channels", nil)
	creds := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
	v4.NewSigner().SignHTTP(ctx, creds, req, hashHex(nil), "mediapackagev2", testRegion, time.Now())
	if r := e.send(t, req); r.status != 403 || !strings.Contains(string(r.body), `this API signs as \"mediapackage\"`) {
		t.Errorf("other service: %d %s", r.status, r.body)
	}
	// Any region is accepted.
	req, _ = http.NewRequest("GET", e.srv.URL+"/channels", nil)
	v4.NewSigner().SignHTTP(ctx, creds, req, hashHex(nil), "mediapackage", "ap-southeast-2", time.Now())
	if r := e.send(t, req); r.status != 200 {
		t.Errorf("another region: %d %s", r.status, r.body)
	}
	// Query parameters are signed: changing one breaks the signature.
	req, _ = http.NewRequest("GET", e.srv.URL+"/channels?maxResults=5", nil)
	v4.NewSigner().SignHTTP(ctx, creds, req, hashHex(nil), "mediapackage", testRegion, time.Now())
	req.URL.RawQuery = "maxResults=6"
	if r := e.send(t, req); r.status != 403 {
		t.Errorf("changed query: %d %s", r.status, r.body)
	}
}

func TestPresigned(t *testing.T) {
	e := newEnv(t)
	mustCreateChannel(t, e.admin, "presign-me")
	creds := aws.Credentials{AccessKeyID: readKey, SecretAccessKey: readSecret}
	presign := func(path string, at time.Time, expires string, payload string) string {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		if expires != "" {
			q := req.URL.Query()
			q.Set("X-Amz-Expires", expires)
			req.URL.RawQuery = q.Encode()
		}
		u, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, payload, "mediapackage", testRegion, at)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	get := func(u string) rawResponse {
		req, _ := http.NewRequest("GET", u, nil)
		return e.send(t, req)
	}
	for _, payload := range []string{hashHex(nil), unsignedPayload} {
		if r := get(presign("/channels?maxResults=10", time.Now(), "300", payload)); r.status != 200 || !strings.Contains(string(r.body), `"id":"presign-me"`) {
			t.Errorf("presigned ListChannels (payload %s): %d %s", payload[:8], r.status, r.body)
		}
	}
	if r := get(presign("/channels", time.Now().Add(-time.Hour), "300", hashHex(nil))); r.status != 403 || !strings.Contains(string(r.body), "expired") {
		t.Errorf("expired presigned URL: %d %s", r.status, r.body)
	}
	if r := get(presign("/channels", time.Now(), "", hashHex(nil))); r.status != 403 || !strings.Contains(string(r.body), "X-Amz-Expires") {
		t.Errorf("presigned URL without X-Amz-Expires: %d %s", r.status, r.body)
	}
	u := presign("/channels", time.Now(), "300", hashHex(nil))
	if r := get(strings.Replace(u, "X-Amz-Signature=", "X-Amz-Signature=0", 1)[:len(u)]); r.status != 403 {
		t.Errorf("altered presigned signature: %d %s", r.status, r.body)
	}
}

func TestInsecureNoAuth(t *testing.T) {
	e := newEnv(t, withConfig(func(c *config.Config) {
		c.Auth.InsecureNoAuth = true
		c.Auth.AdminAccessKeyID, c.Auth.AdminSecretAccessKey, c.Auth.Keys = "", "", nil
	}))
	if r := e.doAs(t, "", "", "POST", "/channels", `{"id":"open"}`); r.status != 200 {
		t.Fatalf("unsigned create with insecureNoAuth: %d %s", r.status, r.body)
	}
	if !strings.Contains(e.audit.String(), `"accessKeyId":"anonymous"`) {
		t.Errorf("audit line does not say the call was anonymous: %s", e.audit.String())
	}
}

func TestNewRefusesNoKeys(t *testing.T) {
	cfg := testConfig()
	cfg.Auth.AdminAccessKeyID, cfg.Auth.AdminSecretAccessKey, cfg.Auth.Keys = "", "", nil
	e := newEnv(t)
	if _, err := New(Options{Config: cfg, Store: e.store}); err == nil {
		t.Fatalf("New without keys and without insecureNoAuth: got nil error")
	}
}

func TestProtect(t *testing.T) {
	e := newEnv(t)
	var gotBody string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Write([]byte("inner"))
	})
	mux := http.NewServeMux()
	mux.Handle("/status", e.api.Protect(config.RoleReadOnly, inner))
	mux.Handle("/admin-only", e.api.Protect(config.RoleAdmin, inner))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	e.srv.URL, e.srv.Config.Handler = srv.URL, mux // send through the protected mux

	for _, tc := range []struct {
		key, secret, method, path, body string
		want                            int
	}{
		{readKey, readSecret, "GET", "/status", "", 200},
		{adminKey, adminSecret, "GET", "/status", "", 200},
		{"", "", "GET", "/status", "", 403},
		{readKey, "bad", "GET", "/status", "", 403},
		{readKey, readSecret, "POST", "/admin-only", "x", 403},
		{adminKey, adminSecret, "POST", "/admin-only", "payload", 200},
	} {
		r := e.doAs(t, tc.key, tc.secret, tc.method, tc.path, tc.body)
		if r.status != tc.want {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.key, r.status, r.body, tc.want)
		}
		if r.status == 403 && r.header.Get("x-amzn-ErrorType") != "ForbiddenException" {
			t.Errorf("refusal without the ForbiddenException type: %v", r.header)
		}
	}
	if gotBody != "payload" {
		t.Errorf("the protected handler read body %q, want the original", gotBody)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Protect with an unknown role did not panic")
		}
	}()
	e.api.Protect("superuser", inner)
}

func TestCORSAndUnknownPaths(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("OPTIONS", e.srv.URL+"/origin_endpoints/x", nil)
	req.Header.Set("Origin", "https://console.example.com")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	r := e.send(t, req)
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "X-Amz-Date") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	r = e.do(t, "GET", "/channels", "")
	if r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("x-amzn-RequestId") == "" {
		t.Errorf("API response headers: %v", r.header)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PATCH", "/channels/x", 405, "GET, PUT, DELETE"},
		{"DELETE", "/harvest_jobs/x", 405, "GET"},
		{"GET", "/channels/x/credentials", 405, "PUT"},
		{"GET", "/channels/x/y/z", 404, ""},
		{"GET", "/tags/", 422, ""},
	} {
		r := e.do(t, tc.method, tc.path, "")
		if r.status != tc.status || r.header.Get("Allow") != tc.allow || r.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(string(r.body), `{"message":`) {
			t.Errorf("%s %s: %d Allow=%q %s", tc.method, tc.path, r.status, r.header.Get("Allow"), r.body)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	const good = "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	a, err := parseAuthorization(good, signingService)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeyID != "AKID" || a.Date != "20240501" || a.Region != "us-east-1" || strings.Join(a.SignedHeaders, ";") != "host;x-amz-date" {
		t.Errorf("parsed %+v", a)
	}
	for _, tc := range authorizationCases {
		if _, err := parseAuthorization(tc.header, signingService); (err == nil) != tc.ok {
			t.Errorf("parseAuthorization(%q): err %v, want ok=%t", tc.header, err, tc.ok)
		}
	}
}

var authorizationCases = []struct {
	header string
	ok     bool
}{
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request,SignedHeaders=host;x-amz-date,Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", true},
	{"", false},
	{"Basic dXNlcjpwYXNz", false},
	{"AWS4-HMAC-SHA256", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=host", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/2024-05-01/us-east-1/mediapackage/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=x-amz-date;host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=host, Signature=xyz", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, Credential=B/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501//mediapackage/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=Host, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/mediapackage/aws4_request, SignedHeaders=host;;x, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
	{"AWS4-HMAC-SHA256 Foo=bar", false},
}

// FuzzParseAuthorization: parsing never panics, and what it accepts is
// well-formed.
func FuzzParseAuthorization(f *testing.F) {
	for _, tc := range authorizationCases {
		f.Add(tc.header)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h, signingService)
		if err != nil {
			return
		}
		if a.AccessKeyID == "" || a.Service != signingService || len(a.Signature) != 64 || len(a.SignedHeaders) == 0 || len(a.SignedHeaders) > maxSignedHeaders {
			t.Fatalf("accepted malformed %q as %+v", h, a)
		}
		for i := 1; i < len(a.SignedHeaders); i++ {
			if a.SignedHeaders[i] <= a.SignedHeaders[i-1] {
				t.Fatalf("accepted unsorted SignedHeaders %v", a.SignedHeaders)
			}
		}
	})
}
