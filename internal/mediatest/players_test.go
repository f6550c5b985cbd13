package mediatest

import (
	"net/http"
	"strings"
	"testing"
)

func TestPlayResultCheck(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	good := func() PlayResult {
		return PlayResult{
			Player: "hlsjs", URL: "http://x/a.m3u8", WallSeconds: 20, Started: true,
			StartupSeconds: 1, AdvancedSeconds: 18, PlayedSeconds: 18, MaxStallSeconds: 0.5,
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
			r.SwitchRequested, r.Switched, r.SwitchAt, r.SwitchRenderedAt = true, true, f(10), f(11)
		}, true},
		{"never started", func(r *PlayResult) {
			r.Started, r.AdvancedSeconds, r.PlayedSeconds = false, 0, 0
			r.Samples = []Sample{{T: 20, ReadyState: 1}}
		}, false},
		{"too little advance", func(r *PlayResult) { r.AdvancedSeconds, r.PlayedSeconds = 5, 5 }, false},
		{"advance by jumping", func(r *PlayResult) {
			r.PlayedSeconds = 6
			r.Jumps = []Jump{{T: 8, From: 10, To: 22}}
		}, false},
		{"long stall", func(r *PlayResult) { r.MaxStallSeconds = 4 }, false},
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
			err := r.Check(10, 3)
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
