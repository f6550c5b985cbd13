// Package config holds Boxcar's process configuration: one documented
// Config, its defaults in one place (Default), read from a YAML file, BOXCAR_*
// environment variables and command-line flags in that order of precedence,
// and checked by Validate.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole process configuration. YAML keys are the yaml tags;
// environment variables are the env tags.
type Config struct {
	// Listen is the address of the single HTTP listener (control plane,
	// ingest, playback, operations).
	Listen string `yaml:"listen" env:"BOXCAR_LISTEN"`
	// DataDir holds the config database, the timeline index and media.
	DataDir string `yaml:"dataDir" env:"BOXCAR_DATA_DIR"`
	// PublicURL is the base URL clients reach Boxcar at; ingest and
	// playback URLs in API responses start with it. Default: derived from
	// Listen.
	PublicURL string `yaml:"publicURL" env:"BOXCAR_PUBLIC_URL"`
	// Region and AccountID appear in ARNs
	// (arn:aws:mediapackage:<region>:<account>:channels/<id>).
	Region    string `yaml:"region" env:"BOXCAR_REGION"`
	AccountID string `yaml:"accountID" env:"BOXCAR_ACCOUNT_ID"`

	Log     LogConfig     `yaml:"log"`
	Auth    AuthConfig    `yaml:"auth"`
	Ingest  IngestConfig  `yaml:"ingest"`
	Egress  EgressConfig  `yaml:"egress"`
	Storage StorageConfig `yaml:"storage"`
	Secrets SecretsConfig `yaml:"secrets"`

	// HTTP bounds what clients of the listener may hold: connections,
	// request bodies, slow reads. Metrics protects /metrics.
	HTTP    HTTPConfig    `yaml:"http"`
	Metrics MetricsConfig `yaml:"metrics"`

	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish on SIGINT/SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout" env:"BOXCAR_SHUTDOWN_TIMEOUT"`
}

// LogConfig configures the process log.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" env:"BOXCAR_LOG_LEVEL"`
	// Format is text or json.
	Format string `yaml:"format" env:"BOXCAR_LOG_FORMAT"`
	// AccessLog receives MediaPackage-style JSON access-log lines for
	// ingest and playback requests: a file path, "-" for standard output,
	// or "" (the default) for none.
	AccessLog string `yaml:"accessLog" env:"BOXCAR_ACCESS_LOG"`
}

// AuthConfig configures control-plane authentication.
type AuthConfig struct {
	// InsecureNoAuth turns off API authentication. For local use only.
	InsecureNoAuth bool `yaml:"insecureNoAuth" env:"BOXCAR_INSECURE_NO_AUTH"`
	// AdminAccessKeyID and AdminSecretAccessKey form one admin key pair,
	// usually given as environment variables.
	AdminAccessKeyID     string `yaml:"adminAccessKeyID" env:"BOXCAR_ADMIN_ACCESS_KEY_ID"`
	AdminSecretAccessKey string `yaml:"adminSecretAccessKey" env:"BOXCAR_ADMIN_SECRET_ACCESS_KEY"`
	// Keys are further API keys with their roles.
	Keys []APIKey `yaml:"keys"`
	// AuditLog is the file every mutating API call is appended to as one
	// JSON line. Default: <dataDir>/audit.log. "-" writes to stderr.
	AuditLog string `yaml:"auditLog" env:"BOXCAR_AUDIT_LOG"`
}

// Roles of API keys.
const (
	RoleAdmin    = "admin"
	RoleReadOnly = "read-only"
)

// APIKey is an access key pair for AWS Signature Version 4 and its role.
type APIKey struct {
	AccessKeyID     string `yaml:"accessKeyID"`
	SecretAccessKey string `yaml:"secretAccessKey"`
	// Role is admin or read-only.
	Role string `yaml:"role"`
}

