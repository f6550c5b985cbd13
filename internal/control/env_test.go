package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/testutil"
)

// Test keys and settings. PublicURL is fixed so golden files are stable.
const (
	adminKey     = "AKIDBOXCARADMIN"
	adminSecret  = "admin-secret-0123456789abcdefghij"
	readKey      = "AKIDBOXCARREAD"
	readSecret   = "read-secret-0123456789abcdefghijk"
	testRegion   = "eu-west-1"
	testAccount  = "123456789012"
	testPublic   = "https://boxcar.example.com"
	testCDNARN   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cdn-abc"
	testCDNValue = "cdn-secret-value-never-logged"
)

type syncBuffer = testutil.Buffer

type testEnv struct {
	t        *testing.T
	api      *API
	store    *configstore.Bolt
	dbPath   string
	srv      *httptest.Server
	admin    *mediapackage.Client
	readOnly *mediapackage.Client
	audit    *syncBuffer
	logs     *syncBuffer
	registry *prometheus.Registry
	deleted  chan string
	clock    clock.Clock
}

func testConfig() config.Config {
	cfg := config.Default()
	cfg.Region = testRegion
	cfg.AccountID = testAccount
	cfg.PublicURL = testPublic
	cfg.Auth.AdminAccessKeyID = adminKey
	cfg.Auth.AdminSecretAccessKey = adminSecret
	cfg.Auth.Keys = []config.APIKey{{AccessKeyID: readKey, SecretAccessKey: readSecret, Role: config.RoleReadOnly}}
	cfg.Egress.CDNSecrets = map[string]config.CDNSecret{testCDNARN: {Current: testCDNValue}}
	return cfg
}

type envOption func(*Options)

func withClock(c clock.Clock) envOption { return func(o *Options) { o.Clock = c } }

func withConfig(f func(*config.Config)) envOption { return func(o *Options) { f(&o.Config) } }

func newEnv(t testing.TB, opts ...envOption) *testEnv {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "config.db")
	st, err := configstore.OpenBolt(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{store: st, dbPath: dbPath, audit: &syncBuffer{}, logs: &syncBuffer{}, deleted: make(chan string, 16)}
	e.start(t, opts...)
	t.Cleanup(func() {
		e.srv.Close()
		e.api.Close()
		e.store.Close()
	})
	return e
}

// start builds the API on e.store and serves it.
func (e *testEnv) start(t testing.TB, opts ...envOption) {
	t.Helper()
	e.registry = prometheus.NewRegistry()
	o := Options{
		Config:         testConfig(),
		Store:          e.store,
		Logger:         slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry:       e.registry,
		Clock:          clock.Real{},
		AuditLog:       e.audit,
		ChannelDeleted: func(_ context.Context, id string) { e.deleted <- id },
	}
	for _, f := range opts {
		f(&o)
	}
	e.clock = o.Clock
	api, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.api = api
	mux := http.NewServeMux()
	api.Register(mux)
	e.srv = httptest.NewServer(mux)
	e.admin = e.client(adminKey, adminSecret)
	e.readOnly = e.client(readKey, readSecret)
}

func (e *testEnv) client(key, secret string) *mediapackage.Client {
	return mediapackage.New(mediapackage.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(e.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   e.srv.Client(),
	})
}

// rawResponse is a response read in full.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request signed with the admin key (unless key is "") as the
// SDK would, with an arbitrary body.
func (e *testEnv) do(t testing.TB, method, path, body string) rawResponse {
	t.Helper()
	return e.doAs(t, adminKey, adminSecret, method, path, body)
}

func (e *testEnv) doAs(t testing.TB, key, secret, method, path, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		sign(t, req, key, secret, []byte(body), time.Now())
	}
	return e.send(t, req)
}

func sign(t testing.TB, req *http.Request, key, secret string, body []byte, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "mediapackage", testRegion, at); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) send(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
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
