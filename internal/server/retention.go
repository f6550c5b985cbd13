package server

import (
	"context"
	"sync"
	"time"

	"boxcar/internal/configstore"
)

// retention decides how much media each channel keeps: the largest
// startover window of its endpoints, else their largest manifest window
// plus time delay, plus a margin for players still fetching; channels
// without endpoints keep a default. Results are cached until the config
// store changes.
type retention struct {
	store    configstore.Store
	margin   time.Duration
	fallback time.Duration

	mu      sync.Mutex
	version uint64
	keep    map[string]time.Duration
}

func newRetention(cs configstore.Store, margin, fallback time.Duration) *retention {
	return &retention{store: cs, margin: margin, fallback: fallback, keep: map[string]time.Duration{}}
}

// For returns how much media before the live edge channel must keep.
func (r *retention) For(channel string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v := r.store.Version(); v != r.version {
		r.version = v
		r.keep = map[string]time.Duration{}
	}
	if d, ok := r.keep[channel]; ok {
		return d
	}
	d := r.compute(channel)
	r.keep[channel] = d
	return d
}

func (r *retention) compute(channel string) time.Duration {
	ctx := context.Background()
	var longest time.Duration
	found := false
	page := configstore.Page{Limit: 1000}
	for {
		eps, next, err := r.store.ListEndpoints(ctx, channel, page)
		if err != nil {
			// Keep everything rather than delete what an endpoint needs.
			return 14 * 24 * time.Hour
		}
		for _, ep := range eps {
			found = true
			if d := endpointNeeds(ep) + r.margin; d > longest {
				longest = d
			}
		}
		if next == "" {
			break
		}
		page.After = next
	}
	if !found {
		return r.fallback
	}
	return longest
}

// endpointNeeds is the media an endpoint can ask for behind the edge.
func endpointNeeds(ep *configstore.OriginEndpoint) time.Duration {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	if ep.StartoverWindowSeconds > 0 {
		return sec(ep.StartoverWindowSeconds)
	}
	window := 0
	switch {
	case ep.HLSPackage != nil:
		window = ep.HLSPackage.PlaylistWindowSeconds + ep.HLSPackage.SegmentDurationSeconds
	case ep.CMAFPackage != nil:
		for _, m := range ep.CMAFPackage.HLSManifests {
			window = max(window, m.PlaylistWindowSeconds)
		}
		window += ep.CMAFPackage.SegmentDurationSeconds
	case ep.DASHPackage != nil:
		window = ep.DASHPackage.ManifestWindowSeconds + ep.DASHPackage.SegmentDurationSeconds + ep.DASHPackage.SuggestedPresentationDelaySeconds
	case ep.MSSPackage != nil:
		window = ep.MSSPackage.ManifestWindowSeconds + ep.MSSPackage.SegmentDurationSeconds
	}
	return sec(window + ep.TimeDelaySeconds)
}