// IngestConfig bounds what encoders may send.
type IngestConfig struct {
	// MaxSegmentBytes is the largest media segment body accepted (413
	// above it).
	MaxSegmentBytes int64 `yaml:"maxSegmentBytes" env:"BOXCAR_INGEST_MAX_SEGMENT_BYTES"`
	// MaxPlaylistBytes is the largest playlist body accepted.
	MaxPlaylistBytes int64 `yaml:"maxPlaylistBytes" env:"BOXCAR_INGEST_MAX_PLAYLIST_BYTES"`
	// BodyTimeout bounds how long one request body may take to arrive.
	// Generous on purpose: encoders open uploads before media exists.
	BodyTimeout time.Duration `yaml:"bodyTimeout" env:"BOXCAR_INGEST_BODY_TIMEOUT"`
	// BodyIdleTimeout is the longest wait for the next body bytes (the
	// first ones included): ffmpeg opens an fMP4 init PUT at start and
	// sends its body when the first fragment is flushed, and DASH PUTs
	// send a segment at its end, so it must exceed a segment duration.
	BodyIdleTimeout time.Duration `yaml:"bodyIdleTimeout" env:"BOXCAR_INGEST_BODY_IDLE_TIMEOUT"`
	// BodyMinRate is the slowest average body rate, in bytes per second,
	// accepted once a request is older than BodyMinRateGrace; 0 turns
	// the check off. Uploads trickled over a segment's duration (ffmpeg
	// -f dash -streaming 1) run at the media bit rate, far above it.
	BodyMinRate int64 `yaml:"bodyMinRate" env:"BOXCAR_INGEST_BODY_MIN_RATE"`
	// BodyMinRateGrace is how long a body may arrive slower than
	// BodyMinRate before the rate is enforced.
	BodyMinRateGrace time.Duration `yaml:"bodyMinRateGrace" env:"BOXCAR_INGEST_BODY_MIN_RATE_GRACE"`
	// MaxInflightBytes bounds the request body bytes held by ingest
	// requests in progress, across all channels; a request that finds it
	// full gets 503 with Retry-After. Memory follows bytes received,
	// never a declared Content-Length.
	MaxInflightBytes int64 `yaml:"maxInflightBytes" env:"BOXCAR_INGEST_MAX_INFLIGHT_BYTES"`
	// MaxInflightChannelShare is the fraction of MaxInflightBytes one
	// channel's requests may hold, so one channel cannot starve the
	// others.
	MaxInflightChannelShare float64 `yaml:"maxInflightChannelShare" env:"BOXCAR_INGEST_MAX_INFLIGHT_CHANNEL_SHARE"`
	// MaxConnsPerChannel bounds concurrent ingest requests per channel,
	// which contains slow clients instead of short timeouts.
	MaxConnsPerChannel int `yaml:"maxConnsPerChannel" env:"BOXCAR_INGEST_MAX_CONNS_PER_CHANNEL"`
	// FailoverFactor: the active input is declared lost when it delivered
	// nothing for FailoverFactor × the ingest target duration.
	FailoverFactor float64 `yaml:"failoverFactor" env:"BOXCAR_INGEST_FAILOVER_FACTOR"`
}

// EgressConfig configures playback.
type EgressConfig struct {
	// CacheBytes bounds the packaged-output cache.
	CacheBytes int64 `yaml:"cacheBytes" env:"BOXCAR_EGRESS_CACHE_BYTES"`
	// CDNSecrets maps an endpoint's authorization.cdnIdentifierSecret (a
	// Secrets Manager ARN in MediaPackage) to its current and previous
	// values, which the X-MediaPackage-CDNIdentifier header must match.
	CDNSecrets map[string]CDNSecret `yaml:"cdnSecrets"`
}

// CDNSecret is the current and previous value of a CDN identifier secret.
type CDNSecret struct {
	Current  string `yaml:"current"`
	Previous string `yaml:"previous"`
}

// SecretsConfig configures the Secrets Manager API's storage.
type SecretsConfig struct {
	// EncryptionKey is the AES-256 key (base64 of 32 bytes) that encrypts
	// secret values at rest. Empty: a key is generated on first start into
	// <dataDir>/secrets.key (mode 0600) and read from there afterwards.
	EncryptionKey string `yaml:"encryptionKey" env:"BOXCAR_SECRETS_KEY"`
}

// StorageConfig configures media storage.
type StorageConfig struct {
	// MemoryBytes bounds the in-memory tier holding the live edge.
	MemoryBytes int64 `yaml:"memoryBytes" env:"BOXCAR_STORAGE_MEMORY_BYTES"`
	// RetentionMargin is kept beyond the longest window an endpoint needs,
	// for players still fetching.
	RetentionMargin time.Duration `yaml:"retentionMargin" env:"BOXCAR_STORAGE_RETENTION_MARGIN"`
	// DefaultRetention applies to channels without endpoints.
	DefaultRetention time.Duration `yaml:"defaultRetention" env:"BOXCAR_STORAGE_DEFAULT_RETENTION"`
	// SweepInterval is how often retention runs.
	SweepInterval time.Duration `yaml:"sweepInterval" env:"BOXCAR_STORAGE_SWEEP_INTERVAL"`
}

