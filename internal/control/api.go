// Package control is Boxcar's control plane: the classic AWS Elemental
// MediaPackage REST API (2017-10-12) — channels, origin endpoints, harvest
// jobs and tags — with the same paths, camelCase JSON, enum values,
// pagination, status codes and error bodies, so AWS SDKs, the AWS CLI and
// Terraform work against it unchanged. Requests are authenticated with AWS
// Signature Version 4 against Boxcar's configured API keys, authorized by
// role (admin, read-only), and every mutating call is written to an audit
// log.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
)

// Limits on requests.
const (
	// maxBodyBytes bounds a request body; the largest realistic endpoint
	// configuration is a few KB.
	maxBodyBytes = 1 << 20
	// maxInFlight bounds concurrent API requests; more get 429
	// TooManyRequestsException, which the SDKs retry with backoff.
	maxInFlight = 64
	// defaultMaxResults is the page size when a list call gives no
	// maxResults.
	defaultMaxResults = 100
	maxMaxResults     = 1000
)

// createdAtLayout is how MediaPackage writes createdAt: ISO 8601 with a
// numeric offset, always UTC here ("2024-05-01T12:00:00+00:00").
const createdAtLayout = "2006-01-02T15:04:05-07:00"

// Options configure the API.
type Options struct {
	Config   config.Config // Region, AccountID, PublicURL, Auth
	Store    configstore.Store
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Clock    clock.Clock
	// ChannelDeleted, if set, is called after a channel is deleted so its
	// media can be removed. It runs before DeleteChannel answers, with a
	// context that is not canceled when the client leaves; it should be
	// quick (hand slow removal to a goroutine of its owner).
	ChannelDeleted func(ctx context.Context, channelID string)
	// AuditLog, if set, receives audit lines instead of the file named by
	// Config.Auth.AuditLog.
	AuditLog io.Writer
	// Secrets, if set, holds the secrets created through the Secrets
	// Manager API (internal/secrets) that an endpoint's
	// authorization.cdnIdentifierSecret may name besides those under
	// egress.cdnSecrets in the configuration.
	Secrets SecretLookup
}

// SecretLookup finds CDN identifier secrets stored through the Secrets
// Manager API. It must be safe for concurrent use and must not block on
// the config store (it is called inside its transactions).
type SecretLookup interface {
	// LookupSecret reports whether arn is the ARN of a stored secret and
	// whether that secret is scheduled for deletion.
	LookupSecret(arn string) (found, deleted bool)
}

// API serves the control plane. Its handlers are safe for concurrent use.
type API struct {
	cfg            config.Config
	publicURL      string
	arnPrefix      string // arn:aws:mediapackage:<region>:<account>:
	store          configstore.Store
	log            *slog.Logger
	clock          clock.Clock
	keys           map[string]config.APIKey
	dummySecret    string
	insecure       bool
	channelDeleted func(context.Context, string)
	secrets        SecretLookup
	audit          *auditLog
	metrics        *metrics
	inflight       chan struct{}
}

