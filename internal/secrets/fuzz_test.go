package secrets

import (
	"encoding/json"
	"testing"
)

// FuzzDecode: no body makes decode panic, and a body it accepts decodes
// to a value that encodes and decodes back to itself.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[1]`, `{"Name":"a"}`, `{"name":"a"}`, `{"Name":5}`,
		`{"Name":"a","SecretString":"s","Tags":[{"Key":"k","Value":"v"}]}`,
		`{"Name":"a","SecretBinary":"AAEC"}`, `{"Name":"a","SecretBinary":"!!"}`,
		`{"Name":"a","AddReplicaRegions":[{"Region":"us-west-2"}]}`,
		`{"SecretId":"x","RecoveryWindowInDays":7,"ForceDeleteWithoutRecovery":true}`,
		`{"Filters":[{"Key":"name","Values":["!a"]}],"MaxResults":3}`,
		`{"Name":"a","Name":"b"}`, `{"Name":"\u0041"}`,
		`{"Name":"a","Tags":[{"key":"a","KEY":"b","value":"v","Bogus":1}]}`,
		`{"Filters":[{"Key":"name","Values":["a"],"Values":[1]}]}`, `{"Name":"a","SecretBinary":[1,2]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newReq := range []func() any{
			func() any { return new(createSecretRequest) },
			func() any { return new(putSecretValueRequest) },
			func() any { return new(deleteSecretRequest) },
			func() any { return new(listSecretsRequest) },
			func() any { return new(updateSecretVersionStageRequest) },
		} {
			v := newReq()
			if err := decode(body, v); err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("decode(%q): %T %v, want *Error", body, err, err)
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			w := newReq()
			if err := decode(b, w); err != nil {
				t.Fatalf("re-decoding %s: %v", b, err)
			}
			if b2, _ := json.Marshal(w); string(b2) != string(b) {
				t.Fatalf("round trip: %s became %s", b, b2)
			}
		}
	})
}

// FuzzCDNIdentifier: any value either yields an identifier of 8 to 128
// bytes or none, never a panic.
func FuzzCDNIdentifier(f *testing.F) {
	for _, seed := range []string{
		`{"MediaPackageCDNIdentifier":"3f4e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"}`,
		`{"MediaPackageCDNIdentifier":"short"}`, `{"MediaPackageCDNIdentifier":null}`,
		`{"MediaPackageCDNIdentifier":"\u00e9\u00e9\u00e9\u00e9"}`, `[]`, `"x"`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		id, ok := cdnIdentifier(value)
		if ok && (len(id) < minCDNIdentifierLen || len(id) > maxCDNIdentifierLen) {
			t.Fatalf("cdnIdentifier(%q) = %q, outside 8 to 128 bytes", value, id)
		}
	})
}