// HTTPConfig bounds what clients of the listener may hold, with or
// without credentials, so that none can exhaust connections or file
// descriptors (docs/configuration.md, "Connections and slow clients").
type HTTPConfig struct {
	// MaxConns caps open connections; more are answered 503 and closed
	// at once. It is lowered at start to fit the file descriptor limit
	// (ulimit -n), leaving a quarter of it for files.
	MaxConns int `yaml:"maxConns" env:"BOXCAR_HTTP_MAX_CONNS"`
	// MaxConnsPerIP caps open connections from one client address (one
	// /64 for IPv6); 0 turns it off. A CDN opens many connections from
	// few addresses; behind a load balancer or proxy that does not pass
	// the client's address through, every connection comes from the
	// proxy: set 0 there.
	MaxConnsPerIP int `yaml:"maxConnsPerIP" env:"BOXCAR_HTTP_MAX_CONNS_PER_IP"`
	// EvictWaitingAfter: at a cap, a new connection takes the place of
	// the oldest connection that has sent no request (or sat idle between
	// requests) for at least this long, so clients that connect and send
	// nothing cannot keep players out; 0 never evicts (over a cap is then
	// always 503).
	EvictWaitingAfter time.Duration `yaml:"evictWaitingAfter" env:"BOXCAR_HTTP_EVICT_WAITING_AFTER"`
	// BodyTimeout bounds how long a request body may take to arrive on
	// every route but ingest (which has ingest.bodyTimeout).
	BodyTimeout time.Duration `yaml:"bodyTimeout" env:"BOXCAR_HTTP_BODY_TIMEOUT"`
	// WriteTimeout bounds how long a playback client may take to accept
	// each 64 KiB of a response; a client that stalls longer is
	// disconnected.
	WriteTimeout time.Duration `yaml:"writeTimeout" env:"BOXCAR_HTTP_WRITE_TIMEOUT"`
}

// MetricsConfig protects /metrics, which lists channel and endpoint ids.
// With neither a token nor credentials set, /metrics is open.
type MetricsConfig struct {
	// BearerToken is accepted as "Authorization: Bearer <token>".
	BearerToken string `yaml:"bearerToken" env:"BOXCAR_METRICS_BEARER_TOKEN"`
	// Username and Password are accepted as Basic credentials.
	Username string `yaml:"username" env:"BOXCAR_METRICS_USERNAME"`
	Password string `yaml:"password" env:"BOXCAR_METRICS_PASSWORD"`
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Listen:          ":8080",
		DataDir:         "./boxcar-data",
		Region:          "us-east-1",
		AccountID:       "000000000000",
		Log:             LogConfig{Level: "info", Format: "text"},
		ShutdownTimeout: 10 * time.Second,
		Ingest: IngestConfig{
			MaxSegmentBytes:    256 << 20, // a 10 s segment at 200 Mbps
			MaxPlaylistBytes:   4 << 20,   // a multi-hour EVENT playlist
			BodyTimeout:        2 * time.Minute,
			MaxConnsPerChannel: 64,
			FailoverFactor:     1.5,
			// Above the longest segment an encoder may take to start
			// sending (fMP4 init, DASH segment PUTs).
			BodyIdleTimeout: 30 * time.Second,
			// 8 kbit/s, under any real audio rendition's bit rate.
			BodyMinRate:      1 << 10,
			BodyMinRateGrace: 30 * time.Second,
			// A few channels' worth of 6 s segments in flight at once;
			// the share lets a largest segment (MaxSegmentBytes) in.
			MaxInflightBytes:        512 << 20,
			MaxInflightChannelShare: 0.5,
		},
		Egress: EgressConfig{CacheBytes: 256 << 20},
		HTTP: HTTPConfig{
			// Generous for a CDN in front: its edges and shields reuse
			// many connections from few addresses.
			MaxConns:      10000,
			MaxConnsPerIP: 1000,
			// Any client sends its headers within a second of
			// connecting.
			EvictWaitingAfter: time.Second,
			// An API body is at most 1 MiB; any live client sends it
			// in well under a second.
			BodyTimeout: 30 * time.Second,
			// 64 KiB per 15 s is 35 kbit/s: a player that reads slower
			// cannot play any rendition.
			WriteTimeout: 15 * time.Second,
		},
		Storage: StorageConfig{
			MemoryBytes:      256 << 20,
			RetentionMargin:  2 * time.Minute,
			DefaultRetention: 5 * time.Minute,
			SweepInterval:    10 * time.Second,
		},
	}
}