// New builds the API. It opens the audit log file (Close closes it) and
// registers the API's metrics.
func New(opts Options) (*API, error) {
	if opts.Store == nil {
		return nil, errors.New("control: Options.Store is nil")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	cfg := opts.Config
	a := &API{
		cfg:            cfg,
		publicURL:      trimSlash(cfg.PublicURL),
		arnPrefix:      "arn:aws:mediapackage:" + cfg.Region + ":" + cfg.AccountID + ":",
		store:          opts.Store,
		log:            opts.Logger,
		clock:          opts.Clock,
		keys:           make(map[string]config.APIKey),
		dummySecret:    newDummySecret(),
		insecure:       cfg.Auth.InsecureNoAuth,
		channelDeleted: opts.ChannelDeleted,
		secrets:        opts.Secrets,
		inflight:       make(chan struct{}, maxInFlight),
	}
	for _, k := range cfg.APIKeys() {
		if k.AccessKeyID == "" || k.SecretAccessKey == "" {
			return nil, errors.New("control: an API key has an empty access key id or secret")
		}
		if k.Role != config.RoleAdmin && k.Role != config.RoleReadOnly {
			return nil, fmt.Errorf("control: API key %q has role %q, want %q or %q", k.AccessKeyID, k.Role, config.RoleAdmin, config.RoleReadOnly)
		}
		a.keys[k.AccessKeyID] = k
	}
	if !a.insecure && len(a.keys) == 0 {
		return nil, errors.New("control: no API keys configured and auth.insecureNoAuth is off: every request would be refused")
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	a.metrics = m
	switch {
	case opts.AuditLog != nil:
		a.audit = &auditLog{w: opts.AuditLog}
	case cfg.Auth.AuditLog == "-":
		a.audit = &auditLog{w: os.Stderr}
	case cfg.Auth.AuditLog != "":
		f, err := os.OpenFile(cfg.Auth.AuditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("control: open audit log: %w", err)
		}
		a.audit = &auditLog{w: f, closer: f}
	default:
		a.log.Warn("no audit log configured (auth.auditLog): API changes are not recorded")
		a.audit = &auditLog{w: io.Discard}
	}
	return a, nil
}

// Close closes the audit log file.
func (a *API) Close() error { return a.audit.close() }

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// Protect wraps h, an extra route of another package (an ingest status
// view, say), in the API's authentication: the request must be signed
// like an API call (or auth.insecureNoAuth is on) by a key whose role
// includes minRole, config.RoleReadOnly or config.RoleAdmin. Refusals are
// API-style JSON errors. The request body (at most 1 MiB) is read to check
// its hash and handed to h unchanged.
func (a *API) Protect(minRole string, h http.Handler) http.Handler {
	if minRole != config.RoleReadOnly && minRole != config.RoleAdmin {
		panic(fmt.Sprintf("control: Protect(%q): want config.RoleReadOnly or config.RoleAdmin", minRole))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestID := NewUUID()
		w.Header().Set("x-amzn-RequestId", requestID)
		err := a.signed(r, signingService)
		var body []byte
		if err == nil {
			body, err = readBody(w, r)
		}
		if err == nil {
			var p principal
			p, err = a.authorize(r, body, signingService, minRole)
			if err == nil {
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.ContentLength = int64(len(body))
				a.log.Debug("api: protected request", "path", r.URL.Path, "access_key_id", p.AccessKeyID, "request_id", requestID)
				h.ServeHTTP(w, r)
				return
			}
		}
		apiErr, _ := asAPIError(err, requestID)
		a.writeError(w, apiErr)
	})
}

// authorize authenticates the request, signed for the SigV4 service
// service, and checks that the key's role includes need. With
// auth.insecureNoAuth every request is made by "anonymous" with the admin
// role. A role that does not include need is refused with the key's
// principal and an error matching errRoleDenied.
func (a *API) authorize(r *http.Request, body []byte, service, need string) (principal, error) {
	if a.insecure {
		return principal{AccessKeyID: "anonymous", Role: config.RoleAdmin}, nil
	}
	p, err := a.authenticate(r, body, service, a.clock.Now())
	if err != nil {
		return principal{}, err
	}
	if !roleAllows(p.Role, need) {
		e := forbidden("access key %q has the %s role; this call needs %s", p.AccessKeyID, p.Role, need)
		e.kind = errRoleDenied
		return p, e
	}
	return p, nil
}

// MaxBodyBytes bounds an API request body; the largest realistic
// endpoint with every option is a few KiB.
const MaxBodyBytes = maxBodyBytes

// ReadBody reads the whole body of an API request (this one's or another
// AWS-style API's on the same listener), at most MaxBodyBytes. It sets no
// deadline of its own: the listener bounds how long a body may take to
// arrive (http.bodyTimeout, set on the connection when the request
// starts), and a handler without such a listener waits as long as the
// client sends. A body over the limit is an *http.MaxBytesError; any
// other error means the body did not arrive whole.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
}

// readBody is ReadBody with the API's errors.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := ReadBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Type: errTooLarge,
				Message: fmt.Sprintf("request body exceeds %d bytes", maxBodyBytes)}
		}
		return nil, unprocessable("reading the request body failed")
	}
	return body, nil
}

// call is one API request as a handler sees it.
type call struct {
	r         *http.Request
	body      []byte
	principal principal
	// resource names what the call acted on (an ARN when known, else an
	// id) for the audit log; the handler sets it.
	resource string
}

