package secrets

import (
	"context"
	"maps"
	"slices"
	"unicode/utf8"

	"boxcar/internal/configstore"
)

// TagResource, UntagResource and GetResourcePolicy: the resource-level
// calls Terraform makes.

func (v *Vault) tagResource(ctx context.Context, in *tagResourceRequest) (string, error) {
	if err := firstError([]error{checkSecretID(in.SecretID), checkTags(in.Tags)}); err != nil {
		return in.SecretID, err
	}
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		if scheduled(s) {
			return markedForDeletion()
		}
		tags := tagMap(s.Tags, in.Tags)
		if len(tags) > maxTags {
			return invalidParam("Tags: a secret has at most %d tags; this would make %d", maxTags, len(tags))
		}
		s.Tags = tags
		return nil
	})
	if err != nil {
		return in.SecretID, err
	}
	return s.ARN, nil
}

func (v *Vault) untagResource(ctx context.Context, in *untagResourceRequest) (string, error) {
	errs := []error{checkSecretID(in.SecretID)}
	for i, k := range in.TagKeys {
		if k == "" || utf8.RuneCountInString(k) > maxTagKeyLen {
			errs = append(errs, invalidParam("TagKeys[%d]: must be 1 to %d characters", i, maxTagKeyLen))
		}
	}
	if err := firstError(errs); err != nil {
		return in.SecretID, err
	}
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		if scheduled(s) {
			return markedForDeletion()
		}
		for _, k := range in.TagKeys {
			delete(s.Tags, k)
		}
		if len(s.Tags) == 0 {
			s.Tags = nil
		}
		return nil
	})
	if err != nil {
		return in.SecretID, err
	}
	return s.ARN, nil
}

// getResourcePolicy answers that the secret has no resource policy: Boxcar
// authorizes by API key role, not IAM policies.
func (v *Vault) getResourcePolicy(ctx context.Context, in *getResourcePolicyRequest) (*arnNameResponse, error) {
	if in.PolicyName != nil {
		return nil, unsupported("PolicyName", "secrets have no resource policies")
	}
	s, err := v.resolve(ctx, in.SecretID)
	if err != nil {
		return nil, err
	}
	return &arnNameResponse{ARN: s.ARN, Name: s.Name}, nil
}

// tagMap returns old with tags set over it.
func tagMap(old map[string]string, tags []tagWire) map[string]string {
	if len(old) == 0 && len(tags) == 0 {
		return nil
	}
	m := maps.Clone(old)
	if m == nil {
		m = make(map[string]string, len(tags))
	}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// tagList returns tags sorted by key.
func tagList(tags map[string]string) []tagWire {
	var out []tagWire
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, tagWire{Key: k, Value: tags[k]})
	}
	return out
}
