package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/control"
)

// Store is the part of the config store the Vault uses;
// configstore.Store implements it.
type Store interface {
	CreateSecret(ctx context.Context, s *configstore.Secret) error
	Secret(ctx context.Context, name string) (*configstore.Secret, error)
	UpdateSecret(ctx context.Context, name string, fn func(*configstore.Secret) error) (*configstore.Secret, error)
	DeleteSecret(ctx context.Context, name string) error
	ListSecrets(ctx context.Context, p configstore.Page) ([]*configstore.Secret, string, error)
}

// Options configure a Vault.
type Options struct {
	Store Store
	// Config supplies Region and AccountID (for ARNs), and the encryption
	// key: Secrets.EncryptionKey, else <DataDir>/secrets.key.
	Config config.Config
	// Key, if set, is the encryption key (KeySize bytes); Config's key
	// settings are then not consulted.
	Key    []byte
	Clock  clock.Clock
	Logger *slog.Logger
}

// purgeInterval is how often Run deletes secrets whose recovery window
// has ended. Until then they are already treated as gone.
const purgeInterval = time.Minute

// Vault keeps the secrets of the Secrets Manager API: their metadata and
// sealed values in the config store, and an in-memory index of the CDN
// identifiers they hold for egress and the control plane. It is safe for
// concurrent use: changes are serialized and each publishes a new
// immutable index, so readers (LookupSecret, CDNIdentifiers) never block
// and see a change as soon as the call that made it has answered.
type Vault struct {
	store     Store
	seal      *sealer
	arnPrefix string // arn:aws:secretsmanager:<region>:<account>:secret:
	clock     clock.Clock
	log       *slog.Logger

	mu  sync.Mutex // serializes changes, so the index follows the store in order
	cdn atomic.Pointer[map[string]*cdnEntry]
}

// Open builds a Vault over opts.Store and indexes the stored secrets. It
// fails when a stored value does not decrypt with the key, which means the
// key is not the one the secrets were written with.
func Open(ctx context.Context, opts Options) (*Vault, error) {
	if opts.Store == nil {
		return nil, errors.New("secrets: Options.Store is nil")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	key := opts.Key
	if key == nil {
		var generated string
		var err error
		key, generated, err = loadKey(opts.Config.Secrets, opts.Config.DataDir)
		if err != nil {
			return nil, err
		}
		if generated != "" {
			opts.Logger.Info("secrets: generated the key that encrypts secret values at rest; back it up with the data directory, or set secrets.encryptionKey (BOXCAR_SECRETS_KEY)", "path", generated)
		}
	}
	seal, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	v := &Vault{
		store:     opts.Store,
		seal:      seal,
		arnPrefix: "arn:aws:secretsmanager:" + opts.Config.Region + ":" + opts.Config.AccountID + ":secret:",
		clock:     opts.Clock,
		log:       opts.Logger,
	}
	all, err := v.all(ctx)
	if err != nil {
		return nil, err
	}
	index := make(map[string]*cdnEntry, len(all))
	for _, s := range all {
		e, err := v.cdnEntryOf(s)
		if err != nil {
			return nil, fmt.Errorf("secrets: secret %q: %w", s.Name, err)
		}
		index[s.ARN] = e
	}
	v.cdn.Store(&index)
	return v, nil
}

// Run deletes secrets whose recovery window has ended, once a minute,
// until ctx ends.
func (v *Vault) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-v.clock.After(purgeInterval):
			if err := v.purge(ctx); err != nil && ctx.Err() == nil {
				v.log.Error("secrets: purge deleted secrets", "err", err)
			}
		}
	}
}

func (v *Vault) purge(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	all, err := v.all(ctx)
	if err != nil {
		return err
	}
	now := v.clock.Now()
	for _, s := range all {
		if !expired(s, now) {
			continue
		}
		if err := v.store.DeleteSecret(ctx, s.Name); err != nil && !errors.Is(err, configstore.ErrNotFound) {
			return err
		}
		v.publish(s.ARN, nil)
		v.log.Info("secrets: secret deleted at the end of its recovery window", "secret", s.ARN)
	}
	return nil
}