// handlerFunc handles one operation. It returns the success status and
// the response body (nil for none) or an error.
type handlerFunc func(ctx context.Context, c *call) (int, any, error)

// op wraps a handler with everything operations share: request id, CORS,
// concurrency limit, body limit, authentication and role check, error
// mapping, metrics and (for mutating calls) the audit line.
func (a *API) op(name string, mutating bool, fn handlerFunc) http.Handler {
	need := config.RoleReadOnly
	if mutating {
		need = config.RoleAdmin
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		requestID := NewUUID()
		h := w.Header()
		h.Set("x-amzn-RequestId", requestID)
		setCORS(h)
		// Until the handler names the resource (refused calls never get
		// that far) the audit line names the request path.
		c := &call{r: r, resource: r.URL.EscapedPath()}
		status, resp, err := a.serve(r.Context(), w, c, need, fn)
		if err != nil {
			apiErr, internal := asAPIError(err, requestID)
			if internal {
				a.log.Error("api: internal error", "operation", name, "request_id", requestID, "err", err)
			} else {
				a.log.Debug("api: request refused", "operation", name, "request_id", requestID, "status", apiErr.Status, "type", apiErr.Type)
			}
			status = apiErr.Status
			a.writeError(w, apiErr)
		} else {
			a.writeJSON(w, status, resp)
		}
		a.metrics.observe(name, status, time.Since(start))
		if mutating {
			a.audit.write(auditRecord{
				Time:        a.clock.Now().UTC().Format(time.RFC3339Nano),
				RequestID:   requestID,
				AccessKeyID: c.principal.AccessKeyID,
				SourceIP:    sourceIP(r),
				Operation:   name,
				Resource:    c.resource,
				Status:      status,
			}, a.log)
		}
	})
}

func (a *API) serve(ctx context.Context, w http.ResponseWriter, c *call, need string, fn handlerFunc) (int, any, error) {
	// Unsigned requests are refused before their body is read; the body
	// is read before taking a slot, so slow senders cannot hold the slots.
	if err := a.signed(c.r, signingService); err != nil {
		return 0, nil, err
	}
	body, err := readBody(w, c.r)
	if err != nil {
		return 0, nil, err
	}
	c.body = body
	select {
	case a.inflight <- struct{}{}:
		defer func() { <-a.inflight }()
	default:
		return 0, nil, &Error{Status: http.StatusTooManyRequests, Type: errTooManyRequest, Message: "too many concurrent API requests; retry with backoff"}
	}
	p, err := a.authorize(c.r, body, signingService, need)
	c.principal = p
	if err != nil {
		return 0, nil, err
	}
	return fn(ctx, c)
}

func (a *API) writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if v == nil {
		h.Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("api: encode response", "err", err)
		a.writeError(w, &Error{Status: http.StatusInternalServerError, Type: errInternal, Message: "encoding the response failed"})
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeError sends {"message": ...} with the x-amzn-ErrorType header the
// SDKs use to pick the typed error.
func (a *API) writeError(w http.ResponseWriter, e *Error) {
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{e.Message})
	h := w.Header()
	h.Set("x-amzn-ErrorType", e.Type)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	w.Write(b)
}

// sourceIP is the client's address as the listener saw it.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// auditLog appends one JSON line per mutating call. Lines never hold
// secrets: no bodies, no credentials, only who did what to which resource
// and the outcome.
type auditLog struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
}

type auditRecord struct {
	Time        string `json:"time"`
	RequestID   string `json:"requestId"`
	AccessKeyID string `json:"accessKeyId"`
	SourceIP    string `json:"sourceIp"`
	Operation   string `json:"operation"`
	Resource    string `json:"resource"`
	Status      int    `json:"status"`
}

func (l *auditLog) write(rec auditRecord, log *slog.Logger) {
	b, err := json.Marshal(rec)
	if err != nil {
		log.Error("api: encode audit record", "err", err)
		return
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.w.Write(b); err != nil {
		log.Error("api: write audit log", "err", err, "operation", rec.Operation, "request_id", rec.RequestID)
	}
}

func (l *auditLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closer == nil {
		return nil
	}
	err := l.closer.Close()
	l.closer = nil
	l.w = io.Discard
	if err != nil {
		return fmt.Errorf("control: close audit log: %w", err)
	}
	return nil
}
