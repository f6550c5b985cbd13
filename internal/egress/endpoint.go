package egress

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"boxcar/internal/configstore"
	"boxcar/internal/packager"
)

// endpoint is an origin endpoint prepared for the hot path: access rules
// parsed, CDN secrets resolved, packager chosen, metric children bound.
// Immutable after construction except for version and logged; a config
// change of the endpoint builds a new one.
type endpoint struct {
	cfg         *configstore.OriginEndpoint
	id, channel string
	// fingerprint hashes the endpoint's whole configuration.
	fingerprint string
	// version is the config store version this entry was last found
	// current at.
	version atomic.Uint64

	deny      bool
	whitelist []netip.Prefix
	// limited is set when the endpoint has a whitelist (possibly of
	// nothing but invalid entries, which then admits no one).
	limited bool
	// authorization: requests must carry one of secrets, or, when the
	// configuration does not list the secret, one of the values source
	// returns for it at the time of the request; with none the endpoint
	// refuses everyone and says so once in the log (logged).
	auth      bool
	secretARN string
	secrets   [][]byte
	source    CDNSecrets
	logged    atomic.Bool

	pkg packager.Packager
	// unavailable is why the endpoint cannot be served at all (Smooth
	// Streaming, a format this server has no packager for).
	unavailable error

	baseURL string
	account string
	metrics *endpointMetrics
}

// fingerprint hashes the endpoint's configuration. The JSON encoding is
// deterministic for a given value, so an unchanged endpoint keeps its
// fingerprint (and its cache entries) when other resources change.
func fingerprint(ep *configstore.OriginEndpoint) (string, error) {
	b, err := json.Marshal(ep)
	if err != nil {
		return "", fmt.Errorf("egress: fingerprint endpoint %q: %w", ep.ID, err)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:12]), nil
}

// newEndpoint prepares cfg for serving.
func (h *Handler) newEndpoint(cfg *configstore.OriginEndpoint, fp string) *endpoint {
	e := &endpoint{
		cfg:         cfg,
		id:          cfg.ID,
		channel:     cfg.ChannelID,
		fingerprint: fp,
		deny:        strings.EqualFold(cfg.Origination, "DENY"),
		baseURL:     h.publicURL + Prefix + cfg.ID,
		account:     arnAccount(cfg.ARN),
		metrics:     h.metrics.forEndpoint(cfg.ChannelID, cfg.ID),
	}
	if len(cfg.Whitelist) > 0 {
		e.limited = true
		for _, s := range cfg.Whitelist {
			p, err := parsePrefix(s)
			if err != nil {
				h.log.Error("egress: ignoring invalid whitelist entry; fix the endpoint's whitelist",
					"endpoint", cfg.ID, "channel", cfg.ChannelID, "entry", s, "err", err)
				continue
			}
			e.whitelist = append(e.whitelist, p)
		}
	}
	if a := cfg.Authorization; a != nil {
		e.auth = true
		e.secretARN = a.CDNIdentifierSecret
		if s, ok := h.cdnSecrets[a.CDNIdentifierSecret]; ok && a.CDNIdentifierSecret != "" {
			for _, v := range []string{s.Current, s.Previous} {
				if v != "" {
					e.secrets = append(e.secrets, []byte(v))
				}
			}
		} else {
			e.source = h.secrets
		}
	}
	switch {
	case cfg.HLSPackage != nil || cfg.CMAFPackage != nil:
		e.pkg, e.unavailable = h.hls, errNoHLS
	case cfg.DASHPackage != nil:
		e.pkg, e.unavailable = h.dash, errNoDASH
	case cfg.MSSPackage != nil:
		e.unavailable = errMSS
	default:
		e.unavailable = errNoPackage
	}
	if e.pkg != nil {
		e.unavailable = nil
	}
	return e
}

// parsePrefix accepts a CIDR or a single address (IPv4 or IPv6).
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			// ::ffff:a.b.c.d/n names IPv4 clients.
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("IPv4-mapped prefix %s is shorter than /96", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// arnAccount returns the account field of an ARN
// (arn:aws:mediapackage:<region>:<account>:…), "" when there is none.
func arnAccount(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 || f[0] != "arn" {
		return ""
	}
	return f[4]
}

// clientAddr is the TCP peer of r. X-Forwarded-For is not trusted: any
// client can send it.
func clientAddr(remoteAddr string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		a, err := netip.ParseAddr(remoteAddr)
		if err != nil {
			return netip.Addr{}, false
		}
		return a.Unmap().WithZone(""), true
	}
	return ap.Addr().Unmap().WithZone(""), true
}