// all lists every stored secret, scheduled deletions included.
func (v *Vault) all(ctx context.Context) ([]*configstore.Secret, error) {
	var out []*configstore.Secret
	p := configstore.Page{Limit: 1000}
	for {
		items, next, err := v.store.ListSecrets(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		p.After = next
	}
}

// scheduled reports whether s is scheduled for deletion.
func scheduled(s *configstore.Secret) bool { return !s.DeletedDate.IsZero() }

// expired reports whether s's recovery window has ended: it is gone, even
// before Run removes it.
func expired(s *configstore.Secret, now time.Time) bool {
	return scheduled(s) && !now.Before(s.DeletionDate)
}

// get reads the secret named name, as ErrNotFound when it is absent or
// its recovery window has ended.
func (v *Vault) get(ctx context.Context, name string) (*configstore.Secret, error) {
	s, err := v.store.Secret(ctx, name)
	if errors.Is(err, configstore.ErrNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	if expired(s, v.clock.Now()) {
		return nil, notFound()
	}
	return s, nil
}

// arnSuffixLen is the length of the random part of a secret's ARN, after
// the name and a hyphen.
const arnSuffixLen = 6

// resolve finds the secret a SecretId names: its name, its ARN, or its ARN
// without the random suffix (a partial ARN), as Secrets Manager accepts.
func (v *Vault) resolve(ctx context.Context, id string) (*configstore.Secret, error) {
	if err := checkSecretID(id); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(id, "arn:") {
		return v.get(ctx, id)
	}
	rest, ok := strings.CutPrefix(id, v.arnPrefix)
	if !ok {
		return nil, notFound() // another service, region or account
	}
	if n := len(rest) - arnSuffixLen - 1; n > 0 && rest[n] == '-' {
		s, err := v.get(ctx, rest[:n])
		switch {
		case err == nil && s.ARN == id:
			return s, nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	s, err := v.get(ctx, rest)
	if err != nil {
		return nil, err
	}
	if s.ARN != id && !(strings.HasPrefix(s.ARN, id+"-") && len(s.ARN) == len(id)+1+arnSuffixLen) {
		return nil, notFound()
	}
	return s, nil
}

// errNoChange, returned by a change function, ends the change without
// writing: the request was a repeat (same ClientRequestToken and value).
var errNoChange = errors.New("secrets: no change")

// change applies fn to the secret id names, under the vault's lock and in
// one store transaction, then republishes the secret's CDN entry. fn runs
// inside the transaction: it must not call the store.
func (v *Vault) change(ctx context.Context, id string, fn func(s *configstore.Secret) error) (*configstore.Secret, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	var unchanged *configstore.Secret
	out, err := v.store.UpdateSecret(ctx, s.Name, func(cur *configstore.Secret) error {
		if cur.ARN != s.ARN {
			return notFound() // deleted and re-created meanwhile
		}
		err := fn(cur)
		if errors.Is(err, errNoChange) {
			unchanged = cur
		}
		return err
	})
	switch {
	case unchanged != nil:
		return unchanged, nil
	case errors.Is(err, configstore.ErrNotFound):
		return nil, notFound()
	case err != nil:
		return nil, err
	}
	v.index(out)
	return out, nil
}

// remove deletes the secret now and drops it from the index.
func (v *Vault) remove(ctx context.Context, s *configstore.Secret) error {
	if err := v.store.DeleteSecret(ctx, s.Name); err != nil && !errors.Is(err, configstore.ErrNotFound) {
		return err
	}
	v.publish(s.ARN, nil)
	return nil
}

// sealValue seals a version's value for s.
func (v *Vault) sealValue(s *configstore.Secret, ver *configstore.SecretVersion, plain []byte) {
	ver.Sealed = v.seal.seal(plain, s.ARN, ver.ID, ver.Binary)
}

// openValue decrypts a version's value.
func (v *Vault) openValue(s *configstore.Secret, ver *configstore.SecretVersion) ([]byte, error) {
	return v.seal.open(ver.Sealed, s.ARN, ver.ID, ver.Binary)
}

// newARN returns a new ARN for a secret named name: Secrets Manager's
// form, with six random letters and digits after the name, so a secret
// deleted and created again under its name gets a new ARN.
func (v *Vault) newARN(name string) string {
	return v.arnPrefix + name + "-" + control.RandomString(arnSuffixLen)
}
