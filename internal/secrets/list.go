package secrets

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strings"

	"boxcar/internal/configstore"
)

// Limits on ListSecrets filters, as Secrets Manager sets them.
const (
	maxFilters          = 10
	maxFilterValues     = 10
	maxFilterValueChars = 512
)

// listSecrets lists secrets, leaving out those scheduled for deletion
// unless IncludePlannedDeletion. Filters: name, tag-key, tag-value
// (prefix, case-sensitive), description (prefix, any case), all (every
// word of the value is a prefix, in any case, of the name, description, a
// tag key or value), primary-region and owning-service (which no Boxcar
// secret has); a value starting with ! negates. Values of one filter are
// alternatives, filters all apply. Sorted by created-date (default),
// last-changed-date or name, asc (default) or desc.
func (v *Vault) listSecrets(ctx context.Context, in *listSecretsRequest) (*listSecretsResponse, error) {
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	var less func(a, b *configstore.Secret) int
	switch in.SortBy {
	case "", "created-date":
		less = func(a, b *configstore.Secret) int { return a.CreatedDate.Compare(b.CreatedDate) }
	case "last-changed-date":
		less = func(a, b *configstore.Secret) int { return a.LastChangedDate.Compare(b.LastChangedDate) }
	case "name":
		less = func(a, b *configstore.Secret) int { return 0 } // the tie-break below
	case "last-accessed-date":
		return nil, unsupported("SortBy last-accessed-date", "Boxcar does not record when a secret was read")
	default:
		return nil, invalidParam("SortBy: must be one of created-date, last-changed-date, name, got %q", truncate(in.SortBy, 40))
	}
	desc := false
	switch in.SortOrder {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return nil, invalidParam("SortOrder: must be asc or desc, got %q", truncate(in.SortOrder, 40))
	}

	all, err := v.all(ctx)
	if err != nil {
		return nil, err
	}
	now := v.clock.Now()
	all = slices.DeleteFunc(all, func(s *configstore.Secret) bool {
		return expired(s, now) || (scheduled(s) && !in.IncludePlannedDeletion) || !matchesAll(s, in.Filters)
	})
	slices.SortStableFunc(all, func(a, b *configstore.Secret) int {
		c := cmp.Or(less(a, b), strings.Compare(a.Name, b.Name))
		if desc {
			return -c
		}
		return c
	})
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	page, next, err := paginate(names, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &listSecretsResponse{SecretList: []secretListEntry{}, NextToken: next}
	byName := make(map[string]*configstore.Secret, len(all))
	for _, s := range all {
		byName[s.Name] = s
	}
	for _, n := range page {
		s := byName[n]
		out.SecretList = append(out.SecretList, secretListEntry{secretMetadata: metadataOf(s), SecretVersionsToStages: stagesByVersion(s)})
	}
	return out, nil
}

func checkFilters(fs []filterWire) error {
	if len(fs) > maxFilters {
		return invalidParam("Filters: at most %d, got %d", maxFilters, len(fs))
	}
	for i, f := range fs {
		switch f.Key {
		case "name", "description", "tag-key", "tag-value", "primary-region", "owning-service", "all":
		default:
			return invalidParam("Filters[%d].Key: must be one of name, description, tag-key, tag-value, primary-region, owning-service, all, got %q", i, truncate(f.Key, 40))
		}
		if len(f.Values) == 0 || len(f.Values) > maxFilterValues {
			return invalidParam("Filters[%d].Values: 1 to %d values, got %d", i, maxFilterValues, len(f.Values))
		}
		for j, val := range f.Values {
			if val == "" || len([]rune(val)) > maxFilterValueChars {
				return invalidParam("Filters[%d].Values[%d]: must be 1 to %d characters", i, j, maxFilterValueChars)
			}
		}
	}
	return nil
}

func matchesAll(s *configstore.Secret, fs []filterWire) bool {
	for _, f := range fs {
		if !matchesFilter(s, f) {
			return false
		}
	}
	return true
}

// matchesFilter reports whether any of f's values matches s.
func matchesFilter(s *configstore.Secret, f filterWire) bool {
	for _, val := range f.Values {
		neg := false
		if rest, ok := strings.CutPrefix(val, "!"); ok && rest != "" {
			neg, val = true, rest
		}
		if matchesValue(s, f.Key, val) != neg {
			return true
		}
	}
	return false
}

func matchesValue(s *configstore.Secret, key, val string) bool {
	switch key {
	case "name":
		return strings.HasPrefix(s.Name, val)
	case "description":
		return hasPrefixFold(s.Description, val)
	case "tag-key":
		for k := range s.Tags {
			if strings.HasPrefix(k, val) {
				return true
			}
		}
	case "tag-value":
		for _, tv := range s.Tags {
			if strings.HasPrefix(tv, val) {
				return true
			}
		}
	case "all":
		for _, word := range strings.Fields(val) {
			if !anyAttributeHasPrefix(s, word) {
				return false
			}
		}
		return true
	}
	return false // primary-region, owning-service: no Boxcar secret has one
}

func anyAttributeHasPrefix(s *configstore.Secret, word string) bool {
	if hasPrefixFold(s.Name, word) || hasPrefixFold(s.Description, word) {
		return true
	}
	for k, tv := range s.Tags {
		if hasPrefixFold(k, word) || hasPrefixFold(tv, word) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// page sizes of the list operations.
const (
	defaultMaxResults = 100
	maxMaxResults     = 100
)

func (v *Vault) listSecretVersionIDs(ctx context.Context, in *listSecretVersionIDsRequest) (*listSecretVersionIDsResponse, error) {
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	s, err := v.resolve(ctx, in.SecretID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ver := range s.Versions {
		if len(ver.Stages) > 0 || in.IncludeDeprecated {
			ids = append(ids, ver.ID)
		}
	}
	page, next, err := paginate(ids, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &listSecretVersionIDsResponse{ARN: s.ARN, Name: s.Name, Versions: []versionListEntry{}, NextToken: next}
	for _, id := range page {
		ver := &s.Versions[versionIndex(s.Versions, id)]
		out.Versions = append(out.Versions, versionListEntry{VersionID: ver.ID, VersionStages: ver.Stages, CreatedDate: epochOf(ver.CreatedDate)})
	}
	return out, nil
}

func maxResults(n *int64) (int, error) {
	if n == nil {
		return defaultMaxResults, nil
	}
	if *n < 1 || *n > maxMaxResults {
		return 0, invalidParam("MaxResults: must be between 1 and %d, got %d", maxMaxResults, *n)
	}
	return int(*n), nil
}

// paginate returns up to limit keys after the one token names, and the
// token of the next page ("" on the last). A token is the last key of the
// previous page, encoded; it goes stale when that key disappears between
// pages (InvalidNextTokenException: list again from the start).
func paginate(keys []string, token string, limit int) ([]string, string, error) {
	start := 0
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		i := slices.Index(keys, string(after))
		if err != nil || i < 0 {
			return nil, "", newError(codeInvalidToken, "NextToken is not valid for this listing (or its last item was deleted meanwhile); list again without it")
		}
		start = i + 1
	}
	end := min(start+limit, len(keys))
	next := ""
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end-1]))
	}
	return keys[start:end], next, nil
}
