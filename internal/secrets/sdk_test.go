package secrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	mptypes "github.com/aws/aws-sdk-go-v2/service/mediapackage/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
	"boxcar/internal/control"
	"boxcar/internal/secrets"
	boxtest "boxcar/internal/testutil"
)

const (
	adminKey    = "AKIDSECRETSADMIN"
	adminSecret = "admin-secret-0123456789abcdefghij"
	readKey     = "AKIDSECRETSREAD"
	readSecret  = "read-secret-0123456789abcdefghijk"
	region      = "eu-west-1"
	account     = "123456789012"
	configARN   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:from-config-AbCdEf"
)

// env is the control plane and the Secrets Manager API on one mux, as the
// server composes them, with the official SDK clients of both.
type env struct {
	url      string
	admin    *secretsmanager.Client
	reader   *secretsmanager.Client
	mp       *mediapackage.Client
	vault    *secrets.Vault
	clock    *clock.Fake
	audit    *boxtest.Buffer
	logs     *boxtest.Buffer
	registry *prometheus.Registry
}

func newEnv(t *testing.T, mod func(*config.Config)) *env {
	t.Helper()
	st, err := configstore.OpenBolt(filepath.Join(t.TempDir(), "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Region, cfg.AccountID, cfg.PublicURL = region, account, "https://boxcar.example.com"
	cfg.Auth.AdminAccessKeyID, cfg.Auth.AdminSecretAccessKey = adminKey, adminSecret
	cfg.Auth.Keys = []config.APIKey{{AccessKeyID: readKey, SecretAccessKey: readSecret, Role: config.RoleReadOnly}}
	cfg.Egress.CDNSecrets = map[string]config.CDNSecret{configARN: {Current: "from-config-value"}}
	if mod != nil {
		mod(&cfg)
	}
	e := &env{clock: clock.NewFake(time.Now()), audit: &boxtest.Buffer{}, logs: &boxtest.Buffer{}, registry: prometheus.NewRegistry()}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.vault, err = secrets.Open(context.Background(), secrets.Options{Store: st, Config: cfg, Key: bytes.Repeat([]byte{7}, secrets.KeySize), Clock: e.clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	api, err := control.New(control.Options{Config: cfg, Store: st, Logger: logger, Registry: e.registry, AuditLog: e.audit, Secrets: e.vault})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := secrets.NewAPI(secrets.APIOptions{Vault: e.vault, Auth: api, Logger: logger, Registry: e.registry})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	sm.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.admin = e.client(adminKey, adminSecret)
	e.reader = e.client(readKey, readSecret)
	e.mp = mediapackage.New(mediapackage.Options{Region: region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(adminKey, adminSecret, ""), Retryer: aws.NopRetryer{}})
	return e
}

func (e *env) client(key, secret string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       region,
		BaseEndpoint: aws.String(e.url),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func cdnJSON(id string) *string { return aws.String(`{"MediaPackageCDNIdentifier":"` + id + `"}`) }

// apiError returns the code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an API error", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

var arnPattern = regexp.MustCompile(`^arn:aws:secretsmanager:eu-west-1:123456789012:secret:cdn/news-[A-Za-z0-9]{6}$`)

// TestTerraformLifecycle makes the calls Terraform's aws_secretsmanager_secret
// and aws_secretsmanager_secret_version make (terraform-provider-aws
// internal/service/secretsmanager: secret.go, secret_version.go) to create,
// read, update and delete a secret and its versions.
func TestTerraformLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	sm := e.admin

	// resourceSecretCreate: CreateSecret with a token, then DescribeSecret.
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("cdn/news"), Description: aws.String("CDN identifier"),
		ClientRequestToken: aws.String("tf-00000000000000000000000000000001"),
		Tags:               []types.Tag{{Key: aws.String("team"), Value: aws.String("video")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	if !arnPattern.MatchString(arn) || created.VersionId != nil {
		t.Fatalf("CreateSecret: ARN %q, VersionId %v; want %s and no version", arn, created.VersionId, arnPattern)
	}
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Name) != "cdn/news" || aws.ToString(desc.Description) != "CDN identifier" || desc.DeletedDate != nil ||
		len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Value) != "video" || desc.CreatedDate == nil || len(desc.VersionIdsToStages) != 0 {
		t.Fatalf("DescribeSecret: %+v", desc)
	}
	// resourceSecretRead reads the policy: none.
	pol, err := sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: &arn})
	if err != nil || pol.ResourcePolicy != nil || aws.ToString(pol.ARN) != arn {
		t.Fatalf("GetResourcePolicy: %+v, %v", pol, err)
	}

	// resourceSecretVersionCreate: PutSecretValue, then GetSecretValue by
	// version id.
	put1, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &arn, SecretString: cdnJSON("value-one-0001")})
	if err != nil {
		t.Fatal(err)
	}
	v1 := aws.ToString(put1.VersionId)
	if !cmp.Equal(put1.VersionStages, []string{"AWSCURRENT"}) {
		t.Errorf("first PutSecretValue stages %q, want [AWSCURRENT]", put1.VersionStages)
	}
	got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn, VersionId: &v1})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SecretString) != *cdnJSON("value-one-0001") || !cmp.Equal(got.VersionStages, []string{"AWSCURRENT"}) || aws.ToString(got.ARN) != arn {
		t.Errorf("GetSecretValue: %q %q", aws.ToString(got.SecretString), got.VersionStages)
	}
	// A retry with the same token and value is the same version; another
	// value under it is refused.
	again, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &arn, ClientRequestToken: &v1, SecretString: cdnJSON("value-one-0001")})
	if err != nil || aws.ToString(again.VersionId) != v1 {
		t.Fatalf("repeated PutSecretValue: %+v, %v", again, err)
	}
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &arn, ClientRequestToken: &v1, SecretString: cdnJSON("other-value-01")})
	var exists *types.ResourceExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("PutSecretValue changing a version: got %v, want ResourceExistsException", err)
	}

	// A second version takes AWSCURRENT; the first keeps AWSPREVIOUS.
	put2, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("cdn/news"), SecretString: cdnJSON("value-two-0002")})
	if err != nil {
		t.Fatal(err)
	}
	v2 := aws.ToString(put2.VersionId)
	wantStages := map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}}
	if got := listStages(t, sm, arn); !cmp.Equal(got, wantStages) {
		t.Errorf("versions after rotation (-want +got):\n%s", cmp.Diff(wantStages, got))
	}
	prev, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn, VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(prev.VersionId) != v1 {
		t.Fatalf("GetSecretValue AWSPREVIOUS: %+v, %v", prev, err)
	}

	// resourceSecretVersionUpdate moving AWSCURRENT to v1: it lists the
	// versions to find RemoveFromVersionId.
	_, err = sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn, VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: &v1})
	var badParam *types.InvalidParameterException
	if !errors.As(err, &badParam) {
		t.Fatalf("moving AWSCURRENT without RemoveFromVersionId: got %v, want InvalidParameterException", err)
	}
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn, VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: &v1, RemoveFromVersionId: &v2}); err != nil {
		t.Fatal(err)
	}
	wantStages = map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPREVIOUS"}}
	if got := listStages(t, sm, arn); !cmp.Equal(got, wantStages) {
		t.Errorf("versions after moving AWSCURRENT back (-want +got):\n%s", cmp.Diff(wantStages, got))
	}
	_, err = sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn, VersionStage: aws.String("AWSCURRENT"), RemoveFromVersionId: &v1})
	if !errors.As(err, &badParam) {
		t.Fatalf("removing AWSCURRENT: got %v, want InvalidParameterException", err)
	}
	// resourceSecretVersionDelete removes the version's other labels.
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn, VersionStage: aws.String("AWSPREVIOUS"), RemoveFromVersionId: &v2}); err != nil {
		t.Fatal(err)
	}
	deprecated, err := sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: &arn, IncludeDeprecated: aws.Bool(true)})
	if err != nil || len(deprecated.Versions) != 2 {
		t.Fatalf("ListSecretVersionIds with deprecated: %+v, %v", deprecated, err)
	}
	if got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn, VersionId: &v2}); err != nil || len(got.VersionStages) != 0 {
		t.Fatalf("GetSecretValue of a deprecated version: %+v, %v", got, err)
	}

	// resourceSecretUpdate and tags.
	if _, err := sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: &arn, Description: aws.String("rotated monthly")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: &arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: &arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	desc, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("cdn/news")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Description) != "rotated monthly" || len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Key) != "env" {
		t.Errorf("after UpdateSecret and tagging: description %q, tags %+v", aws.ToString(desc.Description), desc.Tags)
	}

	// resourceSecretDelete with the default recovery window: the secret is
	// "gone" for Terraform (DeletedDate set) and unusable.
	del, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn, RecoveryWindowInDays: aws.Int64(30)})
	if err != nil {
		t.Fatal(err)
	}
	if d := del.DeletionDate.Sub(e.clock.Now()); d < 30*24*time.Hour-time.Second || d > 30*24*time.Hour+time.Second {
		t.Errorf("DeletionDate is %s from now, want 30 days", d)
	}
	desc, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn})
	if err != nil || desc.DeletedDate == nil {
		t.Fatalf("DescribeSecret of a deleted secret: DeletedDate %v, %v; want set", desc.DeletedDate, err)
	}
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	var invalidReq *types.InvalidRequestException
	if !errors.As(err, &invalidReq) || !strings.Contains(invalidReq.ErrorMessage(), "marked for deletion") {
		t.Fatalf("GetSecretValue of a deleted secret: got %v, want InvalidRequestException …marked for deletion…", err)
	}
	_, err = sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cdn/news")})
	if !errors.As(err, &invalidReq) || !strings.Contains(invalidReq.ErrorMessage(), "scheduled for deletion") {
		t.Fatalf("CreateSecret over a deleted secret: got %v, want InvalidRequestException …scheduled for deletion…", err)
	}
	list, err := sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if err != nil || len(list.SecretList) != 0 {
		t.Fatalf("ListSecrets hides deleted secrets: %+v, %v", list, err)
	}
	list, err = sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if err != nil || len(list.SecretList) != 1 || list.SecretList[0].DeletedDate == nil {
		t.Fatalf("ListSecrets with IncludePlannedDeletion: %+v, %v", list, err)
	}
	if _, err := sm.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: &arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn}); err != nil {
		t.Fatalf("GetSecretValue after RestoreSecret: %v", err)
	}

	// recovery_window_in_days = 0: ForceDeleteWithoutRecovery, then
	// DescribeSecret until not found; the name can be used again at once.
	_, err = sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn, ForceDeleteWithoutRecovery: aws.Bool(true), RecoveryWindowInDays: aws.Int64(7)})
	if !errors.As(err, &badParam) {
		t.Fatalf("DeleteSecret with both options: got %v, want InvalidParameterException", err)
	}
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn, ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() == "" {
		t.Fatalf("DescribeSecret after a forced delete: got %v, want ResourceNotFoundException with a message", err)
	}
	re, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cdn/news"), SecretString: cdnJSON("value-three-03")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(re.ARN) == arn || re.VersionId == nil {
		t.Errorf("re-created secret: ARN %s (old %s), VersionId %v", aws.ToString(re.ARN), arn, re.VersionId)
	}
}

