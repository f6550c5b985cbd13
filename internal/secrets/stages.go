package secrets

import (
	"context"
	"slices"

	"boxcar/internal/configstore"
)

// Staging labels with a meaning. A label is on at most one version of a
// secret at a time; a version without labels is deprecated.
const (
	// StageCurrent marks the value in use: GetSecretValue's default, and
	// the CDN identifier egress checks first.
	StageCurrent = "AWSCURRENT"
	// StagePrevious marks the value AWSCURRENT had before; egress still
	// accepts it so a CDN can switch during rotation.
	StagePrevious = "AWSPREVIOUS"
)

// Limits on versions, as Secrets Manager sets them.
const (
	// maxStagesPerVersion is Secrets Manager's limit of staging labels on
	// one version.
	maxStagesPerVersion = 20
	// maxVersions bounds a secret's versions: the oldest deprecated ones
	// are dropped beyond it (Secrets Manager keeps about 100).
	maxVersions = 100
	maxStageLen = 256
)

// stageOwner returns the index of the version carrying label, or -1.
func stageOwner(vs []configstore.SecretVersion, label string) int {
	for i := range vs {
		if slices.Contains(vs[i].Stages, label) {
			return i
		}
	}
	return -1
}

func versionIndex(vs []configstore.SecretVersion, id string) int {
	for i := range vs {
		if vs[i].ID == id {
			return i
		}
	}
	return -1
}

// attachStage moves label to vs[to], taking it from whichever version had
// it. When AWSCURRENT leaves a version, AWSPREVIOUS moves to that version:
// Secrets Manager's rotation rule, which keeps the value just replaced
// usable.
func attachStage(vs []configstore.SecretVersion, to int, label string) {
	from := stageOwner(vs, label)
	if from == to {
		return
	}
	if from >= 0 {
		detachStage(vs, from, label)
	}
	vs[to].Stages = append(vs[to].Stages, label)
	if label == StageCurrent && from >= 0 {
		attachStage(vs, from, StagePrevious)
	}
}

// detachStage removes label from vs[from].
func detachStage(vs []configstore.SecretVersion, from int, label string) {
	vs[from].Stages = slices.DeleteFunc(vs[from].Stages, func(s string) bool { return s == label })
	if len(vs[from].Stages) == 0 {
		vs[from].Stages = nil
	}
}

// pruneVersions drops the oldest deprecated (unlabeled) versions while
// there are more than maxVersions; it reports false when labeled versions
// alone exceed the limit.
func pruneVersions(vs []configstore.SecretVersion) ([]configstore.SecretVersion, bool) {
	for i := 0; len(vs) > maxVersions && i < len(vs); {
		if len(vs[i].Stages) == 0 {
			vs = slices.Delete(vs, i, i+1)
			continue
		}
		i++
	}
	return vs, len(vs) <= maxVersions
}

// checkStage validates one staging label.
func checkStage(label string) error {
	if label == "" || len(label) > maxStageLen {
		return invalidParam("VersionStage: a staging label is 1 to %d characters, got %d", maxStageLen, len(label))
	}
	return nil
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
