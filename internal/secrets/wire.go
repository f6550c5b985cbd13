package secrets

import (
	"encoding/json"
	"strconv"
	"time"
)

// Wire shapes of the Secrets Manager API (2017-10-17), AWS JSON 1.1:
// PascalCase members, timestamps as epoch seconds, blobs as base64. Each
// request struct lists every member of the operation's input in the service
// model (as of aws-sdk-go-v2/service/secretsmanager v1.51.0), including the
// ones Boxcar does not support: those are refused with a message that says
// so, and any other member is refused as unknown.

type tagWire struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type filterWire struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

// epoch is a timestamp as awsJson sends it: seconds since 1970 with a
// fraction.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// epochOf returns nil for the zero time, so the member is left out.
func epochOf(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type createSecretRequest struct {
	Name                        string            `json:"Name"`
	ClientRequestToken          string            `json:"ClientRequestToken"`
	Description                 *string           `json:"Description"`
	KmsKeyID                    string            `json:"KmsKeyId"`
	SecretBinary                []byte            `json:"SecretBinary"`
	SecretString                *string           `json:"SecretString"`
	Tags                        []tagWire         `json:"Tags"`
	AddReplicaRegions           []json.RawMessage `json:"AddReplicaRegions"`
	ForceOverwriteReplicaSecret bool              `json:"ForceOverwriteReplicaSecret"`
	CrossAccountPrimaryARN      *string           `json:"CrossAccountPrimaryARN"`
	Type                        *string           `json:"Type"`
}

type createSecretResponse struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionID string `json:"VersionId,omitempty"`
}

type secretIDRequest struct {
	SecretID string `json:"SecretId"`
}

// secretMetadata is what DescribeSecret and ListSecrets both tell of a
// secret; its members are inline in both.
type secretMetadata struct {
	ARN             string    `json:"ARN"`
	Name            string    `json:"Name"`
	Description     string    `json:"Description,omitempty"`
	KmsKeyID        string    `json:"KmsKeyId,omitempty"`
	CreatedDate     *epoch    `json:"CreatedDate,omitempty"`
	LastChangedDate *epoch    `json:"LastChangedDate,omitempty"`
	DeletedDate     *epoch    `json:"DeletedDate,omitempty"`
	Tags            []tagWire `json:"Tags,omitempty"`
}

type describeSecretResponse struct {
	secretMetadata
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
}

type getSecretValueRequest struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

type getSecretValueResponse struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	SecretString  *string  `json:"SecretString,omitempty"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   *epoch   `json:"CreatedDate,omitempty"`
}

type putSecretValueRequest struct {
	SecretID           string   `json:"SecretId"`
	ClientRequestToken string   `json:"ClientRequestToken"`
	SecretBinary       []byte   `json:"SecretBinary"`
	SecretString       *string  `json:"SecretString"`
	VersionStages      []string `json:"VersionStages"`
	RotationToken      *string  `json:"RotationToken"`
}

type putSecretValueResponse struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

type updateSecretRequest struct {
	SecretID           string  `json:"SecretId"`
	ClientRequestToken string  `json:"ClientRequestToken"`
	Description        *string `json:"Description"`
	KmsKeyID           *string `json:"KmsKeyId"`
	SecretBinary       []byte  `json:"SecretBinary"`
	SecretString       *string `json:"SecretString"`
	Type               *string `json:"Type"`
}

type updateSecretResponse struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionID string `json:"VersionId,omitempty"`
}

type updateSecretVersionStageRequest struct {
	SecretID            string `json:"SecretId"`
	VersionStage        string `json:"VersionStage"`
	MoveToVersionID     string `json:"MoveToVersionId"`
	RemoveFromVersionID string `json:"RemoveFromVersionId"`
}

// arnNameResponse is the answer of operations that return only the
// secret's ARN and name.
type arnNameResponse struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

type deleteSecretRequest struct {
	SecretID                   string `json:"SecretId"`
	ForceDeleteWithoutRecovery *bool  `json:"ForceDeleteWithoutRecovery"`
	RecoveryWindowInDays       *int64 `json:"RecoveryWindowInDays"`
}

type deleteSecretResponse struct {
	ARN          string `json:"ARN"`
	Name         string `json:"Name"`
	DeletionDate *epoch `json:"DeletionDate,omitempty"`
}

type listSecretsRequest struct {
	Filters                []filterWire `json:"Filters"`
	IncludePlannedDeletion bool         `json:"IncludePlannedDeletion"`
	MaxResults             *int64       `json:"MaxResults"`
	NextToken              string       `json:"NextToken"`
	SortBy                 string       `json:"SortBy"`
	SortOrder              string       `json:"SortOrder"`
}

type secretListEntry struct {
	secretMetadata
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
}

type listSecretsResponse struct {
	SecretList []secretListEntry `json:"SecretList"`
	NextToken  string            `json:"NextToken,omitempty"`
}

type listSecretVersionIDsRequest struct {
	SecretID          string `json:"SecretId"`
	IncludeDeprecated bool   `json:"IncludeDeprecated"`
	MaxResults        *int64 `json:"MaxResults"`
	NextToken         string `json:"NextToken"`
}

type versionListEntry struct {
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages,omitempty"`
	CreatedDate   *epoch   `json:"CreatedDate,omitempty"`
}

type listSecretVersionIDsResponse struct {
	ARN       string             `json:"ARN"`
	Name      string             `json:"Name"`
	Versions  []versionListEntry `json:"Versions"`
	NextToken string             `json:"NextToken,omitempty"`
}

type getResourcePolicyRequest struct {
	SecretID   string  `json:"SecretId"`
	PolicyName *string `json:"PolicyName"`
}

type tagResourceRequest struct {
	SecretID string    `json:"SecretId"`
	Tags     []tagWire `json:"Tags"`
}

type untagResourceRequest struct {
	SecretID string   `json:"SecretId"`
	TagKeys  []string `json:"TagKeys"`
}

// errorResponse is how awsJson 1.1 carries an error: the SDKs read the code
// from "__type" (or the x-amzn-ErrorType header) and the message from
// "message" in any case.
type errorResponse struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}
