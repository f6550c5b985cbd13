package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"boxcar/internal/config"
)

// listenerEnv serves the API on a mux that also has what Boxcar's
// listener puts beside it (internal/server routes, internal/demo): the
// operations routes, the demo page at "GET /{$}" and its files, and an
// extra route behind Protect.
func listenerEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newEnv(t)
	e.srv.Close()
	mux := http.NewServeMux()
	e.api.Register(mux)
	plain := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /metrics", plain("# metrics\n"))
	mux.HandleFunc("GET /healthz", plain("ok\n"))
	mux.HandleFunc("GET /time", plain("2024-05-01T12:00:00.000Z"))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<html>demo</html>"))
	})
	mux.HandleFunc("GET /demo/status", plain("{}"))
	mux.Handle("GET /boxcar/v1/channels/{id}/ingest_status", e.api.Protect(config.RoleReadOnly, plain("{}")))
	e.srv = httptest.NewServer(mux)
	e.admin = e.client(adminKey, adminSecret)
	e.readOnly = e.client(readKey, readSecret)
	return e
}

// sendNoRedirect sends req and reports the first response, redirect or
// not.
func sendNoRedirect(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	c := *http.DefaultClient
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// rewrite makes an SDK call go out with another method and path, signed
// as sent (the Build step runs before signing).
func rewrite(method, path string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("boxcarRewrite", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			req := in.Request.(*smithyhttp.Request)
			req.Method = method
			req.URL.Path, req.URL.RawPath = path, ""
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

// TestUnknownPaths: every path and method that matches no operation gets
// MediaPackage's error shape — {"message": ...} with x-amzn-ErrorType —
// which the AWS SDKs turn into an API error, never net/http's plain-text
// 404 (which they fail to deserialize: "cannot unmarshal number"). The
// listener's operations and demo routes keep their own answers.
func TestUnknownPaths(t *testing.T) {
	e := listenerEnv(t)
	mustCreateChannel(t, e.admin, "ch")
	for _, tc := range []struct {
		name         string
		method, path string
		unsigned     bool
		status       int
		errType      string // "" for a success or a plain-text answer
		allow        string
		plain        string // a plain-text answer's body prefix
	}{
		{name: "unknown top-level path", method: "GET", path: "/nope", status: 404, errType: "NotFoundException"},
		{name: "unknown path, unsigned", method: "GET", path: "/nope", unsigned: true, status: 404, errType: "NotFoundException"},
		{name: "v2 channel group (Terraform aws_media_packagev2_channel_group)", method: "GET", path: "/channelGroup/x", status: 404, errType: "NotFoundException"},
		{name: "v2 create channel group", method: "POST", path: "/channelGroup/x", status: 404, errType: "NotFoundException"},
		{name: "v2 channel with trailing slash", method: "GET", path: "/channelGroup/x/channel/y/", status: 404, errType: "NotFoundException"},
		{name: "known prefix, extra segments", method: "GET", path: "/channels/ch/y/z", status: 404, errType: "NotFoundException"},
		{name: "endpoint with extra segment", method: "DELETE", path: "/origin_endpoints/x/extra", status: 404, errType: "NotFoundException"},
		{name: "v1 ingest path prefix without trailing slash", method: "GET", path: "/in/v2", status: 404, errType: "NotFoundException"},
		{name: "wrong method on a resource", method: "PATCH", path: "/channels/ch", status: 405, errType: "MethodNotAllowedException", allow: "GET, PUT, DELETE"},
		{name: "wrong method on a collection", method: "DELETE", path: "/harvest_jobs", status: 405, errType: "MethodNotAllowedException", allow: "GET, POST"},
		{name: "wrong method on a collection with trailing slash", method: "PUT", path: "/channels/", status: 405, errType: "MethodNotAllowedException", allow: "GET, POST"},
		{name: "wrong method on an action", method: "GET", path: "/channels/ch/configure_logs", status: 405, errType: "MethodNotAllowedException", allow: "PUT"},
		{name: "wrong method on a protected extra route", method: "DELETE", path: "/boxcar/v1/channels/ch/ingest_status", status: 405, errType: "MethodNotAllowedException", allow: "GET, HEAD"},
		{name: "/tags is not redirected", method: "GET", path: "/tags", status: 404, errType: "NotFoundException"},
		{name: "/tags unsigned is not redirected", method: "GET", path: "/tags", unsigned: true, status: 404, errType: "NotFoundException"},
		{name: "/tags POST", method: "POST", path: "/tags", status: 404, errType: "NotFoundException"},
		{name: "/tags/ without an ARN", method: "GET", path: "/tags/", status: 422, errType: "UnprocessableEntityException"},
		{name: "trailing slash lists channels", method: "GET", path: "/channels/", status: 200},
		{name: "trailing slash lists endpoints", method: "GET", path: "/origin_endpoints/", status: 200},
		{name: "trailing slash lists harvest jobs", method: "GET", path: "/harvest_jobs/", status: 200},
		{name: "operations route", method: "GET", path: "/metrics", status: 200, plain: "# metrics"},
		{name: "wrong method on an operations route", method: "DELETE", path: "/metrics", status: 405, allow: "GET, HEAD", plain: "Method Not Allowed"},
		{name: "demo page", method: "GET", path: "/", status: 200, plain: "<html>demo"},
		{name: "wrong method on the demo page", method: "POST", path: "/", status: 405, allow: "GET, HEAD", plain: "Method Not Allowed"},
		{name: "unknown demo file", method: "GET", path: "/demo/nope", status: 404, plain: "404 page not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.unsigned {
				sign(t, req, adminKey, adminSecret, nil, time.Now())
			}
			r := sendNoRedirect(t, req)
			if r.status != tc.status || r.header.Get("x-amzn-ErrorType") != tc.errType || r.header.Get("Allow") != tc.allow {
				t.Errorf("%s %s: %d x-amzn-ErrorType=%q Allow=%q %q; want %d %q Allow=%q",
					tc.method, tc.path, r.status, r.header.Get("x-amzn-ErrorType"), r.header.Get("Allow"), r.body, tc.status, tc.errType, tc.allow)
			}
			if tc.plain != "" {
				if !strings.HasPrefix(string(r.body), tc.plain) {
					t.Errorf("body %q, want it to start with %q", r.body, tc.plain)
				}
				return
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q, want application/json", r.header.Get("Content-Type"))
			}
			if tc.status >= 400 && r.status == tc.status {
				var body map[string]any
				if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 1 || body["message"] == "" {
					t.Errorf("body %q, want {\"message\": \"...\"}", r.body)
				}
				if r.header.Get("x-amzn-RequestId") == "" {
					t.Errorf("no x-amzn-RequestId")
				}
			}
			if tc.unsigned {
				return
			}
			// The SDK, sent to the same place, reports an API error with
			// the right code (typed where the model has the type), not a
			// deserialization failure.
			out, err := e.admin.ListChannels(ctx, &mediapackage.ListChannelsInput{}, func(o *mediapackage.Options) {
				o.APIOptions = append(o.APIOptions, rewrite(tc.method, tc.path))
			})
			if tc.status < 400 {
				if err != nil {
					t.Fatalf("SDK: %v", err)
				}
				if tc.path == "/channels/" && (len(out.Channels) != 1 || aws.ToString(out.Channels[0].Id) != "ch") {
					t.Errorf("SDK listing through /channels/: %+v", out.Channels)
				}
				return
			}
			var de *smithy.DeserializationError
			if errors.As(err, &de) {
				t.Fatalf("SDK: deserialization failed: %v", err)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.errType {
				t.Fatalf("SDK: got %v, want an API error with code %s", err, tc.errType)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tc.status {
				t.Errorf("SDK: got %v, want HTTP status %d", err, tc.status)
			}
			if tc.errType == "NotFoundException" {
				var nf *types.NotFoundException
				if !errors.As(err, &nf) {
					t.Errorf("SDK: got %T, want *types.NotFoundException", apiErr)
				}
			}
		})
	}
}

// TestTrailingSlashCreates: POST /channels/ creates as POST /channels does.
func TestTrailingSlashCreates(t *testing.T) {
	e := newEnv(t)
	if r := e.do(t, "POST", "/channels/", `{"id":"slash"}`); r.status != 200 {
		t.Fatalf("POST /channels/: %d %s", r.status, r.body)
	}
	if _, err := e.admin.DescribeChannel(ctx, &mediapackage.DescribeChannelInput{Id: aws.String("slash")}); err != nil {
		t.Fatal(err)
	}
}
