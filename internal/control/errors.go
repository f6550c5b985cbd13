package control

import (
	"errors"
	"fmt"
	"net/http"
)

// Error types as the classic MediaPackage API names them in the
// x-amzn-ErrorType header; the AWS SDKs turn them into typed errors.
const (
	errNotFound       = "NotFoundException"
	errUnprocessable  = "UnprocessableEntityException"
	errForbidden      = "ForbiddenException"
	errTooManyRequest = "TooManyRequestsException"
	errInternal       = "InternalServerErrorException"
	// Not in the service model (the SDKs report them as generic API
	// errors); used where HTTP has a more precise status.
	errTooLarge         = "RequestEntityTooLargeException"
	errMethodNotAllowed = "MethodNotAllowedException"
)

// Error is an API error: an HTTP status, the error type sent in
// x-amzn-ErrorType and a message safe to show the client. Handlers return
// it; writeError at the edge turns it into the response.
type Error struct {
	Status  int
	Type    string
	Message string
	// kind, if set, is a sentinel the error matches with errors.Is
	// (ErrNotJSONObject, errRoleDenied).
	kind error
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Type, e.Status, e.Message) }

func (e *Error) Unwrap() error { return e.kind }

func notFound(format string, a ...any) *Error {
	return &Error{Status: http.StatusNotFound, Type: errNotFound, Message: fmt.Sprintf(format, a...)}
}

func unprocessable(format string, a ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Type: errUnprocessable, Message: fmt.Sprintf(format, a...)}
}

// notJSONObject is unprocessable for a request body that is not one JSON
// object; it matches ErrNotJSONObject.
func notJSONObject(format string, a ...any) *Error {
	e := unprocessable(format, a...)
	e.kind = ErrNotJSONObject
	return e
}

func forbidden(format string, a ...any) *Error {
	return &Error{Status: http.StatusForbidden, Type: errForbidden, Message: fmt.Sprintf(format, a...)}
}

// fieldErrors collects validation problems of one request so the client
// sees all of them at once; nothing is applied while any exists.
type fieldErrors struct {
	list []string
}

// maxReportedErrors bounds the message of a request with many problems.
const maxReportedErrors = 20

func (fe *fieldErrors) add(field, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if field != "" {
		msg = field + ": " + msg
	}
	fe.list = append(fe.list, msg)
}

func (fe *fieldErrors) err() error {
	if len(fe.list) == 0 {
		return nil
	}
	msgs := fe.list
	more := ""
	if len(msgs) > maxReportedErrors {
		more = fmt.Sprintf("; and %d more", len(msgs)-maxReportedErrors)
		msgs = msgs[:maxReportedErrors]
	}
	msg := ""
	for i, m := range msgs {
		if i > 0 {
			msg += "; "
		}
		msg += m
	}
	return unprocessable("%s%s", msg, more)
}

// asAPIError maps any error to the API error sent to the client. Errors
// that are not *Error are internal: the client gets a generic message
// with the request id, and internal reports true so the caller logs the
// detail.
func asAPIError(err error, requestID string) (apiErr *Error, internal bool) {
	if errors.As(err, &apiErr) {
		return apiErr, false
	}
	return &Error{Status: http.StatusInternalServerError, Type: errInternal,
		Message: "internal error; the server log has the details under request_id " + requestID}, true
}
