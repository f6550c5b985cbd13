package ingest

import (
	"errors"
	"fmt"
	"net/http"
)

// statusError is an error with the HTTP status and the safe message a
// client gets for it. Handlers return errors; reply maps them.
type statusError struct {
	code int
	// msg is sent to the client; err (when set) is the detail that is
	// logged.
	msg string
	err error
	// reason, when set, counts the request in the skipped-uploads metric.
	reason string
}

func (e *statusError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %v", e.msg, e.err)
	}
	return e.msg
}

func (e *statusError) Unwrap() error { return e.err }

// fail makes a statusError.
func fail(code int, reason string, err error, format string, args ...any) *statusError {
	return &statusError{code: code, reason: reason, err: err, msg: fmt.Sprintf(format, args...)}
}

// statusOf returns the status and message for err.
func statusOf(err error) (int, string, string) {
	var se *statusError
	if errors.As(err, &se) {
		return se.code, se.msg, se.reason
	}
	return http.StatusInternalServerError, "internal error", ""
}