// listStages pages through ListSecretVersionIds two at a time.
func listStages(t *testing.T, sm *secretsmanager.Client, arn string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	p := secretsmanager.NewListSecretVersionIdsPaginator(sm, &secretsmanager.ListSecretVersionIdsInput{SecretId: &arn, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			out[aws.ToString(v.VersionId)] = v.VersionStages
		}
	}
	return out
}

// TestAuth: the same keys and roles as the MediaPackage API, refusals as
// errors the SDK parses, every mutating call in the audit log, no value
// in any log.
func TestAuth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	const value = "audit-canary-value-93b1"
	created, err := e.admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cdn"), SecretString: cdnJSON(value)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)

	// Read-only keys see secrets but not their values, and change
	// nothing.
	if code, status := apiError(t, func() error {
		_, err := e.reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
		return err
	}()); code != "AccessDeniedException" || status != http.StatusBadRequest {
		t.Errorf("read-only GetSecretValue: %s (%d), want AccessDeniedException (400)", code, status)
	}
	if got, err := e.admin.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn}); err != nil || !strings.Contains(aws.ToString(got.SecretString), value) {
		t.Fatalf("admin GetSecretValue: %v", err)
	}
	if _, err := e.reader.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn}); err != nil {
		t.Fatalf("read-only DescribeSecret: %v", err)
	}
	if _, err := e.reader.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("read-only ListSecrets: %v", err)
	}
	mutations := map[string]func(c *secretsmanager.Client) error{
		"CreateSecret": func(c *secretsmanager.Client) error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("new")})
			return err
		},
		"PutSecretValue": func(c *secretsmanager.Client) error {
			_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &arn, SecretString: cdnJSON("reader-was-here")})
			return err
		},
		"UpdateSecretVersionStage": func(c *secretsmanager.Client) error {
			_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn, VersionStage: aws.String("x"), MoveToVersionId: created.VersionId})
			return err
		},
		"DeleteSecret": func(c *secretsmanager.Client) error {
			_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn, ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		},
	}
	for name, call := range mutations {
		code, status := apiError(t, call(e.reader))
		if code != "AccessDeniedException" || status != http.StatusBadRequest {
			t.Errorf("read-only %s: %s (%d), want AccessDeniedException (400)", name, code, status)
		}
	}
	if got := listStages(t, e.admin, arn); len(got) != 1 {
		t.Errorf("refused calls changed the secret: versions %v", got)
	}

	for _, c := range []struct {
		name string
		cl   *secretsmanager.Client
	}{
		{"wrong secret", e.client(adminKey, "not-the-secret")},
		{"unknown key", e.client("AKIDUNKNOWN", adminSecret)},
	} {
		_, err := c.cl.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
		if code, status := apiError(t, err); code != "InvalidSignatureException" || status != http.StatusForbidden {
			t.Errorf("%s: %s (%d), want InvalidSignatureException (403)", c.name, code, status)
		}
		_, err = c.cl.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn})
		if code, _ := apiError(t, err); code != "InvalidSignatureException" {
			t.Errorf("%s DeleteSecret: %s, want InvalidSignatureException", c.name, code)
		}
	}
	// The audit log: every mutating call, refused ones too; never a value.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.audit.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		lines = append(lines, rec)
	}
	ops := map[string][]float64{}
	for _, rec := range lines {
		op := rec["operation"].(string)
		ops[op] = append(ops[op], rec["status"].(float64))
	}
	if got := ops["CreateSecret"]; !slices.Contains(got, 200) || !slices.Contains(got, 400) {
		t.Errorf("audit CreateSecret statuses %v, want 200 (admin) and 400 (read-only)", got)
	}
	if got := ops["DeleteSecret"]; !slices.Contains(got, 403) {
		t.Errorf("audit DeleteSecret statuses %v, want the 403 of a bad signature", got)
	}
	if !strings.Contains(e.audit.String(), arn) {
		t.Errorf("audit log does not name the secret's ARN:\n%s", e.audit.String())
	}
	// Value reads are audited (admin and refused read-only ones);
	// descriptions are not.
	if got := ops["GetSecretValue"]; !slices.Contains(got, 200) || !slices.Contains(got, 400) {
		t.Errorf("audit GetSecretValue statuses %v, want 200 (admin) and 400 (read-only)", got)
	}
	if strings.Contains(e.audit.String(), "DescribeSecret") {
		t.Errorf("audit log records descriptions:\n%s", e.audit.String())
	}
	for _, log := range []string{e.audit.String(), e.logs.String()} {
		if strings.Contains(log, value) || strings.Contains(log, "reader-was-here") {
			t.Errorf("a secret value appears in a log:\n%s", log)
		}
	}
	if n := boxtest.Metric(t, e.registry, "boxcar_secrets_requests_total", map[string]string{"operation": "PutSecretValue", "code_class": "4xx"}); n != 1 {
		t.Errorf("boxcar_secrets_requests_total{PutSecretValue,4xx} = %g, want 1", n)
	}
}

