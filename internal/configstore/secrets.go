package configstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketSecrets holds the secrets of the Secrets Manager API, keyed by
// name.
var bucketSecrets = []byte("secrets")

// Secret is a secret kept for Boxcar's Secrets Manager–compatible API
// (internal/secrets), which an origin endpoint's
// authorization.cdnIdentifierSecret names by ARN. Metadata is stored in the
// clear; each version's value is sealed (encrypted and authenticated) by
// internal/secrets before it gets here, so the store never holds plaintext.
type Secret struct {
	ARN         string            `json:"arn"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	KMSKeyID    string            `json:"kmsKeyId,omitempty"` // stored for compatibility; Boxcar has no KMS
	Tags        map[string]string `json:"tags,omitempty"`
	CreatedDate time.Time         `json:"createdDate"`
	// LastChangedDate moves with every change of the secret or a version.
	LastChangedDate time.Time `json:"lastChangedDate"`
	// DeletedDate is when DeleteSecret was called; zero unless the secret is
	// scheduled for deletion, which happens at DeletionDate.
	DeletedDate  time.Time `json:"deletedDate,omitzero"`
	DeletionDate time.Time `json:"deletionDate,omitzero"`
	// Versions are in creation order, oldest first.
	Versions []SecretVersion `json:"versions,omitempty"`
}

// SecretVersion is one value of a secret with its staging labels
// (AWSCURRENT, AWSPREVIOUS, custom ones). A version without labels is
// deprecated.
type SecretVersion struct {
	ID          string    `json:"id"`
	Stages      []string  `json:"stages,omitempty"`
	CreatedDate time.Time `json:"createdDate"`
	// Binary is set when the value is a SecretBinary, not a SecretString.
	Binary bool `json:"binary,omitempty"`
	// Sealed is the value as internal/secrets encrypted it.
	Sealed []byte `json:"sealed"`
}

// CreateSecret stores a new secret; ErrExists if a secret with its name
// exists (also one scheduled for deletion).
func (b *Bolt) CreateSecret(ctx context.Context, s *Secret) error {
	if err := checkID("secret", s.Name); err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSecrets)
		if bk.Get([]byte(s.Name)) != nil {
			return fmt.Errorf("%w: secret %q", ErrExists, s.Name)
		}
		_, err := put(bk, "secret", s.Name, s)
		return err
	})
}

// Secret returns the secret with the given name.
func (b *Bolt) Secret(ctx context.Context, name string) (*Secret, error) {
	s := new(Secret)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketSecrets), "secret", name, s)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// UpdateSecret applies fn to the stored secret in one transaction. The
// name and ARN are immutable.
func (b *Bolt) UpdateSecret(ctx context.Context, name string, fn func(*Secret) error) (*Secret, error) {
	var out *Secret
	err := b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSecrets)
		s := new(Secret)
		if err := get(bk, "secret", name, s); err != nil {
			return err
		}
		arn := s.ARN
		if err := fn(s); err != nil {
			return err
		}
		if s.Name != name || s.ARN != arn {
			return fmt.Errorf("configstore: update secret %q: name and ARN are immutable", name)
		}
		data, err := put(bk, "secret", name, s)
		if err != nil {
			return err
		}
		out = new(Secret)
		return json.Unmarshal(data, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSecret removes a secret and every version of it.
func (b *Bolt) DeleteSecret(ctx context.Context, name string) error {
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSecrets)
		if bk.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: secret %q", ErrNotFound, name)
		}
		return bk.Delete([]byte(name))
	})
}

// ListSecrets lists secrets in name order.
func (b *Bolt) ListSecrets(ctx context.Context, p Page) ([]*Secret, string, error) {
	var (
		out  []*Secret
		next string
	)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = list[Secret](tx.Bucket(bucketSecrets), "secret", p, nil)
		return err
	})
	return out, next, err
}
