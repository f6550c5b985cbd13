package mediatest

import (
	"net/http"
	"strings"
	"testing"
)

// played returns the samples of a watch of wall seconds in which playback
// starts at startup and then advances at playback speed until stop
// (frames at 25 fps).
func played(wall, startup, stop float64) []Sample {
	var out []Sample
	ct, frames := 0.0, 0
	for t := 0.0; t <= wall; t += 0.5 {
		if t > startup && t <= stop {
			ct += 0.5
			frames += 12
		}
		out = append(out, Sample{T: t, CurrentTime: ct, ReadyState: 4, DecodedFrames: frames, VideoWidth: 640, VideoHeight: 360})
	}
	return out
}

func TestPlayResultCheck(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	good := func() PlayResult {
		return PlayResult{
			Player: "hlsjs", URL: "http://x/a.m3u8", WallSeconds: 20, Started: true,
			StartupSeconds: 1, AdvancedSeconds: 18, PlayedSeconds: 18, MaxStallSeconds: 0.5,
			Samples: played(20, 1, 20),
		}
	}
	tests := []struct {
		name   string
		change func(*PlayResult)
		ok     bool
	}{
		{"good", func(*PlayResult) {}, true},
		{"non-fatal errors pass", func(r *PlayResult) {
			r.Errors = []PlayerError{{Source: "hlsjs", Type: "mediaError", Details: "bufferStalledError"}}
		}, true},
		{"switched", func(r *PlayResult) {
			r.SwitchRequested, r.SwitchAt, r.SwitchRenderedAt, r.Switched = true, f(10), f(11), true
		}, true},
		// A busy machine: 12 s of a 16 s watch go to start-up; what is
		// left plays to the end.
		{"slow start-up", func(r *PlayResult) {
			r.WallSeconds, r.StartupSeconds, r.AdvancedSeconds, r.PlayedSeconds = 16, 12, 4, 4
			r.Samples = played(16, 12, 16)
		}, true},
		{"never started", func(r *PlayResult) {
			r.Started, r.AdvancedSeconds, r.PlayedSeconds = false, 0, 0
			r.Samples = []Sample{{T: 20, ReadyState: 1}}
		}, false},
		{"too little advance", func(r *PlayResult) {
			r.StartupSeconds, r.AdvancedSeconds, r.PlayedSeconds = 18.5, 1.5, 1.5
			r.Samples = played(20, 18.5, 20)
		}, false},
		{"advance by jumping", func(r *PlayResult) {
			r.AdvancedSeconds, r.PlayedSeconds = 18, 1.5
			r.Jumps = []Jump{{T: 8, From: 3, To: 19.5}}
		}, false},
		{"long stall", func(r *PlayResult) { r.MaxStallSeconds = 4 }, false},
		// The player stops 5 s before the end: it played enough, but a
		// viewer sees a frozen picture.
		{"stops before the end", func(r *PlayResult) {
			r.AdvancedSeconds, r.PlayedSeconds, r.MaxStallSeconds = 14, 14, 2.5
			r.Samples = played(20, 1, 15)
		}, false},
		{"no frames decoded", func(r *PlayResult) {
			for i := range r.Samples {
				r.Samples[i].DecodedFrames = 0
			}
		}, false},
		{"fatal error", func(r *PlayResult) {
			e := PlayerError{Source: "shaka", Fatal: true, Type: "category 1", Details: "BAD_HTTP_STATUS (1001)"}
			r.Errors, r.FatalErrors = []PlayerError{e}, []PlayerError{e}
			r.HTTPErrors = []HTTPError{{URL: "http://x/seg.ts", Status: http.StatusNotFound}}
		}, false},
		{"switch missing", func(r *PlayResult) {
			r.SwitchRequested, r.SwitchAt = true, f(10)
			r.RenditionBefore = &Rendition{Index: 1, Height: 720}
			r.SwitchTarget = &Rendition{Index: 0, Height: 360}
			r.RenditionAfter = &Rendition{Index: 1, Height: 720}
		}, false},
		{"harness error", func(r *PlayResult) { r.HarnessError = "browserType.launch: failed\nstack" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(&r)
			err := r.Check(3, 3)
			if (err == nil) != tc.ok {
				t.Fatalf("Check = %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				t.Log(err)
				if !strings.HasPrefix(err.Error(), "play hlsjs http://x/a.m3u8: ") {
					t.Errorf("error %q does not say what was played", err)
				}
			}
			_ = r.Summary()
		})
	}
}
