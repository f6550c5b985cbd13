package secrets

import (
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
