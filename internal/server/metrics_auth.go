package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"
	"strconv"
	"strings"

	"boxcar/internal/config"
)

const metricsAuthMessage = "/metrics requires credentials: a bearer token or Basic credentials as configured (metrics.bearerToken, metrics.username and metrics.password)\n"

// protectMetrics puts /metrics behind the configured bearer token or Basic
// credentials (either is accepted when both are set); with neither, h is
// served to anyone, as before. Secrets are compared as SHA-256 digests in
// constant time, so neither their content nor their length leaks through
// timing.
func protectMetrics(cfg config.MetricsConfig, h http.Handler, m *metrics) http.Handler {
	if cfg.BearerToken == "" && cfg.Username == "" {
		return h
	}
	var (
		token      = cfg.BearerToken != ""
		basic      = cfg.Username != ""
		tokenSum   = sha256.Sum256([]byte(cfg.BearerToken))
		userSum    = sha256.Sum256([]byte(cfg.Username))
		passSum    = sha256.Sum256([]byte(cfg.Password))
		challenges []string
	)
	if token {
		challenges = append(challenges, `Bearer realm="boxcar metrics"`)
	}
	if basic {
		challenges = append(challenges, `Basic realm="boxcar metrics", charset="UTF-8"`)
	}
	equal := func(got string, want [32]byte) bool {
		sum := sha256.Sum256([]byte(got))
		return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := false
		if v := r.Header.Get("Authorization"); token && len(v) > 7 && strings.EqualFold(v[:7], "Bearer ") {
			ok = equal(strings.TrimSpace(v[7:]), tokenSum)
		} else if user, pass, isBasic := r.BasicAuth(); basic && isBasic {
			// Both compared, whatever the first gives.
			u, p := equal(user, userSum), equal(pass, passSum)
			ok = u && p
		}
		if ok {
			h.ServeHTTP(w, r)
			return
		}
		m.metricsAuth.Inc()
		hdr := w.Header()
		hdr["Www-Authenticate"] = challenges
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Content-Length", strconv.Itoa(len(metricsAuthMessage)))
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, metricsAuthMessage)
	})
}
