package secrets

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"boxcar/internal/configstore"
)

// The operations of the Secrets Manager API, in Secrets Manager's terms
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/), each
// taking its decoded request and returning its response or an *Error.
// Differences from Secrets Manager are in docs/api.md.

// recovery windows of DeleteSecret, in days.
const (
	defaultRecoveryDays = 30
	minRecoveryDays     = 7
	maxRecoveryDays     = 30
)

// page sizes of the list operations.
const (
	defaultMaxResults = 100
	maxMaxResults     = 100
)

// unsupported refuses a member Boxcar does not implement.
func unsupported(member, why string) *Error {
	return invalidParam("%s is not supported by Boxcar's Secrets Manager API: %s", member, why)
}

func (v *Vault) createSecret(ctx context.Context, in *createSecretRequest) (*createSecretResponse, string, error) {
	var errs []error
	errs = append(errs, checkName(in.Name))
	if in.Description != nil {
		errs = append(errs, checkDescription(*in.Description))
	}
	errs = append(errs, checkKMSKeyID(in.KmsKeyID), checkValue(in.SecretString, in.SecretBinary, true), checkTags(in.Tags))
	if in.ClientRequestToken != "" {
		errs = append(errs, checkToken("ClientRequestToken", in.ClientRequestToken))
	}
	switch {
	case len(in.AddReplicaRegions) > 0:
		errs = append(errs, unsupported("AddReplicaRegions", "Boxcar keeps secrets in one place"))
	case in.CrossAccountPrimaryARN != nil:
		errs = append(errs, unsupported("CrossAccountPrimaryARN", "Boxcar has no accounts to replicate between"))
	case in.Type != nil:
		errs = append(errs, unsupported("Type", "managed external secrets need their partner"))
	}
	if err := firstError(errs); err != nil {
		return nil, "", err
	}
	token := in.ClientRequestToken
	if token == "" {
		token = newUUID()
	}
	value, binary := valueOf(in.SecretString, in.SecretBinary)
	now := v.clock.Now().UTC()

	v.mu.Lock()
	defer v.mu.Unlock()
	old, err := v.store.Secret(ctx, in.Name)
	switch {
	case err == nil && expired(old, now):
		if err := v.remove(ctx, old); err != nil {
			return nil, "", err
		}
	case err == nil && scheduled(old):
		return nil, old.ARN, newError(codeInvalidReq, msgNameScheduled)
	case err == nil:
		// A repeated request (the SDKs retry with the same token) gets
		// the answer of the first one.
		if i := versionIndex(old.Versions, token); i >= 0 && value != nil && v.sameValue(old, &old.Versions[i], value, binary) {
			return &createSecretResponse{ARN: old.ARN, Name: old.Name, VersionID: token}, old.ARN, nil
		}
		return nil, old.ARN, newError(codeExists, "The operation failed because the secret %s already exists.", in.Name)
	case !errors.Is(err, configstore.ErrNotFound):
		return nil, "", err
	}
	s := &configstore.Secret{
		ARN:             v.newARN(in.Name),
		Name:            in.Name,
		KMSKeyID:        in.KmsKeyID,
		Tags:            tagMap(nil, in.Tags),
		CreatedDate:     now,
		LastChangedDate: now,
	}
	if in.Description != nil {
		s.Description = *in.Description
	}
	out := &createSecretResponse{ARN: s.ARN, Name: s.Name}
	if value != nil {
		s.Versions = []configstore.SecretVersion{{ID: token, Stages: []string{StageCurrent}, CreatedDate: now, Binary: binary}}
		v.sealValue(s, &s.Versions[0], value)
		out.VersionID = token
	}
	if err := v.store.CreateSecret(ctx, s); err != nil {
		if errors.Is(err, configstore.ErrExists) {
			return nil, s.ARN, newError(codeExists, "The operation failed because the secret %s already exists.", in.Name)
		}
		return nil, s.ARN, err
	}
	v.index(s)
	return out, s.ARN, nil
}

func (v *Vault) describeSecret(ctx context.Context, in *secretIDRequest) (*describeSecretResponse, error) {
	s, err := v.resolve(ctx, in.SecretID)
	if err != nil {
		return nil, err
	}
	return &describeSecretResponse{
		ARN:                s.ARN,
		Name:               s.Name,
		Description:        s.Description,
		KmsKeyID:           s.KMSKeyID,
		CreatedDate:        epochOf(s.CreatedDate),
		LastChangedDate:    epochOf(s.LastChangedDate),
		DeletedDate:        epochOf(s.DeletedDate),
		Tags:               tagList(s.Tags),
		VersionIdsToStages: stagesByVersion(s),
	}, nil
}