// Load builds the configuration from defaults, the YAML file named by
// --config (or BOXCAR_CONFIG), the environment and the flags in args.
// It returns the remaining positional arguments.
func Load(args []string, environ []string) (Config, []string, error) {
	cfg := Default()
	env := envMap(environ)

	fs := flag.NewFlagSet("boxcar", flag.ContinueOnError)
	fs.SetOutput(new(bytes.Buffer))
	configFile := fs.String("config", env["BOXCAR_CONFIG"], "YAML configuration `file`")
	listen := fs.String("listen", "", "listen `address` (default :8080)")
	dataDir := fs.String("data-dir", "", "data `directory` (default ./boxcar-data)")
	publicURL := fs.String("public-url", "", "public base `URL` (default from --listen)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error")
	logFormat := fs.String("log-format", "", "log format: text or json")
	noAuth := fs.Bool("insecure-no-auth", false, "turn off API authentication (local use only)")
	if err := fs.Parse(args); err != nil {
		return cfg, nil, fmt.Errorf("config: %w\n%s", err, Usage())
	}

	if *configFile != "" {
		if err := loadFile(&cfg, *configFile); err != nil {
			return cfg, nil, err
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), env); err != nil {
		return cfg, nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["listen"] {
		cfg.Listen = *listen
	}
	if set["data-dir"] {
		cfg.DataDir = *dataDir
	}
	if set["public-url"] {
		cfg.PublicURL = *publicURL
	}
	if set["log-level"] {
		cfg.Log.Level = *logLevel
	}
	if set["log-format"] {
		cfg.Log.Format = *logFormat
	}
	if set["insecure-no-auth"] {
		cfg.Auth.InsecureNoAuth = *noAuth
	}
	cfg.fill()
	return cfg, fs.Args(), nil
}

// Usage describes the flags Load accepts.
func Usage() string {
	return `flags:
  --config FILE          YAML configuration file (BOXCAR_CONFIG)
  --listen ADDR          listen address (BOXCAR_LISTEN, default :8080)
  --data-dir DIR         data directory (BOXCAR_DATA_DIR, default ./boxcar-data)
  --public-url URL       public base URL (BOXCAR_PUBLIC_URL, default from --listen)
  --log-level LEVEL      debug, info, warn or error (BOXCAR_LOG_LEVEL)
  --log-format FORMAT    text or json (BOXCAR_LOG_FORMAT)
  --insecure-no-auth     turn off API authentication, local use only
API keys: BOXCAR_ADMIN_ACCESS_KEY_ID and BOXCAR_ADMIN_SECRET_ACCESS_KEY, more under auth.keys in the file.`
}

// fill derives defaults that depend on other fields.
func (c *Config) fill() {
	if c.PublicURL == "" {
		host, port, err := net.SplitHostPort(c.Listen)
		if err == nil {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			c.PublicURL = "http://" + net.JoinHostPort(host, port)
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Auth.AuditLog == "" && c.DataDir != "" {
		c.Auth.AuditLog = c.DataDir + "/audit.log"
	}
}

func loadFile(cfg *Config, name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("config: read %s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // an empty file is valid
		return fmt.Errorf("config: %s: %w (see docs/configuration.md for the keys)", name, err)
	}
	return nil
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// applyEnv sets every field with an env tag whose variable is set.
func applyEnv(v reflect.Value, env map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			if err := applyEnv(fv, env); err != nil {
				return err
			}
			continue
		}
		name := f.Tag.Get("env")
		s, ok := env[name]
		if name == "" || !ok {
			continue
		}
		if err := setValue(fv, s); err != nil {
			return fmt.Errorf("config: %s=%q: %w", name, s, err)
		}
	}
	return nil
}

func setValue(v reflect.Value, s string) error {
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as 30s or 2m")
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		v.SetInt(n)
	case v.Kind() == reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		v.SetFloat(n)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// APIKeys returns every configured key, the admin pair first.
func (c *Config) APIKeys() []APIKey {
	var keys []APIKey
	if c.Auth.AdminAccessKeyID != "" {
		keys = append(keys, APIKey{AccessKeyID: c.Auth.AdminAccessKeyID, SecretAccessKey: c.Auth.AdminSecretAccessKey, Role: RoleAdmin})
	}
	return append(keys, c.Auth.Keys...)
}
