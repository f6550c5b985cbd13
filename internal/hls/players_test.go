package hls

import (
	"context"
	"strings"
	"testing"
	"time"

	"boxcar/internal/configstore"
	"boxcar/internal/live/livetest"
	"boxcar/internal/mediatest"
)

// TestPlayers: hls.js plays the HLS-TS output and Shaka Player and hls.js
// the CMAF output of a live channel fed in real time (one 2 s segment every
// 2 s after a 24 s head start), served by a small CORS-enabled origin. The
// encoder restarts after 16 s (its timestamps start over), so the players
// cross a discontinuity and a short output segment. Each watch of 25 s is
// also the start-up deadline; playback must then advance a few segments,
// never stall for more than 3 s, and still advance at the end.
func TestPlayers(t *testing.T) {
	if testing.Short() {
		t.Skip("plays in headless Chromium for about half a minute")
	}
	players := mediatest.NewPlayers(t)
	segs := clip(t)
	for _, c := range []struct {
		player string
		ep     *configstore.OriginEndpoint
		path   string
	}{
		{mediatest.PlayerHLSJS, hlsEndpoint(func(p *configstore.HLSPackage) { p.PlaylistWindowSeconds = 30 }), "index.m3u8"},
		{mediatest.PlayerShaka, cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 30}), "m/index.m3u8"},
		// hls.js resolves the CMAF manifests' "../" segment URIs too.
		{mediatest.PlayerHLSJS, cmafEndpoint(nil, configstore.HLSManifest{ID: "m", ManifestName: "index", PlaylistWindowSeconds: 30}), "m/index.m3u8"},
	} {
		t.Run(c.player+"/"+c.ep.ID, func(t *testing.T) {
			t.Parallel()
			// Clip segments 0-7, then the encoder restarts and signals
			// it (EXT-X-DISCONTINUITY) and loops the clip with running
			// timestamps for as long as the test lasts (the player may
			// wait for a browser slot first).
			next := func(i int) clipSegment {
				if i < 8 {
					return segs[i]
				}
				k := i - 8
				seg := segs[k%len(segs)]
				seg.shift = int64(k/len(segs)) * int64(clipSeconds()) * 90000
				seg.disc = k == 0
				return seg
			}
			const head = 12
			b := livetest.New(t, "ch1", livetest.Rendition{Name: "index", Video: true, Audio: true})
			for i := range head {
				feed(t, b, next(i), false)
			}
			o := newOrigin(t, b, c.ep)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			fed := make(chan error, 1)
			go func() {
				tick := time.NewTicker(2 * time.Second)
				defer tick.Stop()
				for i := head; ; i++ {
					select {
					case <-ctx.Done():
						fed <- nil
						return
					case <-tick.C:
					}
					if err := feedErr(b, next(i), false); err != nil {
						fed <- err
						return
					}
				}
			}()
			res, err := players.Play(ctx, mediatest.PlayOptions{Player: c.player, URL: o.url(c.ep, c.path), Seconds: 25})
			cancel()
			if ferr := <-fed; ferr != nil {
				t.Fatal(ferr)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Summary())
			for _, e := range res.Errors {
				t.Log("player error: ", e)
			}
			if pl := parseMedia(t, o.get(t, c.ep, strings.Replace(c.path, ".m3u8", "_1.m3u8", 1))); pl.dsn == 0 && !hasDisc(pl) {
				t.Error("the playlist never showed the encoder restart's discontinuity")
			}
			if err := res.Check(6, 3); err != nil {
				t.Error(err)
			}
		})
	}
}

func hasDisc(p *parsed) bool {
	for _, s := range p.segs {
		if s.disc {
			return true
		}
	}
	return false
}