func (v *Vault) getSecretValue(ctx context.Context, in *getSecretValueRequest) (*getSecretValueResponse, error) {
	if in.VersionStage != "" {
		if err := checkStage(in.VersionStage); err != nil {
			return nil, err
		}
	}
	s, err := v.resolve(ctx, in.SecretID)
	if err != nil {
		return nil, err
	}
	if scheduled(s) {
		return nil, markedForDeletion()
	}
	i := -1
	switch {
	case in.VersionID != "":
		i = versionIndex(s.Versions, in.VersionID)
		if i >= 0 && in.VersionStage != "" && !slices.Contains(s.Versions[i].Stages, in.VersionStage) {
			i = -1
		}
		if i < 0 {
			return nil, newError(codeNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s", truncate(in.VersionID, 64))
		}
	default:
		stage := in.VersionStage
		if stage == "" {
			stage = StageCurrent
		}
		if i = stageOwner(s.Versions, stage); i < 0 {
			return nil, newError(codeNotFound, "Secrets Manager can't find the specified secret value for staging label: %s", stage)
		}
	}
	ver := &s.Versions[i]
	plain, err := v.openValue(s, ver)
	if err != nil {
		return nil, err
	}
	out := &getSecretValueResponse{
		ARN:           s.ARN,
		Name:          s.Name,
		VersionID:     ver.ID,
		VersionStages: nonNil(ver.Stages),
		CreatedDate:   epochOf(ver.CreatedDate),
	}
	if ver.Binary {
		out.SecretBinary = plain
	} else {
		str := string(plain)
		out.SecretString = &str
	}
	return out, nil
}

func (v *Vault) putSecretValue(ctx context.Context, in *putSecretValueRequest) (*putSecretValueResponse, string, error) {
	errs := []error{checkSecretID(in.SecretID), checkValue(in.SecretString, in.SecretBinary, false)}
	if in.ClientRequestToken != "" {
		errs = append(errs, checkToken("ClientRequestToken", in.ClientRequestToken))
	}
	if in.RotationToken != nil {
		errs = append(errs, unsupported("RotationToken", "Boxcar does not run rotation functions"))
	}
	stages := in.VersionStages
	if stages == nil {
		stages = []string{StageCurrent}
	}
	errs = append(errs, checkStages(stages))
	if err := firstError(errs); err != nil {
		return nil, in.SecretID, err
	}
	token := in.ClientRequestToken
	if token == "" {
		token = newUUID()
	}
	value, binary := valueOf(in.SecretString, in.SecretBinary)
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		return v.addVersion(s, token, value, binary, stages)
	})
	if err != nil {
		return nil, in.SecretID, err
	}
	i := versionIndex(s.Versions, token)
	return &putSecretValueResponse{ARN: s.ARN, Name: s.Name, VersionID: token, VersionStages: nonNil(s.Versions[i].Stages)}, s.ARN, nil
}

// addVersion adds a version with id token to s and attaches stages to it,
// or returns errNoChange when s has that version with the same value.
func (v *Vault) addVersion(s *configstore.Secret, token string, value []byte, binary bool, stages []string) error {
	if scheduled(s) {
		return markedForDeletion()
	}
	if i := versionIndex(s.Versions, token); i >= 0 {
		if v.sameValue(s, &s.Versions[i], value, binary) {
			return errNoChange
		}
		return newError(codeExists, "You can't modify an existing version, you can only create a new version.")
	}
	now := v.clock.Now().UTC()
	s.Versions = append(s.Versions, configstore.SecretVersion{ID: token, CreatedDate: now, Binary: binary})
	last := len(s.Versions) - 1
	v.sealValue(s, &s.Versions[last], value)
	for _, stage := range stages {
		attachStage(s.Versions, last, stage)
	}
	var ok bool
	if s.Versions, ok = pruneVersions(s.Versions); !ok {
		return newError(codeLimitExceeded, "the secret has %d versions with staging labels; remove labels from old versions first", maxVersions)
	}
	s.LastChangedDate = now
	return nil
}

func (v *Vault) sameValue(s *configstore.Secret, ver *configstore.SecretVersion, value []byte, binary bool) bool {
	if ver.Binary != binary {
		return false
	}
	plain, err := v.openValue(s, ver)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(plain, value) == 1
}

