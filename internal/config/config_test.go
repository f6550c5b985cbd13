package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "boxcar.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:9000\ndataDir: /from/file\nregion: eu-west-1\ningest:\n  bodyTimeout: 30s\nauth:\n  keys:\n    - accessKeyID: RO\n      secretAccessKey: s\n      role: read-only\n"), 0o644)
	env := []string{"BOXCAR_DATA_DIR=/from/env", "BOXCAR_ADMIN_ACCESS_KEY_ID=AK", "BOXCAR_ADMIN_SECRET_ACCESS_KEY=SK", "BOXCAR_INGEST_FAILOVER_FACTOR=2"}
	cfg, rest, err := Load([]string{"--config", file, "--public-url", "https://origin.example.com/", "extra"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.DataDir != "/from/env" || cfg.Region != "eu-west-1" {
		t.Fatalf("file/env precedence: %+v", cfg)
	}
	if cfg.PublicURL != "https://origin.example.com" {
		t.Fatalf("public url %q", cfg.PublicURL)
	}
	if cfg.Ingest.BodyTimeout != 30*time.Second || cfg.Ingest.FailoverFactor != 2 {
		t.Fatalf("ingest %+v", cfg.Ingest)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Fatalf("rest %v", rest)
	}
	keys := cfg.APIKeys()
	if len(keys) != 2 || keys[0].Role != RoleAdmin || keys[1].Role != RoleReadOnly {
		t.Fatalf("keys %+v", keys)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPublicURLFromListen(t *testing.T) {
	cfg, _, err := Load([]string{"--listen", ":8081", "--insecure-no-auth"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "http://127.0.0.1:8081" {
		t.Fatalf("public url %q", cfg.PublicURL)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestStrictFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("listen: :8080\nlistne: typo\n"), 0o644)
	_, _, err := Load([]string{"--config", file}, nil)
	if err == nil || !strings.Contains(err.Error(), "listne") {
		t.Fatalf("unknown key: got %v", err)
	}
}

func TestValidateMessages(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no keys", func(c *Config) {}, "no API keys"},
		{"half admin pair", func(c *Config) { c.Auth.AdminAccessKeyID = "x" }, "set both"},
		{"bad role", func(c *Config) {
			c.Auth.InsecureNoAuth = true
			c.Auth.Keys = []APIKey{{AccessKeyID: "a", SecretAccessKey: "b", Role: "root"}}
		}, `want "admin" or "read-only"`},
		{"bad listen", func(c *Config) { c.Auth.InsecureNoAuth = true; c.Listen = "8080" }, "want host:port"},
		{"bad public url", func(c *Config) { c.Auth.InsecureNoAuth = true; c.PublicURL = "origin" }, "absolute http(s) URL"},
		{"account", func(c *Config) { c.Auth.InsecureNoAuth = true; c.AccountID = "12" }, "want 12 digits"},
		{"log level", func(c *Config) { c.Auth.InsecureNoAuth = true; c.Log.Level = "loud" }, "log.level"},
		{"failover", func(c *Config) { c.Auth.InsecureNoAuth = true; c.Ingest.FailoverFactor = 0.5 }, "failoverFactor"},
		{"cdn secret", func(c *Config) {
			c.Auth.InsecureNoAuth = true
			c.Egress.CDNSecrets = map[string]CDNSecret{"arn": {Current: "short"}}
		}, "8 to 128"},
		{"secrets key", func(c *Config) { c.Auth.InsecureNoAuth = true; c.Secrets.EncryptionKey = "c2hvcnQ=" }, "secrets.encryptionKey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.fill()
			tc.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a message containing %q", err, tc.want)
			}
		})
	}
}

func TestEnvBadValue(t *testing.T) {
	_, _, err := Load(nil, []string{"BOXCAR_INGEST_BODY_TIMEOUT=soon"})
	if err == nil || !strings.Contains(err.Error(), "BOXCAR_INGEST_BODY_TIMEOUT") {
		t.Fatalf("got %v", err)
	}
}