// authorize applies the endpoint's access control: origination, the
// whitelist, then CDN authorization.
func (e *endpoint) authorize(r *http.Request, log *slog.Logger) error {
	if e.deny {
		return errDenied
	}
	if e.limited {
		a, ok := clientAddr(r.RemoteAddr)
		allowed := false
		if ok {
			for _, p := range e.whitelist {
				if p.Contains(a) {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			return errNotAllowed
		}
	}
	if e.auth {
		secrets := e.secrets
		if e.source != nil {
			secrets = e.source.CDNIdentifiers(e.secretARN)
		}
		if len(secrets) == 0 {
			if !e.logged.Swap(true) {
				if e.source != nil { // a secret of the Secrets Manager API
					log.Error("egress: endpoint requires CDN authorization but its secret is missing, scheduled for deletion, or has no AWSCURRENT/AWSPREVIOUS value of the form {\"MediaPackageCDNIdentifier\": \"<8 to 128 characters>\"}; refusing every request",
						"endpoint", e.id, "channel", e.channel, "secret", e.secretARN)
				} else { // a secret of the configuration file
					log.Error("egress: endpoint requires CDN authorization but its secret has no configured value; refusing every request",
						"endpoint", e.id, "channel", e.channel,
						"config_key", fmt.Sprintf("egress.cdnSecrets[%q]", e.secretARN))
				}
			}
			return errCDNAuth
		}
		v := r.Header[hCDNIdentifier]
		if len(v) != 1 {
			return errCDNAuth
		}
		got := []byte(v[0])
		match := 0
		for _, s := range secrets {
			match |= subtle.ConstantTimeCompare(got, s)
		}
		if match != 1 {
			return errCDNAuth
		}
	}
	return nil
}

// endpoint returns the prepared endpoint id, loading it when the config
// store's version moved since it was last checked.
func (h *Handler) endpoint(ctx context.Context, id string) (*endpoint, error) {
	v := h.endpoints.Version()
	h.epMu.RLock()
	e := h.eps[id]
	h.epMu.RUnlock()
	if e != nil && e.version.Load() == v {
		return e, nil
	}
	r, err, _ := h.epFlight.Do(id, func() (any, error) {
		return h.loadEndpoint(context.WithoutCancel(ctx), id, v)
	})
	if err != nil {
		return nil, err
	}
	return r.(*endpoint), nil
}

// loadEndpoint reads endpoint id at config version v. An endpoint whose
// configuration did not change keeps its entry (and cached objects).
func (h *Handler) loadEndpoint(ctx context.Context, id string, v uint64) (*endpoint, error) {
	h.epMu.RLock()
	old := h.eps[id]
	h.epMu.RUnlock()
	if old != nil && old.version.Load() >= v {
		return old, nil
	}
	cfg, err := h.endpoints.Endpoint(ctx, id)
	if errors.Is(err, configstore.ErrNotFound) {
		if old != nil {
			h.epMu.Lock()
			if h.eps[id] == old {
				delete(h.eps, id)
			}
			h.epMu.Unlock()
			h.cache.dropEndpoint(old)
			h.metrics.forget(old.channel, old.id)
		}
		return nil, errNoEndpoint
	}
	if err != nil {
		return nil, fmt.Errorf("egress: read endpoint %q: %w", id, err)
	}
	fp, err := fingerprint(cfg)
	if err != nil {
		return nil, err
	}
	if old != nil && old.fingerprint == fp {
		old.version.Store(v)
		return old, nil
	}
	e := h.newEndpoint(cfg, fp)
	e.version.Store(v)
	h.epMu.Lock()
	h.eps[id] = e
	h.epMu.Unlock()
	if old != nil {
		h.cache.dropEndpoint(old)
		if old.channel != e.channel {
			h.metrics.forget(old.channel, old.id)
		}
	}
	return e, nil
}