func (v *Vault) updateSecret(ctx context.Context, in *updateSecretRequest) (*updateSecretResponse, string, error) {
	errs := []error{checkSecretID(in.SecretID), checkValue(in.SecretString, in.SecretBinary, true)}
	if in.Description != nil {
		errs = append(errs, checkDescription(*in.Description))
	}
	if in.KmsKeyID != nil {
		errs = append(errs, checkKMSKeyID(*in.KmsKeyID))
	}
	if in.ClientRequestToken != "" {
		errs = append(errs, checkToken("ClientRequestToken", in.ClientRequestToken))
	}
	if in.Type != nil {
		errs = append(errs, unsupported("Type", "managed external secrets need their partner"))
	}
	if err := firstError(errs); err != nil {
		return nil, in.SecretID, err
	}
	token := in.ClientRequestToken
	if token == "" {
		token = newUUID()
	}
	value, binary := valueOf(in.SecretString, in.SecretBinary)
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		if scheduled(s) {
			return markedForDeletion()
		}
		if in.Description != nil {
			s.Description = *in.Description
		}
		if in.KmsKeyID != nil {
			s.KMSKeyID = *in.KmsKeyID
		}
		s.LastChangedDate = v.clock.Now().UTC()
		if value == nil {
			return nil
		}
		err := v.addVersion(s, token, value, binary, []string{StageCurrent})
		if errors.Is(err, errNoChange) {
			return nil // the metadata may still have changed
		}
		return err
	})
	if err != nil {
		return nil, in.SecretID, err
	}
	out := &updateSecretResponse{ARN: s.ARN, Name: s.Name}
	if value != nil {
		out.VersionID = token
	}
	return out, s.ARN, nil
}

// updateSecretVersionStage moves or removes one staging label. Moving a
// label another version has needs RemoveFromVersionId naming that version;
// AWSCURRENT can be moved but not removed; moving AWSCURRENT moves
// AWSPREVIOUS to the version it left.
func (v *Vault) updateSecretVersionStage(ctx context.Context, in *updateSecretVersionStageRequest) (*arnNameResponse, string, error) {
	errs := []error{checkSecretID(in.SecretID), checkStage(in.VersionStage)}
	switch {
	case in.MoveToVersionID == "" && in.RemoveFromVersionID == "":
		errs = append(errs, invalidParam("set MoveToVersionId, RemoveFromVersionId or both"))
	case in.MoveToVersionID == "" && in.VersionStage == StageCurrent:
		errs = append(errs, invalidParam("You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed."))
	}
	if err := firstError(errs); err != nil {
		return nil, in.SecretID, err
	}
	s, err := v.change(ctx, in.SecretID, func(s *configstore.Secret) error {
		if scheduled(s) {
			return markedForDeletion()
		}
		owner := stageOwner(s.Versions, in.VersionStage)
		if in.RemoveFromVersionID != "" {
			from := versionIndex(s.Versions, in.RemoveFromVersionID)
			if from < 0 {
				return newError(codeNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s", truncate(in.RemoveFromVersionID, 64))
			}
			if from != owner {
				return invalidParam("The staging label %s is not attached to the version %s; it can't be removed from it.", in.VersionStage, in.RemoveFromVersionID)
			}
		}
		if in.MoveToVersionID == "" {
			detachStage(s.Versions, owner, in.VersionStage)
		} else {
			to := versionIndex(s.Versions, in.MoveToVersionID)
			switch {
			case to < 0:
				return newError(codeNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s", truncate(in.MoveToVersionID, 64))
			case owner >= 0 && owner != to && in.RemoveFromVersionID == "":
				return invalidParam("The staging label %s is currently attached to version %s; to move it, also name that version in RemoveFromVersionId.", in.VersionStage, s.Versions[owner].ID)
			case owner != to && len(s.Versions[to].Stages) >= maxStagesPerVersion:
				return newError(codeLimitExceeded, "a version carries at most %d staging labels", maxStagesPerVersion)
			}
			attachStage(s.Versions, to, in.VersionStage)
		}
		s.LastChangedDate = v.clock.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, in.SecretID, err
	}
	return &arnNameResponse{ARN: s.ARN, Name: s.Name}, s.ARN, nil
}

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

func checkStages(stages []string) error {
	if len(stages) == 0 || len(stages) > maxStagesPerVersion {
		return invalidParam("VersionStages: 1 to %d staging labels, got %d", maxStagesPerVersion, len(stages))
	}
	for i, s := range stages {
		if err := checkStage(s); err != nil {
			return err
		}
		if slices.Contains(stages[:i], s) {
			return invalidParam("VersionStages: %q is listed twice", s)
		}
	}
	return nil
}

// valueOf returns the bytes of a SecretString or SecretBinary (nil for
// neither) and whether it is binary.
func valueOf(str *string, bin []byte) ([]byte, bool) {
	switch {
	case str != nil:
		return []byte(*str), false
	case bin != nil:
		return bytes.Clone(bin), true
	}
	return nil, false
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

// stagesByVersion maps the id of every version with staging labels to
// them; versions without labels are deprecated and left out.
func stagesByVersion(s *configstore.Secret) map[string][]string {
	m := make(map[string][]string)
	for _, ver := range s.Versions {
		if len(ver.Stages) > 0 {
			m[ver.ID] = ver.Stages
		}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