// TestEndpointNamesStoredSecret: the MediaPackage API accepts an
// endpoint's cdnIdentifierSecret when it names a secret stored through
// this API (or listed in the configuration), and refuses one that names
// neither or a secret scheduled for deletion.
func TestEndpointNamesStoredSecret(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if _, err := e.mp.CreateChannel(ctx, &mediapackage.CreateChannelInput{Id: aws.String("ch")}); err != nil {
		t.Fatal(err)
	}
	created, err := e.admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cdn"), SecretString: cdnJSON("abcdefgh-1234")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	endpoint := func(id, secretARN string) error {
		_, err := e.mp.CreateOriginEndpoint(ctx, &mediapackage.CreateOriginEndpointInput{
			Id: aws.String(id), ChannelId: aws.String("ch"), HlsPackage: &mptypes.HlsPackage{},
			Authorization: &mptypes.Authorization{CdnIdentifierSecret: aws.String(secretARN), SecretsRoleArn: aws.String("arn:aws:iam::123456789012:role/mp")},
		})
		return err
	}
	if err := endpoint("stored", arn); err != nil {
		t.Fatalf("endpoint naming a stored secret: %v", err)
	}
	if err := endpoint("configured", configARN); err != nil {
		t.Fatalf("endpoint naming a configured secret: %v", err)
	}
	var unprocessable *mptypes.UnprocessableEntityException
	for _, bad := range []string{otherSuffix(arn), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cdn"} {
		if err := endpoint("bad", bad); !errors.As(err, &unprocessable) {
			t.Errorf("endpoint naming %s: got %v, want UnprocessableEntityException", bad, err)
		}
	}
	if _, err := e.admin.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn}); err != nil {
		t.Fatal(err)
	}
	if err := endpoint("deleted", arn); !errors.As(err, &unprocessable) || !strings.Contains(unprocessable.ErrorMessage(), "scheduled for deletion") {
		t.Errorf("endpoint naming a deleted secret: got %v, want UnprocessableEntityException …scheduled for deletion…", err)
	}
}

// otherSuffix changes the last character of an ARN's random suffix.
func otherSuffix(arn string) string {
	last := "Q"
	if arn[len(arn)-1] == 'Q' {
		last = "R"
	}
	return arn[:len(arn)-1] + last
}
