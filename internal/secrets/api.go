// Package secrets is Boxcar's Secrets Manager–compatible subset: the
// operations AWS tools use to create, rotate and delete the secret an
// origin endpoint's authorization.cdnIdentifierSecret names (the AWS CLI's
// "aws secretsmanager …", Terraform's aws_secretsmanager_secret and
// aws_secretsmanager_secret_version, the AWS SDKs), spoken as AWS JSON 1.1
// (POST / with X-Amz-Target: secretsmanager.<Operation>) on the same
// listener as the MediaPackage API and signed with the same API keys
// (service "secretsmanager" in the SigV4 scope). Values are encrypted at
// rest with AES-256-GCM in the config store; the CDN identifiers they hold
// are indexed in memory for egress, which accepts the AWSCURRENT and
// AWSPREVIOUS ones.
package secrets

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/config"
	"boxcar/internal/control"
)

// Limits on requests.
const (
	// maxBodyBytes bounds a request body (control.ReadBody's limit): a
	// largest value (64 KiB) is at most 384 KiB once JSON-escaped, or
	// 88 KiB as base64.
	maxBodyBytes = control.MaxBodyBytes
	// maxInFlight bounds concurrent requests; more get ThrottlingException,
	// which the SDKs retry with backoff. Secrets change rarely.
	maxInFlight = 16
)

// signingService is the service name in the SigV4 credential scope.
const signingService = "secretsmanager"

// targetPrefix starts the X-Amz-Target header of every operation.
const targetPrefix = "secretsmanager."

// Authorizer checks requests against Boxcar's API keys and roles and
// records changes in the audit log; *control.API implements it.
type Authorizer interface {
	// Signed refuses, before the body is read, a request with no
	// signature at all.
	Signed(r *http.Request, service string) error
	Authorize(r *http.Request, body []byte, service, need string) (control.Caller, error)
	Audit(r *http.Request, requestID, accessKeyID, operation, resource string, status int)
}

// APIOptions configure the API.
type APIOptions struct {
	Vault    *Vault
	Auth     Authorizer
	Logger   *slog.Logger
	Registry prometheus.Registerer // nil for none
}

// API serves the Secrets Manager subset. It is safe for concurrent use.
type API struct {
	vault    *Vault
	auth     Authorizer
	log      *slog.Logger
	metrics  *metrics
	inflight chan struct{}
}

// operation is one Secrets Manager operation: it decodes body and returns
// the response and the resource it acted on (an ARN when known, else the
// SecretId) for the audit log.
type operation struct {
	mutating bool
	// reveals: the response carries a secret value. Like the ingest
	// passwords the MediaPackage API hides from read-only keys, a CDN
	// identifier lets its holder past CDN authorization, so only admin
	// keys may read one, and every read is audited.
	reveals bool
	run     func(v *Vault, ctx context.Context, body []byte) (resp any, resource string, err error)
}

