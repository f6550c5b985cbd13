package control

import (
	"errors"
	"net/http"
	"time"
)

// This file lets another API on the same listener (the Secrets Manager
// subset in internal/secrets) use the control plane's keys, roles and audit
// log while it speaks its own wire protocol: Authorize checks a request,
// Audit records a change. Protect is the simpler choice for routes that
// speak the MediaPackage error format.

// Caller is the API key that signed a request.
type Caller struct {
	AccessKeyID string
	// Role is config.RoleAdmin or config.RoleReadOnly.
	Role string
}

// AuthError is a request refused by Authorize. Message is safe to send to
// the client; it never holds a secret.
type AuthError struct {
	// Denied is set when the signature is valid but the key's role does not
	// include the role the call needs; otherwise authentication failed
	// (missing, malformed, expired or wrong signature, unknown key).
	Denied  bool
	Message string
}

func (e *AuthError) Error() string { return "control: " + e.Message }

// Authorize authenticates r like an API call, except that the signature's
// credential scope must name service (e.g. "secretsmanager"), and checks
// that the key's role includes need (config.RoleReadOnly or
// config.RoleAdmin). body is the whole request body, which the signature
// covers. With auth.insecureNoAuth every request is made by "anonymous"
// with the admin role. Refusals are *AuthError. It is safe for concurrent
// use.
func (a *API) Authorize(r *http.Request, body []byte, service, need string) (Caller, error) {
	p, err := a.authorize(r, body, service, need)
	c := Caller{AccessKeyID: p.AccessKeyID, Role: p.Role}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return c, &AuthError{Denied: errors.Is(err, errRoleDenied), Message: apiErr.Message}
	}
	return c, err
}

// errRoleDenied marks authorize's refusal of a valid signature whose key's
// role does not include the one the call needs.
var errRoleDenied = errors.New("role does not allow the call")

// Signed refuses a request that carries no SigV4 signature at all (no
// Authorization header, no presigned query) for service, so a caller can
// refuse it before reading its body. Refusals are *AuthError.
func (a *API) Signed(r *http.Request, service string) error {
	if err := a.signed(r, service); err != nil {
		var apiErr *Error
		if errors.As(err, &apiErr) {
			return &AuthError{Message: apiErr.Message}
		}
		return err
	}
	return nil
}

// Audit appends one line to the audit log, as a mutating API call does:
// who (accessKeyID, "" when the request was refused before it was
// authenticated), what (operation, e.g. "PutSecretValue") to which
// resource (an ARN, or the request path), and the response status.
// Callers must never pass secret values.
func (a *API) Audit(r *http.Request, requestID, accessKeyID, operation, resource string, status int) {
	a.audit.write(auditRecord{
		Time:        a.clock.Now().UTC().Format(time.RFC3339Nano),
		RequestID:   requestID,
		AccessKeyID: accessKeyID,
		SourceIP:    sourceIP(r),
		Operation:   operation,
		Resource:    resource,
		Status:      status,
	}, a.log)
}
