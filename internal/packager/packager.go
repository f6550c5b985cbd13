// Package packager holds what every just-in-time packager shares: the
// contract between the egress HTTP layer and the format packagers (hls,
// dash), output segment grouping and numbering derived from the live
// timeline, the live window, and stream selection with measured bitrates.
package packager

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/live"
	"boxcar/internal/store"
)

// Errors a packager returns; the egress layer maps them to status codes.
var (
	// ErrNotFound: no such object, or it is outside the window (404).
	ErrNotFound = errors.New("packager: not found")
	// ErrEncryptionUnsupported: the endpoint asks for encrypted output,
	// which Boxcar does not produce yet (501). Packagers return it for
	// every object of such an endpoint and never serve clear media in its
	// place.
	ErrEncryptionUnsupported = errors.New("packager: encrypted output is not supported yet; remove the endpoint's encryption settings to serve it in the clear")
)

// BadRequestError is a malformed request (400).
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return "packager: bad request: " + e.Msg }

// BadRequest returns a *BadRequestError with a formatted message.
func BadRequest(format string, a ...any) error {
	return &BadRequestError{Msg: fmt.Sprintf(format, a...)}
}

// Request is one playback request routed to a packager.
type Request struct {
	Endpoint *configstore.OriginEndpoint
	// Path is what follows /out/v1/{endpointId}/, e.g. "index.m3u8",
	// "index_1_34.ts" or "<manifestId>/index.m3u8".
	Path  string
	Query url.Values
	// Snapshot is the channel's timeline at the time of the request.
	Snapshot *live.Snapshot
	Now      time.Time
	// Media reads stored fragments and init segments.
	Media store.Store
	// BaseURL is the public URL of the endpoint's root
	// (<public-url>/out/v1/<endpointId>), for absolute URLs such as
	// UTCTiming.
	BaseURL   string
	PublicURL string
}

// Kind classifies an object.
type Kind int

// Kinds of objects.
const (
	KindManifest Kind = iota + 1
	KindSegment
	KindInit
)

// Object is a packaged response body with what the HTTP layer needs to
// serve and cache it.
type Object struct {
	Body        []byte
	ContentType string
	Kind        Kind
	// Immutable objects (segments, init segments) never change for as
	// long as their URL is valid; others are valid for the snapshot they
	// were built from.
	Immutable bool
	// MaxAge is the Cache-Control max-age to send.
	MaxAge time.Duration
	// LastSequence is the newest media sequence number in a manifest
	// (X-MediaPackage-Manifest-Last-Sequence).
	LastSequence uint64
	// LastModified is when the content last changed.
	LastModified time.Time
}

// Packager packages one format.
type Packager interface {
	Package(ctx context.Context, req *Request) (*Object, error)
}
