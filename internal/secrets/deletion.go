package secrets

import (
	"context"
	"time"

	"boxcar/internal/configstore"
)

// DeleteSecret and RestoreSecret: a deleted secret is unusable at once and
// purged when its recovery window ends, unless restored before.

// recovery windows of DeleteSecret, in days.
const (
	defaultRecoveryDays = 30
	minRecoveryDays     = 7
	maxRecoveryDays     = 30
)

// deleteSecret schedules the secret for deletion after a recovery window
// (7–30 days, default 30) during which RestoreSecret brings it back, or
// deletes it at once with ForceDeleteWithoutRecovery. A scheduled secret
// is unusable: its values are not returned and egress refuses its CDN
// identifiers.
func (v *Vault) deleteSecret(ctx context.Context, in *deleteSecretRequest) (*deleteSecretResponse, string, error) {
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	days := int64(defaultRecoveryDays)
	errs := []error{checkSecretID(in.SecretID)}
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		switch {
		case force:
			errs = append(errs, invalidParam("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."))
		case days < minRecoveryDays || days > maxRecoveryDays:
			errs = append(errs, invalidParam("RecoveryWindowInDays: must be between %d and %d, got %d", minRecoveryDays, maxRecoveryDays, days))
		}
	}
	if err := firstError(errs); err != nil {
		return nil, in.SecretID, err
	}
	if force {
		v.mu.Lock()
		defer v.mu.Unlock()
		s, err := v.resolve(ctx, in.SecretID)
		if err != nil {
			return nil, in.SecretID, err
		}
		if err := v.remove(ctx, s); err != nil {
			return nil, s.ARN, err
		}
		return &deleteSecretResponse{ARN: s.ARN, Name: s.Name, DeletionDate: epochOf(v.clock.Now().UTC())}, s.ARN, nil
	}
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		if scheduled(s) {
			return errNoChange // already scheduled: keep its date
		}
		now := v.clock.Now().UTC()
		s.DeletedDate = now
		s.DeletionDate = now.Add(time.Duration(days) * 24 * time.Hour)
		return nil
	})
	if err != nil {
		return nil, in.SecretID, err
	}
	return &deleteSecretResponse{ARN: s.ARN, Name: s.Name, DeletionDate: epochOf(s.DeletionDate)}, s.ARN, nil
}

func (v *Vault) restoreSecret(ctx context.Context, in *secretIDRequest) (*arnNameResponse, string, error) {
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		if !scheduled(s) {
			return errNoChange
		}
		s.DeletedDate, s.DeletionDate = time.Time{}, time.Time{}
		return nil
	})
	if err != nil {
		return nil, in.SecretID, err
	}
	return &arnNameResponse{ARN: s.ARN, Name: s.Name}, s.ARN, nil
}
