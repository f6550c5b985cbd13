package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// problems collects what Validate finds, in the order it finds it.
type problems []error

func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Errorf(format, a...)) }

// Validate reports every problem with the configuration, each with what to
// change.
func (c *Config) Validate() error {
	var p problems
	c.validateServer(&p)
	c.Log.validate(&p)
	c.validateAuth(&p)
	c.Ingest.validate(&p)
	c.Egress.validate(&p)
	c.Secrets.validate(&p)
	c.Storage.validate(&p)
	c.HTTP.validate(&p)
	c.Metrics.validate(&p)
	if c.ShutdownTimeout <= 0 {
		p.add("shutdownTimeout %s: want a positive duration", c.ShutdownTimeout)
	}
	return errors.Join(p...)
}

// validateServer checks where Boxcar listens, stores and is reached, and
// what its ARNs name.
func (c *Config) validateServer(p *problems) {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen %q: want host:port, e.g. 127.0.0.1:8080", c.Listen)
	}
	if c.DataDir == "" {
		p.add("dataDir is empty: set --data-dir to a writable directory")
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add("publicURL %q: want an absolute http(s) URL such as http://127.0.0.1:8080", c.PublicURL)
	}
	if c.Region == "" {
		p.add("region is empty: set it to the region your tools use, e.g. us-east-1")
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		p.add("accountID %q: want 12 digits", c.AccountID)
	}
}

func (l *LogConfig) validate(p *problems) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level %q: want debug, info, warn or error", l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		p.add("log.format %q: want text or json", l.Format)
	}
}

// validateAuth checks the API keys: complete pairs, no id twice, known
// roles, and at least one key unless authentication is off.
func (c *Config) validateAuth(p *problems) {
	a := &c.Auth
	if (a.AdminAccessKeyID == "") != (a.AdminSecretAccessKey == "") {
		p.add("auth: set both BOXCAR_ADMIN_ACCESS_KEY_ID and BOXCAR_ADMIN_SECRET_ACCESS_KEY, or neither")
	}
	seen := map[string]bool{a.AdminAccessKeyID: a.AdminAccessKeyID != ""}
	for i, k := range a.Keys {
		if k.AccessKeyID == "" || k.SecretAccessKey == "" {
			p.add("auth.keys[%d]: accessKeyID and secretAccessKey are both required", i)
		}
		if seen[k.AccessKeyID] {
			p.add("auth.keys[%d]: access key id %q is listed twice", i, k.AccessKeyID)
		}
		seen[k.AccessKeyID] = true
		if k.Role != RoleAdmin && k.Role != RoleReadOnly {
			p.add("auth.keys[%d].role %q: want %q or %q", i, k.Role, RoleAdmin, RoleReadOnly)
		}
	}
	if !a.InsecureNoAuth && len(c.APIKeys()) == 0 {
		p.add("auth: no API keys: set BOXCAR_ADMIN_ACCESS_KEY_ID and BOXCAR_ADMIN_SECRET_ACCESS_KEY, add auth.keys, or pass --insecure-no-auth for local use")
	}
}

func (in *IngestConfig) validate(p *problems) {
	if in.MaxSegmentBytes < 1<<20 {
		p.add("ingest.maxSegmentBytes %d: want at least 1048576 (1 MiB)", in.MaxSegmentBytes)
	}
	if in.MaxPlaylistBytes < 64<<10 {
		p.add("ingest.maxPlaylistBytes %d: want at least 65536", in.MaxPlaylistBytes)
	}
	if in.BodyTimeout < time.Second {
		p.add("ingest.bodyTimeout %s: want at least 1s", in.BodyTimeout)
	}
	if in.MaxConnsPerChannel < 4 {
		p.add("ingest.maxConnsPerChannel %d: want at least 4", in.MaxConnsPerChannel)
	}
	if in.BodyIdleTimeout < time.Second || in.BodyIdleTimeout > in.BodyTimeout {
		p.add("ingest.bodyIdleTimeout %s: want between 1s and ingest.bodyTimeout (%s)", in.BodyIdleTimeout, in.BodyTimeout)
	}
	if in.BodyMinRate < 0 {
		p.add("ingest.bodyMinRate %d: want 0 (off) or more bytes per second", in.BodyMinRate)
	}
	if in.BodyMinRateGrace < time.Second {
		p.add("ingest.bodyMinRateGrace %s: want at least 1s", in.BodyMinRateGrace)
	}
	if in.MaxInflightChannelShare <= 0 || in.MaxInflightChannelShare > 1 {
		p.add("ingest.maxInflightChannelShare %g: want more than 0 and at most 1", in.MaxInflightChannelShare)
	} else if share := int64(float64(in.MaxInflightBytes) * in.MaxInflightChannelShare); share < in.MaxSegmentBytes {
		p.add("ingest.maxInflightBytes %d × ingest.maxInflightChannelShare %g is %d bytes, under ingest.maxSegmentBytes %d: a largest segment could never be received; raise either or lower maxSegmentBytes",
			in.MaxInflightBytes, in.MaxInflightChannelShare, share, in.MaxSegmentBytes)
	}
	if in.FailoverFactor < 1 || in.FailoverFactor > 10 {
		p.add("ingest.failoverFactor %g: want between 1 and 10", in.FailoverFactor)
	}
}

func (e *EgressConfig) validate(p *problems) {
	if e.CacheBytes < 1<<20 {
		p.add("egress.cacheBytes %d: want at least 1048576", e.CacheBytes)
	}
	for arn, s := range e.CDNSecrets {
		if len(s.Current) < 8 || len(s.Current) > 128 {
			p.add("egress.cdnSecrets[%q].current: want 8 to 128 characters", arn)
		}
	}
}

func (s *SecretsConfig) validate(p *problems) {
	if k := s.EncryptionKey; k != "" {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != 32 {
			p.add("secrets.encryptionKey: want the base64 of 32 random bytes (e.g. the output of: openssl rand -base64 32), or leave it empty to use <dataDir>/secrets.key")
		}
	}
}

func (s *StorageConfig) validate(p *problems) {
	if s.MemoryBytes < 1<<20 {
		p.add("storage.memoryBytes %d: want at least 1048576", s.MemoryBytes)
	}
	if s.SweepInterval < time.Second {
		p.add("storage.sweepInterval %s: want at least 1s", s.SweepInterval)
	}
}

func (h *HTTPConfig) validate(p *problems) {
	if h.MaxConns < 1 {
		p.add("http.maxConns %d: want at least 1 (default 10000)", h.MaxConns)
	}
	if h.EvictWaitingAfter < 0 {
		p.add("http.evictWaitingAfter %s: want 0 (never evict) or a positive duration", h.EvictWaitingAfter)
	}
	if h.MaxConnsPerIP < 0 {
		p.add("http.maxConnsPerIP %d: want 0 (no per-address cap) or more", h.MaxConnsPerIP)
	}
	if h.BodyTimeout < time.Second {
		p.add("http.bodyTimeout %s: want at least 1s", h.BodyTimeout)
	}
	if h.WriteTimeout < time.Second {
		p.add("http.writeTimeout %s: want at least 1s", h.WriteTimeout)
	}
}

func (m *MetricsConfig) validate(p *problems) {
	if t := m.BearerToken; t != "" && len(t) < 16 {
		p.add("metrics.bearerToken: want at least 16 characters (e.g. the output of: openssl rand -hex 32)")
	}
	if (m.Username == "") != (m.Password == "") {
		p.add("metrics: set both username and password, or neither")
	} else if pw := m.Password; pw != "" && len(pw) < 8 {
		p.add("metrics.password: want at least 8 characters")
	}
}
