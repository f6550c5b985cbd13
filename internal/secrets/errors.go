package secrets

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes as Secrets Manager names them in "__type"; the AWS SDKs turn
// the modeled ones into typed errors (types.ResourceNotFoundException, …).
const (
	codeNotFound      = "ResourceNotFoundException"
	codeExists        = "ResourceExistsException"
	codeInvalidParam  = "InvalidParameterException"
	codeInvalidReq    = "InvalidRequestException"
	codeInvalidToken  = "InvalidNextTokenException"
	codeLimitExceeded = "LimitExceededException"
	codeInternal      = "InternalServiceError"
	// Not in the service model: the SDKs report them as generic API errors
	// with this code.
	codeAccessDenied     = "AccessDeniedException"
	codeInvalidSignature = "InvalidSignatureException"
	codeThrottling       = "ThrottlingException"
	codeUnknownOperation = "UnknownOperationException"
	codeSerialization    = "SerializationException"
	codeTooLarge         = "RequestEntityTooLargeException"
)

// Error is a refused request in Secrets Manager's terms: Code is the
// exception name sent as "__type", Message is safe to show the client.
// Handlers and Vault methods return it; the API's edge turns it into the
// response.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "secrets: " + e.Code + ": " + e.Message }

// Is matches the sentinel errors below by code: errors.Is(err,
// secrets.ErrNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinel errors for the codes callers check.
var (
	ErrNotFound   = &Error{Code: codeNotFound}
	ErrInvalidReq = &Error{Code: codeInvalidReq}
)

func newError(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

func invalidParam(format string, a ...any) *Error {
	return newError(codeInvalidParam, format, a...)
}

// Messages the AWS tools match on: Terraform's provider, for one, treats an
// InvalidRequestException containing "marked for deletion" as "gone" and
// retries a create on "scheduled for deletion". Keep them as AWS words them.
const (
	msgSecretNotFound  = "Secrets Manager can't find the specified secret."
	msgMarkedForDelete = "You can't perform this operation on the secret because it was marked for deletion."
	msgNameScheduled   = "You can't create this secret because a secret with this name is already scheduled for deletion."
)

func notFound() *Error { return &Error{Code: codeNotFound, Message: msgSecretNotFound} }

func markedForDeletion() *Error { return &Error{Code: codeInvalidReq, Message: msgMarkedForDelete} }

// status is the HTTP status of an error code. Secrets Manager answers
// client errors with 400 whatever the code, except authentication
// failures (403), as its documented common errors list.
func status(code string) int {
	switch code {
	case codeInternal:
		return http.StatusInternalServerError
	case codeInvalidSignature:
		return http.StatusForbidden
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// asError maps any error to the one sent to the client. Errors that are not
// *Error are internal: the client gets a generic message with the request
// id, and internal reports true so the caller logs the detail.
func asError(err error, requestID string) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	return &Error{Code: codeInternal, Message: "internal error; the server log has the details under request_id " + requestID}, true
}