// NewAPI returns the API over opts.Vault.
func NewAPI(opts APIOptions) (*API, error) {
	if opts.Vault == nil || opts.Auth == nil {
		return nil, errors.New("secrets: APIOptions.Vault and Auth are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{vault: opts.Vault, auth: opts.Auth, log: opts.Logger, inflight: make(chan struct{}, maxInFlight)}
	m, err := newMetrics(opts.Registry, operationNames())
	if err != nil {
		return nil, err
	}
	a.metrics = m
	return a, nil
}

// operations are the operations by name. It is never written.
var operations = map[string]operation{
	"CreateSecret": change(func(v *Vault, ctx context.Context, in *createSecretRequest) (any, string, error) {
		out, arn, err := v.createSecret(ctx, in)
		return out, cmp.Or(arn, in.Name), err
	}),
	"PutSecretValue":           change((*Vault).putSecretValue),
	"UpdateSecret":             change((*Vault).updateSecret),
	"UpdateSecretVersionStage": change((*Vault).updateSecretVersionStage),
	"DeleteSecret":             change((*Vault).deleteSecret),
	"RestoreSecret":            change((*Vault).restoreSecret),
	"TagResource":              change(emptyResponse((*Vault).tagResource)),
	"UntagResource":            change(emptyResponse((*Vault).untagResource)),
	"DescribeSecret": read(func(v *Vault, ctx context.Context, in *secretIDRequest) (any, string, error) {
		out, err := v.describeSecret(ctx, in)
		return out, in.SecretID, err
	}),
	"GetSecretValue": reveal(func(v *Vault, ctx context.Context, in *getSecretValueRequest) (any, string, error) {
		out, err := v.getSecretValue(ctx, in)
		return out, in.SecretID, err
	}),
	"ListSecrets": read(func(v *Vault, ctx context.Context, in *listSecretsRequest) (any, string, error) {
		out, err := v.listSecrets(ctx, in)
		return out, "", err
	}),
	"ListSecretVersionIds": read(func(v *Vault, ctx context.Context, in *listSecretVersionIDsRequest) (any, string, error) {
		out, err := v.listSecretVersionIDs(ctx, in)
		return out, in.SecretID, err
	}),
	"GetResourcePolicy": read(func(v *Vault, ctx context.Context, in *getResourcePolicyRequest) (any, string, error) {
		out, err := v.getResourcePolicy(ctx, in)
		return out, in.SecretID, err
	}),
}

// operationNames are the names of the operations, sorted.
func operationNames() []string { return slices.Sorted(maps.Keys(operations)) }

// read is an operation that changes nothing and reveals no value.
func read[In, Out any](fn func(*Vault, context.Context, *In) (Out, string, error)) operation {
	return operation{run: decoded(fn)}
}

// change is a mutating operation.
func change[In, Out any](fn func(*Vault, context.Context, *In) (Out, string, error)) operation {
	return operation{mutating: true, run: decoded(fn)}
}

// reveal is an operation whose response carries a secret value.
func reveal[In, Out any](fn func(*Vault, context.Context, *In) (Out, string, error)) operation {
	return operation{reveals: true, run: decoded(fn)}
}

// emptyResponse adapts fn, which returns only the ARN it acted on, to an
// operation that answers {}.
func emptyResponse[In any](fn func(*Vault, context.Context, *In) (string, error)) func(*Vault, context.Context, *In) (any, string, error) {
	return func(v *Vault, ctx context.Context, in *In) (any, string, error) {
		arn, err := fn(v, ctx, in)
		return struct{}{}, arn, err
	}
}

// decoded runs fn on the request body decoded into an In.
func decoded[In, Out any](fn func(*Vault, context.Context, *In) (Out, string, error)) func(*Vault, context.Context, []byte) (any, string, error) {
	return func(v *Vault, ctx context.Context, body []byte) (any, string, error) {
		var in In
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		return fn(v, ctx, &in)
	}
}

// ServeHTTP serves one call: POST / with X-Amz-Target naming the
// operation. It authenticates and authorizes the call (read-only keys may
// call DescribeSecret, ListSecrets, ListSecretVersionIds and
// GetResourcePolicy; reading a value takes an admin key), runs it, answers
// in AWS JSON 1.1, counts it and, for mutating operations and value reads,
// writes the audit line.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := control.NewUUID()
	w.Header().Set("x-amzn-RequestId", requestID)
	name, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	op, known := operations[name]
	caller, resource, resp, err := a.serve(w, r, name, op, known)
	status := http.StatusOK
	if err != nil {
		e, internal := asError(err, requestID)
		if internal {
			a.log.Error("secrets: internal error", "operation", name, "request_id", requestID, "err", err)
		} else {
			a.log.Debug("secrets: request refused", "operation", name, "request_id", requestID, "type", e.Code)
		}
		status = writeError(w, e)
	} else {
		a.writeJSON(w, resp)
	}
	metricName := name
	if !known {
		metricName = "Unknown"
	}
	a.metrics.observe(metricName, status, time.Since(start))
	if known && (op.mutating || op.reveals) {
		if resource == "" {
			resource = r.URL.EscapedPath()
		}
		a.auth.Audit(r, requestID, caller.AccessKeyID, name, resource, status)
	}
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, name string, op operation, known bool) (control.Caller, string, any, error) {
	if !known {
		return control.Caller{}, "", nil, newError(codeUnknownOperation, "X-Amz-Target %q: want secretsmanager.<Operation>, one of %s",
			truncate(r.Header.Get("X-Amz-Target"), 100), strings.Join(operationNames(), ", "))
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return control.Caller{}, "", nil, err
	}
	// Unsigned requests are refused before their body is read; the body
	// is read before taking a slot, so slow senders cannot hold the slots.
	if err := a.auth.Signed(r, signingService); err != nil {
		var ae *control.AuthError
		if errors.As(err, &ae) {
			return control.Caller{}, "", nil, newError(codeInvalidSignature, "%s", ae.Message)
		}
		return control.Caller{}, "", nil, err
	}
	body, err := readBody(w, r)
	if err != nil {
		return control.Caller{}, "", nil, err
	}
	select {
	case a.inflight <- struct{}{}:
		defer func() { <-a.inflight }()
	default:
		return control.Caller{}, "", nil, newError(codeThrottling, "too many concurrent Secrets Manager requests; retry with backoff")
	}
	need := config.RoleReadOnly
	if op.mutating || op.reveals {
		need = config.RoleAdmin
	}
	caller, err := a.auth.Authorize(r, body, signingService, need)
	if err != nil {
		var ae *control.AuthError
		switch {
		case errors.As(err, &ae) && ae.Denied:
			return caller, "", nil, newError(codeAccessDenied, "%s", ae.Message)
		case errors.As(err, &ae):
			return caller, "", nil, newError(codeInvalidSignature, "%s", ae.Message)
		}
		return caller, "", nil, err
	}
	resp, resource, err := op.run(a.vault, r.Context(), body)
	return caller, resource, resp, err
}

// checkContentType accepts the AWS JSON content types (the SDKs send
// application/x-amz-json-1.1) and plain JSON.
func checkContentType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/x-amz-json-1.1" || mt == "application/x-amz-json-1.0" || mt == "application/json") {
		return nil
	}
	return newError(codeSerialization, "Content-Type %q: want application/x-amz-json-1.1", truncate(ct, 100))
}

