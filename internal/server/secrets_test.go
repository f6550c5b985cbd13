package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediapackage"
	mptypes "github.com/aws/aws-sdk-go-v2/service/mediapackage/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"boxcar/internal/config"
	"boxcar/internal/push"
)

const (
	readerKeyID  = "AKIDBOXCARREADER"
	readerSecret = "boxcar-reader-secret"
)

func (o *origin) secretsClient(key, secret string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(o.url),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// cdnSecret is a secret value in MediaPackage's CDN authorization format.
func cdnSecret(id string) *string {
	return aws.String(`{"MediaPackageCDNIdentifier":"` + id + `"}`)
}

// TestCDNAuthorizationWithSecretsManager drives CDN authorization the way
// an AWS user sets it up: the secret created with the Secrets Manager API
// (the official SDK against Boxcar's listener), the endpoint naming its
// ARN through the MediaPackage API, then rotation, stage moves, a restart
// and deletion, each judged by what a CDN's playback requests get.
func TestCDNAuthorizationWithSecretsManager(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	withReader := func(c *config.Config) {
		c.Auth.Keys = append(c.Auth.Keys, config.APIKey{AccessKeyID: readerKeyID, SecretAccessKey: readerSecret, Role: config.RoleReadOnly})
	}
	o := startOrigin(t, dir, withReader)
	sm := o.secretsClient(testKeyID, testSecret)

	const (
		first  = "first-cdn-value-0001"
		second = "second-cdn-value-002"
		third  = "third-cdn-value-0003"
	)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cdn/live"), SecretString: cdnSecret(first)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:000000000000:secret:cdn/live-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:000000000000:secret:cdn/live-")+6 {
		t.Fatalf("ARN %q", arn)
	}

	ie := o.createChannel(t, "live")
	auth := func(secretARN string) *mptypes.Authorization {
		return &mptypes.Authorization{CdnIdentifierSecret: aws.String(secretARN), SecretsRoleArn: aws.String("arn:aws:iam::000000000000:role/MediaPackageSecrets")}
	}
	_, err = o.api.CreateOriginEndpoint(ctx, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("nosuch"),
		HlsPackage: &mptypes.HlsPackage{}, Authorization: auth(strings.TrimSuffix(arn, arn[len(arn)-6:]) + "zzzzzz")})
	var unprocessable *mptypes.UnprocessableEntityException
	if !errors.As(err, &unprocessable) {
		t.Fatalf("endpoint naming an unknown secret: got %v, want UnprocessableEntityException", err)
	}
	ep := o.createEndpoint(t, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("hls"),
		HlsPackage: &mptypes.HlsPackage{}, Authorization: auth(arn)})
	url := aws.ToString(ep.Url)

	var out bytes.Buffer
	if err := push.Run(ctx, push.Options{URL: aws.ToString(ie[0].Url), Username: aws.ToString(ie[0].Username), Password: aws.ToString(ie[0].Password),
		Duration: 12 * time.Second, Status: &out}); err != nil {
		t.Fatalf("push: %v\n%s", err, out.String())
	}

	play := func(id string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if id != "" {
			req.Header.Set("X-MediaPackage-CDNIdentifier", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, 30*time.Second, "the playlist with the CDN identifier", func() bool { return play(first) == http.StatusOK })
	expect := func(step string, want map[string]int) {
		t.Helper()
		for id, code := range want {
			if got := play(id); got != code {
				t.Errorf("%s: playback with identifier %q: %d, want %d", step, id, got, code)
			}
		}
	}
	expect("created", map[string]int{"": 403, first: 200, second: 403})

	// Rotation: the new value takes over within seconds; the one it
	// replaced (AWSPREVIOUS) still works, anything older does not.
	put2, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &arn, SecretString: cdnSecret(second)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the rotated value to be accepted", func() bool { return play(second) == http.StatusOK })
	expect("rotated once", map[string]int{"": 403, first: 200, second: 200, third: 403})
	put3, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("cdn/live"), SecretString: cdnSecret(third)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the second rotation", func() bool { return play(third) == http.StatusOK })
	expect("rotated twice", map[string]int{first: 403, second: 200, third: 200})

	// Rolling back by stage: AWSCURRENT to the second version, AWSPREVIOUS
	// follows to the third.
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn,
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: put2.VersionId, RemoveFromVersionId: put3.VersionId}); err != nil {
		t.Fatal(err)
	}
	cur, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil || aws.ToString(cur.VersionId) != aws.ToString(put2.VersionId) {
		t.Fatalf("AWSCURRENT after the stage move: %v, %v", cur, err)
	}
	// Moving AWSPREVIOUS off the third version leaves only AWSCURRENT.
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: &arn,
		VersionStage: aws.String("AWSPREVIOUS"), RemoveFromVersionId: put3.VersionId}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the stage move to reach playback", func() bool { return play(third) == http.StatusForbidden })
	expect("after stage moves", map[string]int{first: 403, second: 200, third: 403})

	// A read-only key describes but neither reads a value nor changes
	// anything; a wrong signature is refused with an error the SDK parses.
	reader := o.secretsClient(readerKeyID, readerSecret)
	if _, err := reader.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn}); err != nil {
		t.Fatalf("read-only DescribeSecret: %v", err)
	}
	_, err = reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if code, status := apiCode(err); code != "AccessDeniedException" || status != http.StatusBadRequest {
		t.Errorf("read-only GetSecretValue: %v, want AccessDeniedException (400)", err)
	}
	_, err = reader.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &arn, SecretString: cdnSecret("reader-cdn-value")})
	if code, status := apiCode(err); code != "AccessDeniedException" || status != http.StatusBadRequest {
		t.Errorf("read-only PutSecretValue: %v, want AccessDeniedException (400)", err)
	}
	_, err = o.secretsClient(testKeyID, "wrong-secret").GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if code, status := apiCode(err); code != "InvalidSignatureException" || status != http.StatusForbidden {
		t.Errorf("wrong signature: %v, want InvalidSignatureException (403)", err)
	}

	// At rest: neither the config database nor the audit log holds a
	// value; a restart keeps the secret and its stages.
	o.stop()
	db, err := os.ReadFile(filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(db, []byte("cdn/live")) {
		t.Fatal("config.db does not name the secret; wrong file?")
	}
	audit, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(audit, []byte(`"operation":"PutSecretValue"`)) || !bytes.Contains(audit, []byte(arn)) {
		t.Errorf("audit log lacks PutSecretValue on %s:\n%s", arn, audit)
	}
	for _, v := range []string{first, second, third, "reader-cdn-value"} {
		if leaks(db, v) {
			t.Errorf("config.db holds %q in the clear", v)
		}
		if bytes.Contains(audit, []byte(v)) {
			t.Errorf("audit.log holds %q", v)
		}
	}
	key, err := os.Stat(filepath.Join(dir, "secrets.key"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Errorf("secrets.key: %v, mode %v; want a 0600 file", err, key.Mode().Perm())
	}

	o = startOrigin(t, dir, withReader)
	sm = o.secretsClient(testKeyID, testSecret)
	cur, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil || aws.ToString(cur.SecretString) != *cdnSecret(second) {
		t.Fatalf("AWSCURRENT after a restart: %v, %v", cur, err)
	}
	url = o.url + url[strings.Index(url, "/out/"):]
	waitFor(t, 30*time.Second, "playback after the restart", func() bool { return play(second) == http.StatusOK })
	expect("after the restart", map[string]int{"": 403, first: 403, third: 403})

	// Deletion: the secret stops authorizing at once; while it is
	// scheduled the API refuses new endpoints naming it; RestoreSecret brings
	// it back; a forced delete ends it.
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn, RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	expect("deleted, in the recovery window", map[string]int{"": 403, second: 403})
	_, err = o.api.CreateOriginEndpoint(ctx, &mediapackage.CreateOriginEndpointInput{ChannelId: aws.String("live"), Id: aws.String("other"),
		HlsPackage: &mptypes.HlsPackage{}, Authorization: auth(arn)})
	if !errors.As(err, &unprocessable) {
		t.Errorf("endpoint naming a deleted secret: got %v, want UnprocessableEntityException", err)
	}
	if _, err := sm.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: &arn}); err != nil {
		t.Fatal(err)
	}
	expect("restored", map[string]int{second: 200})
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: &arn, ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	expect("deleted for good", map[string]int{"": 403, second: 403})
	_, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeSecret after a forced delete: got %v, want ResourceNotFoundException", err)
	}
	// The endpoint keeps its configuration and refuses every request; a
	// new secret under the same name has a new ARN, so it does not
	// revive the endpoint by accident.
	got, err := o.api.DescribeOriginEndpoint(ctx, &mediapackage.DescribeOriginEndpointInput{Id: aws.String("hls")})
	if err != nil || aws.ToString(got.Authorization.CdnIdentifierSecret) != arn {
		t.Fatalf("endpoint after its secret was deleted: %v, %v", got, err)
	}
	// An update that keeps the (now unknown) secret is still possible: the
	// secret is checked when an endpoint starts naming it.
	if _, err := o.api.UpdateOriginEndpoint(ctx, &mediapackage.UpdateOriginEndpointInput{Id: aws.String("hls"), Description: aws.String("secret gone")}); err != nil {
		t.Errorf("update keeping a deleted secret: %v", err)
	}
	again, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cdn/live"), SecretString: cdnSecret(second)})
	if err != nil || aws.ToString(again.ARN) == arn {
		t.Fatalf("re-created secret: %v, %v", again, err)
	}
	expect("name re-used", map[string]int{second: 403})
}

// apiCode returns an SDK error's code and HTTP status.
func apiCode(err error) (string, int) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "", 0
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return ae.ErrorCode(), re.HTTPStatusCode()
	}
	return ae.ErrorCode(), 0
}

// leaks reports whether db holds value in the clear: as raw bytes or
// base64-encoded at any alignment (the config store keeps []byte members
// as base64 JSON strings).
func leaks(db []byte, value string) bool {
	if bytes.Contains(db, []byte(value)) {
		return true
	}
	for k := range 3 {
		rest := value[k:]
		enc := base64.StdEncoding.EncodeToString([]byte(rest))[:len(rest)/3*4]
		if len(enc) >= 8 && bytes.Contains(db, []byte(enc)) {
			return true
		}
	}
	return false
}
