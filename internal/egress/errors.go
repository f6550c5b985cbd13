package egress

import (
	"context"
	"errors"
	"net/http"

	"boxcar/internal/configstore"
	"boxcar/internal/packager"
)

// statusError is an error whose status code and client message the egress
// layer decided. Its message is safe to send.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return "egress: " + e.msg }

// Errors the egress layer decides itself.
var (
	errBadPath      = &statusError{http.StatusNotFound, "not found: playback URLs look like /out/v1/{endpointId}/{object}"}
	errNoEndpoint   = &statusError{http.StatusNotFound, "no such origin endpoint"}
	errNoMedia      = &statusError{http.StatusNotFound, "channel has no media yet"}
	errNotFound     = &statusError{http.StatusNotFound, "not found"}
	errDenied       = &statusError{http.StatusForbidden, "origin endpoint does not allow playback (origination is DENY)"}
	errNotAllowed   = &statusError{http.StatusForbidden, "client address is not in the origin endpoint's whitelist"}
	errCDNAuth      = &statusError{http.StatusForbidden, "missing or wrong X-MediaPackage-CDNIdentifier header"}
	errBadQuery     = &statusError{http.StatusBadRequest, "malformed query string"}
	errMethod       = &statusError{http.StatusMethodNotAllowed, "method not allowed: playback accepts GET, HEAD and OPTIONS"}
	errMSS          = &statusError{http.StatusNotImplemented, "Smooth Streaming is not built yet"}
	errNoHLS        = &statusError{http.StatusNotFound, "HLS and CMAF packaging are not available on this server"}
	errNoDASH       = &statusError{http.StatusNotFound, "DASH packaging is not available on this server"}
	errNoPackage    = &statusError{http.StatusInternalServerError, "origin endpoint has no packaging configuration"}
	errEncryption   = &statusError{http.StatusNotImplemented, "encrypted output is not supported yet; remove the endpoint's encryption settings to serve it in the clear"}
	errUnsupported  = &statusError{http.StatusNotImplemented, "this endpoint's configuration is not supported yet"}
	errInternal     = &statusError{http.StatusInternalServerError, "internal error; see the origin's log for the request id"}
	errUnavailable  = &statusError{http.StatusServiceUnavailable, "temporarily unavailable; retry"}
	errRange        = &statusError{http.StatusRequestedRangeNotSatisfiable, "range not satisfiable"}
	errClientClosed = &statusError{499, "client closed request"}
)

// classify maps any error to the status error to send, and reports
// whether its detail is worth logging (unexpected failures only). It is
// the one place where errors become status codes.
func classify(err error) (se *statusError, logDetail bool) {
	var bad *packager.BadRequestError
	switch {
	case errors.As(err, &se):
		return se, se.code >= 500 && se.code != http.StatusNotImplemented
	case errors.As(err, &bad):
		return &statusError{http.StatusBadRequest, bad.Msg}, false
	case errors.Is(err, packager.ErrNotFound), errors.Is(err, configstore.ErrNotFound):
		return errNotFound, false
	case isEncryptionUnsupported(err):
		return errEncryption, false
	case errors.Is(err, errors.ErrUnsupported):
		return errUnsupported, false
	case errors.Is(err, context.Canceled):
		return errClientClosed, false
	case errors.Is(err, context.DeadlineExceeded):
		return errUnavailable, true
	}
	return errInternal, true
}

// isEncryptionUnsupported reports a packager's refusal to encrypt with the
// endpoint's settings.
func isEncryptionUnsupported(err error) bool {
	return errors.Is(err, packager.ErrEncryptionUnsupported)
}
