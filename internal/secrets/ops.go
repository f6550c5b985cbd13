package secrets

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"slices"

	"boxcar/internal/configstore"
	"boxcar/internal/control"
)

// The operations of the Secrets Manager API, in Secrets Manager's terms
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/), each
// taking its decoded request and returning its response or an *Error.
// Differences from Secrets Manager are in docs/api.md.

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
	token := versionID(in.ClientRequestToken)
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
	return &describeSecretResponse{secretMetadata: metadataOf(s), VersionIdsToStages: stagesByVersion(s)}, nil
}

// metadataOf is what DescribeSecret and ListSecrets tell of s.
func metadataOf(s *configstore.Secret) secretMetadata {
	return secretMetadata{
		ARN:             s.ARN,
		Name:            s.Name,
		Description:     s.Description,
		KmsKeyID:        s.KMSKeyID,
		CreatedDate:     epochOf(s.CreatedDate),
		LastChangedDate: epochOf(s.LastChangedDate),
		DeletedDate:     epochOf(s.DeletedDate),
		Tags:            tagList(s.Tags),
	}
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
	token := versionID(in.ClientRequestToken)
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
	token := versionID(in.ClientRequestToken)
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

// versionID is the id of the version a request adds: its
// ClientRequestToken, or a new UUID when it has none.
func versionID(clientRequestToken string) string {
	if clientRequestToken == "" {
		return control.NewUUID()
	}
	return clientRequestToken
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