// readBody reads the whole request body as the MediaPackage API does
// (control.ReadBody), with this API's errors.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := control.ReadBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newError(codeTooLarge, "request body exceeds %d bytes", maxBodyBytes)
		}
		return nil, newError(codeSerialization, "reading the request body failed")
	}
	return body, nil
}

// decode decodes a request body, one JSON object, into v (a pointer to a
// request struct) as the MediaPackage API does (control.DecodeStrict):
// member names must match exactly at every depth (encoding/json alone
// would take "name" for "Name"), and a member the operation does not have
// or one given twice in an object is refused, naming its path. A body that
// is not one JSON object is a SerializationException; wrong members are an
// InvalidParameterException. An empty body is {}.
func decode(body []byte, v any) error {
	err := control.DecodeStrict(body, v)
	var ce *control.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &ce):
		return err
	case errors.Is(err, control.ErrNotJSONObject):
		return newError(codeSerialization, "%s", ce.Message)
	}
	return invalidParam("%s", ce.Message)
}

func (a *API) writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("secrets: encode response", "err", err)
		writeError(w, &Error{Code: codeInternal, Message: "encoding the response failed"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// writeError sends {"__type": code, "message": ...} with the code also in
// x-amzn-ErrorType, and returns the status it sent.
func writeError(w http.ResponseWriter, e *Error) int {
	b, _ := json.Marshal(errorResponse{Type: e.Code, Message: e.Message})
	st := status(e.Code)
	h := w.Header()
	h.Set("x-amzn-ErrorType", e.Code)
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(st)
	w.Write(b)
	return st
}
