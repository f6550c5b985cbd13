package secrets_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"

	"boxcar/internal/config"
)

// ListSecrets, the wire format and the signing scope, through the SDK.

func TestListSecrets(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	for i, name := range []string{"prod/cdn", "prod/db", "dev/cdn", "other"} {
		tags := []types.Tag{{Key: aws.String("env"), Value: aws.String(strings.Split(name, "/")[0])}}
		if _, err := e.admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), Description: aws.String("Secret number " + string(rune('A'+i))), Tags: tags}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
	}
	tests := []struct {
		name string
		in   secretsmanager.ListSecretsInput
		want []string
	}{
		{"all, created order", secretsmanager.ListSecretsInput{}, []string{"prod/cdn", "prod/db", "dev/cdn", "other"}},
		{"by name desc", secretsmanager.ListSecretsInput{SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeDesc}, []string{"prod/db", "prod/cdn", "other", "dev/cdn"}},
		{"name prefix", secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"prod/"}}}}, []string{"prod/cdn", "prod/db"}},
		{"negated", secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"!prod/"}}}}, []string{"dev/cdn", "other"}},
		{"tag value", secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeTagValue, Values: []string{"dev", "other"}}}}, []string{"dev/cdn", "other"}},
		{"description any case", secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeDescription, Values: []string{"SECRET NUMBER B"}}}}, []string{"prod/db"}},
		{"all words", secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeAll, Values: []string{"secret prod"}}}}, []string{"prod/cdn", "prod/db"}},
		{"two filters", secretsmanager.ListSecretsInput{Filters: []types.Filter{
			{Key: types.FilterNameStringTypeTagKey, Values: []string{"env"}},
			{Key: types.FilterNameStringTypeName, Values: []string{"dev"}}}}, []string{"dev/cdn"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.MaxResults = aws.Int32(3)
			var got []string
			p := secretsmanager.NewListSecretsPaginator(e.reader, &in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range page.SecretList {
					got = append(got, aws.ToString(s.Name))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("listed (-want +got):\n%s", diff)
			}
		})
	}
	_, err := e.admin.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: aws.String("bogus")})
	var badToken *types.InvalidNextTokenException
	if !errors.As(err, &badToken) {
		t.Errorf("ListSecrets with a bogus token: got %v, want InvalidNextTokenException", err)
	}
}

