// Package configstore keeps Boxcar's resources — channels (with their ingest
// credentials), origin endpoints, harvest jobs and their tags, and the
// secrets of the Secrets Manager API (values sealed) — durably under
// the data directory. The Store interface is narrow on purpose: the embedded
// bbolt implementation is the default, and a shared database can implement
// the same interface for multi-node deployments.
package configstore

import (
	"context"
	"errors"
)

// Sentinel errors. Callers check them with errors.Is.
var (
	ErrNotFound = errors.New("configstore: not found")
	ErrExists   = errors.New("configstore: already exists")
	// ErrConflict reports a write refused because of related resources
	// (for example deleting a channel that still has origin endpoints).
	ErrConflict = errors.New("configstore: conflict")
)

// Page asks for one page of a listing: up to Limit items whose id sorts
// after After ("" starts at the beginning).
type Page struct {
	After string
	Limit int
}

// HarvestJobFilter narrows ListHarvestJobs.
type HarvestJobFilter struct {
	ChannelID string // "" = any
	Status    string // "" = any
}

// Store persists resources. Every method is safe for concurrent use, and
// every write is atomic and durable when it returns: a crash never leaves a
// half-written resource. Returned values are copies the caller may keep.
//
// List methods return items in id order and the id to pass as the next
// Page.After, or "" when there are no more.
type Store interface {
	CreateChannel(ctx context.Context, ch *Channel) error
	Channel(ctx context.Context, id string) (*Channel, error)
	// UpdateChannel applies fn to the stored channel inside one transaction
	// and stores the result; if fn returns an error nothing changes.
	UpdateChannel(ctx context.Context, id string, fn func(*Channel) error) (*Channel, error)
	// DeleteChannel deletes a channel; ErrConflict if it has endpoints.
	DeleteChannel(ctx context.Context, id string) error
	ListChannels(ctx context.Context, p Page) ([]*Channel, string, error)

	// CreateEndpoint stores a new origin endpoint; ErrNotFound if its
	// channel does not exist, ErrExists if the id is taken.
	CreateEndpoint(ctx context.Context, ep *OriginEndpoint) error
	Endpoint(ctx context.Context, id string) (*OriginEndpoint, error)
	UpdateEndpoint(ctx context.Context, id string, fn func(*OriginEndpoint) error) (*OriginEndpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error
	// ListEndpoints lists endpoints, only those of channelID when it is
	// not "".
	ListEndpoints(ctx context.Context, channelID string, p Page) ([]*OriginEndpoint, string, error)

	CreateHarvestJob(ctx context.Context, job *HarvestJob) error
	HarvestJob(ctx context.Context, id string) (*HarvestJob, error)
	UpdateHarvestJob(ctx context.Context, id string, fn func(*HarvestJob) error) (*HarvestJob, error)
	ListHarvestJobs(ctx context.Context, f HarvestJobFilter, p Page) ([]*HarvestJob, string, error)

	// Secrets of the Secrets Manager API, keyed by name; their values
	// arrive sealed. CreateSecret returns ErrExists if the name is taken.
	CreateSecret(ctx context.Context, s *Secret) error
	Secret(ctx context.Context, name string) (*Secret, error)
	UpdateSecret(ctx context.Context, name string, fn func(*Secret) error) (*Secret, error)
	DeleteSecret(ctx context.Context, name string) error
	// ListSecrets lists secrets in name order.
	ListSecrets(ctx context.Context, p Page) ([]*Secret, string, error)

	// Version increases with every committed change; readers cache derived
	// state and rebuild it when the version moves.
	Version() uint64
	Close() error
}
