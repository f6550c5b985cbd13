package dash

import (
	"context"
	"sync"
	"testing"
	"time"

	"boxcar/internal/clock"
	"boxcar/internal/mediatest"
)

// Bounds for live DASH from Boxcar over loopback, 2 s segments.
// playSeconds is also the start-up deadline; minAdvance (three segments)
// proves real playback, and the stall bound with Check's end-of-watch
// check catches a player that stops.
const (
	playSeconds  = 24
	minAdvance   = 6
	maxStall     = 3
	prefillSlots = 10 // 20 s of history when the players start
)

// restartEvery is how often (in slots) the encoder restarts its
// timestamps, so that every play crosses at least one restart whenever it
// gets a browser. The wall clock runs on across each restart, so the
// Period does too (periods.go).
const restartEvery = 10

func restarts(slot int) bool { return slot > prefillSlots && (slot-prefillSlots)%restartEvery == 3 }

// TestPlayersPlayDASH: dash.js and Shaka Player play Boxcar's live DASH
// of a real ffmpeg-made ladder, fed in real time, in every segment
// template format, switch renditions, and play through encoder restarts.
func TestPlayersPlayDASH(t *testing.T) {
	if testing.Short() {
		t.Skip("plays in headless Chromium for about a minute")
	}
	players := mediatest.NewPlayers(t)
	c := encodeClip(t, 30)
	eps := []string{"number", "time", "duration"}
	o := newOrigin(t, clock.Real{},
		dashEndpoint("number", "NUMBER_WITH_TIMELINE", "FULL"),
		dashEndpoint("time", "TIME_WITH_TIMELINE", "COMPACT"),
		dashEndpoint("duration", "NUMBER_WITH_DURATION", "COMPACT"),
	)

	// Feed: prefillSlots of history at once (program date-times in the
	// past), then each slot once the wall clock passes its end, as a live
	// encoder delivers. At each of restarts the encoder restarts
	// (timestamps jump back), which ingest flags as a discontinuity.
	ctx, cancel := context.WithCancel(t.Context())
	start := time.Now()
	pdt := start
	for i := 0; i < prefillSlots; i++ {
		pdt = pdt.Add(-c.duration(i))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		shift, restart := 0, 0
		for i := 0; ; i++ {
			end := pdt.Add(c.duration(i))
			if d := time.Until(end); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
			if restarts(i) {
				// The encoder's timestamps jump to a loop of the clip
				// they have not been at: live.Timeline takes a second
				// restart to the same timestamps for a copy of the first.
				restart++
				shift = i - 3*restart*len(c.segments)
			}
			o.add(t, c, i-shift, pdt, restarts(i))
			pdt = end
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	var plays sync.WaitGroup
	for _, id := range eps {
		for _, player := range []string{mediatest.PlayerDashJS, mediatest.PlayerShaka} {
			plays.Add(1)
			go func() {
				defer plays.Done()
				begun := time.Now()
				res, err := players.Play(ctx, mediatest.PlayOptions{
					Player: player, URL: o.mpdURL(id), Seconds: playSeconds, Switch: id == "number",
				})
				if err != nil {
					t.Errorf("%s on %s: %v", player, id, err)
					return
				}
				t.Logf("%s on %s: %s", player, id, res.Summary())
				for _, e := range res.MediaEvents {
					if e.Type == "waiting" || e.Type == "playing" || e.Type == "error" {
						t.Logf("%s on %s: %.1fs %s at %.2f", player, id, e.T, e.Type, e.CurrentTime)
					}
				}
				if err := res.Check(minAdvance, maxStall); err != nil {
					t.Errorf("%s on %s: %v", player, id, err)
					for _, r := range o.traceOf(id) {
						if r.at.After(begun) {
							t.Logf("%s on %s: %s +%.1fs %s %d %s", player, id, r.at.Format("15:04:05.000"), r.at.Sub(begun).Seconds(), r.path, r.status, r.note)
						}
					}
				}
			}()
		}
	}
	plays.Wait()

	// Every restart stayed in the one Period.
	for _, id := range eps {
		m := fetchMPD(t, o.mpdURL(id))
		if len(m.Periods) != 1 {
			t.Errorf("%s: %d Periods after the encoder restarts, want 1", id, len(m.Periods))
		}
	}
}