// TestWire checks the AWS JSON 1.1 shapes on the wire: the route, strict
// members and the error body the SDKs parse.
func TestWire(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Auth.InsecureNoAuth = true })
	const jsonType = "application/x-amz-json-1.1"
	post := func(t *testing.T, target, ctype, body string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	big := strings.Repeat("x", 65537)
	tests := []struct {
		name, target, ctype, body string
		code                      string
	}{
		{"unknown member", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","Bogus":1}`, "InvalidParameterException"},
		{"member name case", "secretsmanager.CreateSecret", jsonType, `{"name":"a"}`, "InvalidParameterException"},
		{"member twice", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","Name":"b"}`, "InvalidParameterException"},
		{"wrong type", "secretsmanager.CreateSecret", jsonType, `{"Name":5}`, "InvalidParameterException"},
		{"not an object", "secretsmanager.CreateSecret", jsonType, `[1]`, "SerializationException"},
		{"not JSON", "secretsmanager.CreateSecret", jsonType, `{"Name":`, "SerializationException"},
		{"data after the object", "secretsmanager.CreateSecret", jsonType, `{"Name":"a"} {}`, "SerializationException"},
		// Nested members are held to the same rules; the first row is
		// right, so the others fail on their members, not on the secret.
		{"nested members right", "secretsmanager.TagResource", jsonType, `{"SecretId":"nope","Tags":[{"Key":"a","Value":"v"}]}`, "ResourceNotFoundException"},
		{"nested member name case", "secretsmanager.TagResource", jsonType, `{"SecretId":"nope","Tags":[{"key":"a","Value":"v"}]}`, "InvalidParameterException"},
		{"nested member twice", "secretsmanager.TagResource", jsonType, `{"SecretId":"nope","Tags":[{"Key":"a","Key":"b","Value":"v"}]}`, "InvalidParameterException"},
		{"nested member twice, other case", "secretsmanager.TagResource", jsonType, `{"SecretId":"nope","Tags":[{"key":"a","KEY":"b","value":"v"}]}`, "InvalidParameterException"},
		{"nested unknown member", "secretsmanager.TagResource", jsonType, `{"SecretId":"nope","Tags":[{"Key":"a","Value":"v","Bogus":1}]}`, "InvalidParameterException"},
		{"nested member in a create", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","Tags":[{"Key":"a","value":"v"}]}`, "InvalidParameterException"},
		{"filter member name case", "secretsmanager.ListSecrets", jsonType, `{"Filters":[{"key":"name","Values":["a"]}]}`, "InvalidParameterException"},
		{"filter member twice", "secretsmanager.ListSecrets", jsonType, `{"Filters":[{"Key":"name","Values":["a"],"Values":["b"]}]}`, "InvalidParameterException"},
		{"filter unknown member", "secretsmanager.ListSecrets", jsonType, `{"Filters":[{"Key":"name","Values":["a"],"Bogus":1}]}`, "InvalidParameterException"},
		{"filter value not a string", "secretsmanager.ListSecrets", jsonType, `{"Filters":[{"Key":"name","Values":[1]}]}`, "InvalidParameterException"},
		{"binary not a string", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","SecretBinary":5}`, "InvalidParameterException"},
		{"binary as a list", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","SecretBinary":[1,2]}`, "InvalidParameterException"},
		{"binary not base64", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","SecretBinary":"!!"}`, "InvalidParameterException"},
		{"window not an integer", "secretsmanager.DeleteSecret", jsonType, `{"SecretId":"nope","RecoveryWindowInDays":7.5}`, "InvalidParameterException"},
		{"bad name", "secretsmanager.CreateSecret", jsonType, `{"Name":"a b"}`, "InvalidParameterException"},
		{"short token", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","ClientRequestToken":"x"}`, "InvalidParameterException"},
		{"replication", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","AddReplicaRegions":[{"Region":"us-west-2"}]}`, "InvalidParameterException"},
		{"both values", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","SecretString":"s","SecretBinary":"AA=="}`, "InvalidParameterException"},
		{"value too large", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","SecretString":"` + big + `"}`, "InvalidParameterException"},
		{"reserved tag", "secretsmanager.CreateSecret", jsonType, `{"Name":"a","Tags":[{"Key":"aws:x","Value":"y"}]}`, "InvalidParameterException"},
		{"unknown operation", "secretsmanager.RotateSecret", jsonType, `{}`, "UnknownOperationException"},
		{"another service", "MediaPackage.CreateChannel", jsonType, `{}`, "UnknownOperationException"},
		{"no target", "", jsonType, `{}`, "UnknownOperationException"},
		{"content type", "secretsmanager.ListSecrets", "text/plain", `{}`, "SerializationException"},
		{"not found", "secretsmanager.DescribeSecret", jsonType, `{"SecretId":"nope"}`, "ResourceNotFoundException"},
		{"no value", "secretsmanager.PutSecretValue", jsonType, `{"SecretId":"nope"}`, "InvalidParameterException"},
		{"window too short", "secretsmanager.DeleteSecret", jsonType, `{"SecretId":"nope","RecoveryWindowInDays":6}`, "InvalidParameterException"},
		{"max results", "secretsmanager.ListSecrets", jsonType, `{"MaxResults":101}`, "InvalidParameterException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := post(t, tc.target, tc.ctype, tc.body)
			if status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", status)
			}
			var got map[string]string
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if got["__type"] != tc.code || got["message"] == "" || len(got) != 2 {
				t.Errorf("error body %s, want {\"__type\": %q, \"message\": …}", body, tc.code)
			}
			if h.Get("X-Amzn-Errortype") != tc.code || h.Get("Content-Type") != jsonType || h.Get("X-Amzn-Requestid") == "" {
				t.Errorf("headers %v", h)
			}
		})
	}
	status, h, body := post(t, "secretsmanager.CreateSecret", jsonType, `{"Name":"raw","SecretString":"v"}`)
	var out map[string]string
	if err := json.Unmarshal(body, &out); status != http.StatusOK || err != nil || out["Name"] != "raw" || out["VersionId"] == "" || h.Get("Content-Type") != jsonType {
		t.Errorf("CreateSecret: %d %s %v", status, body, h)
	}
	status, _, body = post(t, "secretsmanager.CreateSecret", jsonType, `{"Name":"bin","SecretBinary":"AAEC"}`)
	if status != http.StatusOK {
		t.Errorf("CreateSecret with a base64 SecretBinary: %d %s", status, body)
	}
	status, _, body = post(t, "secretsmanager.GetSecretValue", jsonType, `{"SecretId":"bin"}`)
	var value struct{ SecretBinary string }
	if err := json.Unmarshal(body, &value); status != http.StatusOK || err != nil || value.SecretBinary != "AAEC" {
		t.Errorf("GetSecretValue of a binary secret: %d %s, want SecretBinary \"AAEC\"", status, body)
	}
	status, _, body = post(t, "secretsmanager.DescribeSecret", jsonType, `{"SecretId":"raw"}`)
	var desc map[string]any
	if err := json.Unmarshal(body, &desc); status != http.StatusOK || err != nil {
		t.Fatalf("DescribeSecret: %d %s", status, body)
	}
	if _, ok := desc["CreatedDate"].(float64); !ok {
		t.Errorf("CreatedDate is %T, want epoch seconds (a number): %s", desc["CreatedDate"], body)
	}
}

// TestServiceInScope: a signature made for the mediapackage service does
// not authorize a Secrets Manager call.
func TestServiceInScope(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"SecretId":"x"}`
	req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "secretsmanager.DescribeSecret")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "mediapackage", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "InvalidSignatureException") {
		t.Errorf("signed for mediapackage: %d %s, want 403 InvalidSignatureException", resp.StatusCode, b)
	}
}
