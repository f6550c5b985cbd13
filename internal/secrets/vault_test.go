package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/clock"
	"boxcar/internal/config"
	"boxcar/internal/configstore"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// openVault opens a vault over a bbolt file in dir.
func openVault(t *testing.T, dir string, key []byte, clk clock.Clock) (*Vault, *configstore.Bolt) {
	t.Helper()
	st, err := configstore.OpenBolt(filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	v, err := Open(context.Background(), Options{Store: st, Config: cfg, Key: key, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return v, st
}

func cdnValue(id string) *string {
	s := `{"MediaPackageCDNIdentifier":"` + id + `"}`
	return &s
}

func mustCreate(t *testing.T, v *Vault, name string, value *string) *createSecretResponse {
	t.Helper()
	out, _, err := v.createSecret(context.Background(), &createSecretRequest{Name: name, SecretString: value})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustPut(t *testing.T, v *Vault, id string, value *string) *putSecretValueResponse {
	t.Helper()
	out, _, err := v.putSecretValue(context.Background(), &putSecretValueRequest{SecretID: id, SecretString: value})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(v *Vault, arn string) []string {
	var out []string
	vals := v.CDNIdentifiers(arn)
	for _, b := range vals {
		out = append(out, string(b))
	}
	return out
}

// TestSealedAtRest: the config database holds no secret value in the
// clear, and a store written with one key does not open with another.
func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	v, st := openVault(t, dir, testKey(1), clock.NewFake(t0))
	const marker = "plaintext-marker-7f3a9c"
	created := mustCreate(t, v, "cdn/at-rest", cdnValue(marker+"-1"))
	mustPut(t, v, created.ARN, cdnValue(marker+"-2"))
	if _, _, err := v.createSecret(context.Background(), &createSecretRequest{Name: "binary", SecretBinary: []byte(marker + "-bin")}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	db, err := os.ReadFile(filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(db, []byte("cdn/at-rest")) {
		t.Fatal("the database does not hold the secret's name; is this the right file?")
	}
	for _, value := range []string{*cdnValue(marker + "-1"), *cdnValue(marker + "-2"), marker + "-bin"} {
		if leaks(db, value) {
			t.Errorf("config.db holds %q in the clear", value)
		}
	}

	st2, err := configstore.OpenBolt(filepath.Join(dir, "config.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if _, err := Open(context.Background(), Options{Store: st2, Config: config.Default(), Key: testKey(2)}); !errors.Is(err, errOpen) {
		t.Fatalf("Open with another key: got %v, want errOpen", err)
	}
	v2, err := Open(context.Background(), Options{Store: st2, Config: config.Default(), Key: testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(v2, created.ARN), []string{marker + "-2", marker + "-1"}; !cmp.Equal(got, want) {
		t.Errorf("CDN identifiers after reopening: got %q, want %q", got, want)
	}
}

// TestSealBinding: a sealed value opens only for the secret, version and
// kind it was sealed for.
func TestSealBinding(t *testing.T) {
	s, err := newSealer(testKey(3))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.seal([]byte("value"), "arn:a", "v1", false)
	if got, err := s.open(sealed, "arn:a", "v1", false); err != nil || string(got) != "value" {
		t.Fatalf("open: %q, %v", got, err)
	}
	for _, tc := range []struct {
		arn, version string
		binary       bool
	}{{"arn:b", "v1", false}, {"arn:a", "v2", false}, {"arn:a", "v1", true}} {
		if _, err := s.open(sealed, tc.arn, tc.version, tc.binary); !errors.Is(err, errOpen) {
			t.Errorf("open as %+v: got %v, want errOpen", tc, err)
		}
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.open(sealed, "arn:a", "v1", false); !errors.Is(err, errOpen) {
		t.Errorf("open of a damaged value: got %v, want errOpen", err)
	}
	if _, err := newSealer(testKey(1)[:16]); err == nil {
		t.Error("newSealer with a 16-byte key: got nil error")
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	key, generated, err := loadKey(config.SecretsConfig{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, keyFileName)
	if generated != path || len(key) != KeySize {
		t.Fatalf("first loadKey: generated %q, %d bytes; want %q, %d", generated, len(key), path, KeySize)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %o, want 600", perm)
	}
	again, generated, err := loadKey(config.SecretsConfig{}, dir)
	if err != nil || generated != "" || !bytes.Equal(again, key) {
		t.Fatalf("second loadKey: generated %q, same key %t, err %v; want the file's key", generated, bytes.Equal(again, key), err)
	}

	configured := base64.StdEncoding.EncodeToString(testKey(9))
	got, _, err := loadKey(config.SecretsConfig{EncryptionKey: configured}, dir)
	if err != nil || !bytes.Equal(got, testKey(9)) {
		t.Fatalf("loadKey with secrets.encryptionKey: %v", err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString(testKey(1)[:31])} {
		if _, _, err := loadKey(config.SecretsConfig{EncryptionKey: bad}, dir); err == nil {
			t.Errorf("loadKey(%q): got nil error", bad)
		}
	}
	if err := os.WriteFile(path, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadKey(config.SecretsConfig{}, dir); err == nil {
		t.Error("loadKey with a damaged key file: got nil error")
	}
}

// TestCDNIdentifiers: what egress accepts for each secret value, through
// a rotation.
func TestCDNIdentifiers(t *testing.T) {
	v, _ := openVault(t, t.TempDir(), testKey(1), clock.NewFake(t0))
	values := []struct {
		name  string
		value string
		ok    bool
	}{
		{"uuid", `{"MediaPackageCDNIdentifier":"3f4e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"}`, true},
		{"with other members", `{"note":"x","MediaPackageCDNIdentifier":"abcdefgh"}`, true},
		{"too short", `{"MediaPackageCDNIdentifier":"abcdefg"}`, false},
		{"too long", `{"MediaPackageCDNIdentifier":"` + string(bytes.Repeat([]byte("x"), 129)) + `"}`, false},
		{"not JSON", `abcdefghijkl`, false},
		{"other key", `{"MediaPackageV2CDNIdentifier":"abcdefghijkl"}`, false},
		{"not a string", `{"MediaPackageCDNIdentifier":12345678}`, false},
	}
	for i, tc := range values {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCreate(t, v, fmt.Sprint("cdn-", i), &tc.value)
			found, deleted := v.LookupSecret(s.ARN)
			got := v.CDNIdentifiers(s.ARN)
			if !found || deleted || (len(got) == 1) != tc.ok {
				t.Errorf("value %s: LookupSecret %t,%t, CDNIdentifiers %q; want a stored secret with one identifier: %t", tc.value, found, deleted, got, tc.ok)
			}
		})
	}
	s := mustCreate(t, v, "rotated", cdnValue("value-one-1"))
	mustPut(t, v, s.ARN, cdnValue("value-two-2"))
	mustPut(t, v, "rotated", cdnValue("value-three-3"))
	if got, want := ids(v, s.ARN), []string{"value-three-3", "value-two-2"}; !cmp.Equal(got, want) {
		t.Errorf("after two rotations: %q, want %q (AWSCURRENT, AWSPREVIOUS)", got, want)
	}
	if _, _, err := v.createSecret(context.Background(), &createSecretRequest{Name: "bin", SecretBinary: []byte(*cdnValue("abcdefghij"))}); err != nil {
		t.Fatal(err)
	}
	if got := ids(v, v.arnPrefix+"bin"); got != nil {
		t.Errorf("a partial ARN is not an egress key, got %q", got)
	}
	if found, _ := v.LookupSecret("arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"); found {
		t.Error("LookupSecret of an unknown ARN: found")
	}
}

// TestRecoveryWindow: a deleted secret is unusable at once, restorable
// during its window and gone after it.
func TestRecoveryWindow(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	v, st := openVault(t, t.TempDir(), testKey(1), clk)
	s := mustCreate(t, v, "cdn", cdnValue("abcdefghij"))
	days := int64(7)
	del, _, err := v.deleteSecret(ctx, &deleteSecretRequest{SecretID: "cdn", RecoveryWindowInDays: &days})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := time.Time(*del.DeletionDate), t0.Add(7*24*time.Hour); !got.Equal(want) {
		t.Errorf("DeletionDate %s, want %s", got, want)
	}
	if found, deleted := v.LookupSecret(s.ARN); !found || !deleted {
		t.Errorf("LookupSecret of a scheduled secret: %t, %t; want true, true", found, deleted)
	}
	if got := v.CDNIdentifiers(s.ARN); len(got) != 0 {
		t.Errorf("CDNIdentifiers of a scheduled secret: %q, want none", got)
	}
	if _, err := v.getSecretValue(ctx, &getSecretValueRequest{SecretID: s.ARN}); !errors.Is(err, ErrInvalidReq) {
		t.Errorf("GetSecretValue of a scheduled secret: got %v, want InvalidRequestException", err)
	}
	if _, _, err := v.restoreSecret(ctx, &secretIDRequest{SecretID: s.ARN}); err != nil {
		t.Fatal(err)
	}
	if got := ids(v, s.ARN); len(got) != 1 {
		t.Errorf("after RestoreSecret: identifiers %q, want one", got)
	}

	if _, _, err := v.deleteSecret(ctx, &deleteSecretRequest{SecretID: "cdn", RecoveryWindowInDays: &days}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(7*24*time.Hour - time.Second)
	if found, _ := v.LookupSecret(s.ARN); !found {
		t.Error("a second before the end of the window: not found")
	}
	clk.Advance(time.Second)
	if found, _ := v.LookupSecret(s.ARN); found {
		t.Error("at the end of the window: still found")
	}
	if _, err := v.describeSecret(ctx, &secretIDRequest{SecretID: "cdn"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("DescribeSecret after the window: got %v, want ResourceNotFoundException", err)
	}
	// Run purges it from the store.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- v.Run(runCtx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		clk.Advance(purgeInterval)
		if _, err := st.Secret(ctx, "cdn"); errors.Is(err, configstore.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not purge the expired secret")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The name is free again, with a new ARN.
	again := mustCreate(t, v, "cdn", nil)
	if again.ARN == s.ARN {
		t.Errorf("re-created secret has the old ARN %s", s.ARN)
	}
}

// TestResolve: a secret is named by its name, its ARN or its partial ARN,
// and by nothing else.
func TestResolve(t *testing.T) {
	ctx := context.Background()
	v, _ := openVault(t, t.TempDir(), testKey(1), clock.NewFake(t0))
	s := mustCreate(t, v, "team/cdn-abc", nil)
	other := mustCreate(t, v, "team/cdn", nil)
	for _, id := range []string{"team/cdn-abc", s.ARN, v.arnPrefix + "team/cdn-abc"} {
		got, err := v.resolve(ctx, id)
		if err != nil || got.ARN != s.ARN {
			t.Errorf("resolve(%q): %v, %v; want %s", id, got, err, s.ARN)
		}
	}
	if got, err := v.resolve(ctx, other.ARN); err != nil || got.Name != "team/cdn" {
		t.Errorf("resolve(%q): %v, %v; want team/cdn", other.ARN, got, err)
	}
	for _, id := range []string{"team/cdn-abcd", s.ARN + "x", otherSuffix(other.ARN), "arn:aws:secretsmanager:eu-west-1:000000000000:secret:team/cdn", ""} {
		if got, err := v.resolve(ctx, id); err == nil {
			t.Errorf("resolve(%q): found %s, want an error", id, got.ARN)
		}
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
