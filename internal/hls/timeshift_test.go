package hls

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/packager"
)

func shiftEndpoint() *configstore.OriginEndpoint {
	ep := hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 18 })
	ep.StartoverWindowSeconds = 3600
	return ep
}

func TestTimeShift(t *testing.T) {
	b := ladder(t)
	b.Segments(1, 30) // 60 s from 23:59:58: groups 1-10 of 6 s
	p := New()
	ep := shiftEndpoint()
	cmaf := cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index"})
	cmaf.StartoverWindowSeconds = 3600
	get := func(ep *configstore.OriginEndpoint, path, query string) (*packager.Object, error) {
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		return p.Package(context.Background(), &packager.Request{Endpoint: ep, Path: path, Query: q,
			Snapshot: b.Timeline.Snapshot(), Now: b.Clock.Now(), Media: b.Store})
	}
	for _, c := range []struct {
		name, path, query string
		ep                *configstore.OriginEndpoint
		immutable         bool
	}{
		// A closed window: groups 2 and 3 (00:00:04-00:00:16).
		{"closed", "index_1.m3u8", "start=2026-01-01T00:00:05Z&end=2026-01-01T00:00:15Z", ep, true},
		{"closed_epoch", "index_1.m3u8", "start=1767225605&end=1767225615", ep, true},
		{"closed_offset", "index_1.m3u8", "start=2026-01-01T01:00:05+01:00&end=2026-01-01T01:00:15%2B01:00", ep, true},
		{"closed_multivariant", "index.m3u8", "start=2026-01-01T00:00:05Z&end=2026-01-01T00:00:15Z", ep, true},
		// End ahead of the live point: an EVENT playlist from start.
		{"open", "index_1.m3u8", "start=2026-01-01T00:00:30Z&end=2026-01-01T01:00:00Z", ep, false},
		{"start_only", "index_1.m3u8", "start=2026-01-01T00:00:30Z", ep, false},
		// Before the oldest segment: clamped.
		{"clamped", "index_1.m3u8", "start=2025-12-31T23:30:00Z&end=2026-01-01T00:00:10Z", ep, true},
		// End alone is ignored: the live playlist.
		{"end_only", "index_1.m3u8", "end=2026-01-01T00:00:10Z", ep, false},
		{"cmaf_closed", "m/index.m3u8", "start=2026-01-01T00:00:05Z&end=2026-01-01T00:00:15Z", cmaf, true},
		{"cmaf_closed_media", "m/index_3.m3u8", "start=2026-01-01T00:00:05Z&end=2026-01-01T00:00:15Z", cmaf, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := get(c.ep, c.path, c.query)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "timeshift/"+c.name+".m3u8", o.Body)
			if o.Immutable != c.immutable {
				t.Errorf("immutable %v, want %v", o.Immutable, c.immutable)
			}
			if c.immutable && (o.MaxAge < 20*time.Minute || o.MaxAge > time.Hour) {
				t.Errorf("max-age %v, want the start's remaining hour in the startover window", o.MaxAge)
			}
		})
	}

	for _, c := range []struct {
		name, query string
		ep          *configstore.OriginEndpoint
	}{
		{"malformed start", "start=yesterday", ep},
		{"malformed end", "start=2026-01-01T00:00:05Z&end=2026-13-01T00:00:00Z", ep},
		{"no zone", "start=2026-01-01T00:00:05", ep},
		{"end before start", "start=2026-01-01T00:00:15Z&end=2026-01-01T00:00:05Z", ep},
		{"over a day", "start=2026-01-01T00:00:05Z&end=2026-01-02T00:00:06Z", ep},
		{"twice", "start=2026-01-01T00:00:05Z&start=2026-01-01T00:00:06Z", ep},
		{"no startover", "start=2026-01-01T00:00:05Z", hlsEndpoint(nil)},
	} {
		_, err := get(c.ep, "index_1.m3u8", c.query)
		var bad *packager.BadRequestError
		if !errors.As(err, &bad) {
			t.Errorf("%s: %v, want a BadRequestError", c.name, err)
		}
	}
	// Older than the startover window, or after everything: not found.
	for _, q := range []string{"start=2025-12-31T22:00:00Z", "start=2026-01-01T02:00:00Z"} {
		if _, err := get(ep, "index_1.m3u8", q); !isNotFound(err) {
			t.Errorf("%s: %v, want ErrNotFound", q, err)
		}
	}
	// An open window grows with the live point and closes once its end
	// passes.
	const open = "start=2026-01-01T00:00:50Z&end=2026-01-01T00:01:10Z"
	o, err := get(ep, "index_1.m3u8", open)
	if err != nil {
		t.Fatal(err)
	}
	if pl := parseMedia(t, o.Body); pl.endlist || pl.playlistType != "EVENT" || o.Immutable {
		t.Errorf("open window: endlist %v type %q immutable %v", pl.endlist, pl.playlistType, o.Immutable)
	}
	b.Segments(1, 12)
	o, err = get(ep, "index_1.m3u8", open)
	if err != nil {
		t.Fatal(err)
	}
	pl := parseMedia(t, o.Body)
	if !pl.endlist || pl.playlistType != "VOD" || !o.Immutable || len(pl.segs) != 4 {
		t.Errorf("closed window: endlist %v type %q immutable %v, %d segments; want true VOD true 4", pl.endlist, pl.playlistType, o.Immutable, len(pl.segs))
	}
}
