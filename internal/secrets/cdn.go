package secrets

import (
	"encoding/json"
	"maps"
	"time"

	"boxcar/internal/configstore"
)

// CDN authorization (reference/mediapackage.md §3.8): an origin endpoint's
// authorization.cdnIdentifierSecret names a secret whose value is the JSON
// object {"MediaPackageCDNIdentifier": "<value>"}, the value 8 to 128
// characters; playback requests must carry it in the
// X-MediaPackage-CDNIdentifier header. The AWSCURRENT version's value and
// the AWSPREVIOUS one are both accepted, so a CDN can switch during
// rotation.

const (
	cdnIdentifierMember = "MediaPackageCDNIdentifier"
	minCDNIdentifierLen = 8
	maxCDNIdentifierLen = 128
)

// cdnEntry is what the index knows of one secret. Immutable once
// published.
type cdnEntry struct {
	// deletion is when the secret's recovery window ends; zero unless it
	// is scheduled for deletion.
	deletion time.Time
	// ids are the CDN identifiers of AWSCURRENT and AWSPREVIOUS, in that
	// order, leaving out values that are not {"MediaPackageCDNIdentifier":
	// "<8 to 128 characters>"}.
	ids [][]byte
}

// cdnIdentifier extracts the CDN identifier from a secret value.
func cdnIdentifier(value []byte) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(value, &obj); err != nil {
		return nil, false
	}
	var id string
	if err := json.Unmarshal(obj[cdnIdentifierMember], &id); err != nil {
		return nil, false
	}
	if len(id) < minCDNIdentifierLen || len(id) > maxCDNIdentifierLen {
		return nil, false
	}
	return []byte(id), true
}

// cdnEntryOf builds the index entry of s, decrypting the AWSCURRENT and
// AWSPREVIOUS values.
func (v *Vault) cdnEntryOf(s *configstore.Secret) (*cdnEntry, error) {
	e := &cdnEntry{}
	if scheduled(s) {
		e.deletion = s.DeletionDate
	}
	for _, stage := range []string{StageCurrent, StagePrevious} {
		i := stageOwner(s.Versions, stage)
		if i < 0 || s.Versions[i].Binary {
			continue
		}
		plain, err := v.openValue(s, &s.Versions[i])
		if err != nil {
			return nil, err
		}
		if id, ok := cdnIdentifier(plain); ok {
			e.ids = append(e.ids, id)
		}
		clear(plain)
	}
	return e, nil
}

// index republishes s's entry after a change. A value that does not
// decrypt leaves the secret without identifiers (egress refuses it) and is
// logged; it cannot happen to a value this process sealed.
func (v *Vault) index(s *configstore.Secret) {
	e, err := v.cdnEntryOf(s)
	if err != nil {
		v.log.Error("secrets: index secret", "secret", s.ARN, "err", err)
		e = &cdnEntry{deletion: s.DeletionDate}
	}
	v.publish(s.ARN, e)
}

// publish replaces arn's entry (nil removes it) with a new copy of the
// index. Callers hold v.mu.
func (v *Vault) publish(arn string, e *cdnEntry) {
	var next map[string]*cdnEntry
	if cur := v.cdn.Load(); cur != nil {
		next = maps.Clone(*cur)
	}
	if next == nil {
		next = make(map[string]*cdnEntry)
	}
	if e == nil {
		delete(next, arn)
	} else {
		next[arn] = e
	}
	v.cdn.Store(&next)
}

func (v *Vault) entry(arn string) *cdnEntry {
	if idx := v.cdn.Load(); idx != nil {
		return (*idx)[arn]
	}
	return nil
}

// LookupSecret reports whether arn is the ARN of a stored secret and
// whether that secret is scheduled for deletion. It serves the control
// plane's check of authorization.cdnIdentifierSecret; it never blocks.
func (v *Vault) LookupSecret(arn string) (found, deleted bool) {
	e := v.entry(arn)
	switch {
	case e == nil:
		return false, false
	case e.deletion.IsZero():
		return true, false
	case !v.clock.Now().Before(e.deletion):
		return false, false
	}
	return true, true
}

// CDNIdentifiers returns the values the X-MediaPackage-CDNIdentifier header
// may carry for the secret arn — AWSCURRENT's, then AWSPREVIOUS's — or
// none when arn names no usable secret (not stored, scheduled for
// deletion, or without a value of the right form). It reads an immutable
// index, so it is cheap enough for every playback request and reflects a
// change as soon as the API call that made it has answered. The returned
// slices must not be modified.
func (v *Vault) CDNIdentifiers(arn string) [][]byte {
	e := v.entry(arn)
	if e == nil || !e.deletion.IsZero() {
		return nil
	}
	return e.ids
}
