package testutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB whose Skipf and Fatalf record the message and
// end only the goroutine of run, so the policy can be observed.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f on a goroutine of its own, as testing runs a test.
func (r *recorder) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// fakeTool writes an executable shell script name into dir.
func fakeTool(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestNeed(t *testing.T) {
	bin := t.TempDir()
	fakeTool(t, bin, "ffmpeg", `echo " V....D libx264              libx264 H.264"; echo " A..... aac                  AAC"`)
	fakeTool(t, bin, "tsinfo", "")
	chromium := filepath.Join(bin, "chromium")
	fakeTool(t, bin, "chromium", "")

	tests := []struct {
		name     string
		tool     Tool
		path     string // PATH
		chromium string // BOXCAR_CHROMIUM
		// want is the path Need returns, or the missing tool's message.
		want, wantMissing string
	}{
		{name: "ffmpeg present", tool: FFmpeg, path: bin, want: filepath.Join(bin, "ffmpeg")},
		{name: "ffmpeg missing", tool: FFmpeg, path: t.TempDir(), wantMissing: "ffmpeg is not on PATH; install it with `apt-get install ffmpeg`"},
		{name: "ffprobe missing", tool: FFprobe, path: bin, wantMissing: "ffprobe is not on PATH; install it with `apt-get install ffmpeg`"},
		{name: "tsreport missing", tool: TSTools, path: bin, wantMissing: "tsreport is not on PATH; install it with `apt-get install tstools`"},
		{name: "chromium present", tool: Chromium, path: bin, chromium: chromium, want: chromium},
		{name: "chromium missing", tool: Chromium, path: bin, chromium: "/nonexistent/chromium", wantMissing: "chromium is not at /nonexistent/chromium"},
		{name: "node missing", tool: E2EModules, path: bin, wantMissing: "node (Node.js 20 or later) is not on PATH; install it with `apt-get install nodejs npm && cd e2e && "},
	}
	for _, tc := range tests {
		for _, required := range []bool{false, true} {
			name := tc.name
			if required {
				name += " required"
			}
			t.Run(name, func(t *testing.T) {
				t.Setenv("PATH", tc.path)
				t.Setenv(ChromiumEnv, tc.chromium)
				t.Setenv(RequireToolsEnv, "")
				if required {
					t.Setenv(RequireToolsEnv, "1")
				}
				r := &recorder{TB: t}
				var got string
				r.run(func() { got = Need(r, tc.tool) })
				if tc.wantMissing == "" {
					if got != tc.want || r.skipped != "" || r.failed != "" {
						t.Errorf("Need = %q (skipped %q, failed %q), want %q", got, r.skipped, r.failed, tc.want)
					}
					return
				}
				ended, other := r.skipped, r.failed
				if required {
					ended, other = r.failed, r.skipped
				}
				if !strings.Contains(ended, tc.wantMissing) || !strings.Contains(ended, "scripts/test.sh") || other != "" {
					t.Errorf("skipped %q, failed %q; want the test ended (required mode %v) with %q", r.skipped, r.failed, required, tc.wantMissing)
				}
				var me *MissingToolError
				if _, err := Find(tc.tool); !errors.As(err, &me) || me.Tool != tc.tool {
					t.Errorf("Find(%v) error = %v, want a *MissingToolError for it", tc.tool, err)
				}
			})
		}
	}
}

func TestNeedEncoder(t *testing.T) {
	bin := t.TempDir()
	fakeTool(t, bin, "ffmpeg", `echo "Encoders:"; echo " V....D libx264              libx264 H.264"; echo " A..... aac                  AAC"`)
	tests := []struct {
		name, path, encoder string
		required            bool
		wantSkip, wantFail  string
	}{
		{name: "present", path: bin, encoder: "libx264"},
		{name: "absent", path: bin, encoder: "libx265", wantSkip: "has no libx265 encoder"},
		{name: "absent required", path: bin, encoder: "libx265", required: true, wantFail: "has no libx265 encoder"},
		// Without ffmpeg the message blames ffmpeg, not the encoder.
		{name: "no ffmpeg", path: t.TempDir(), encoder: "libx264", wantSkip: "ffmpeg is not on PATH"},
		{name: "no ffmpeg required", path: t.TempDir(), encoder: "libx264", required: true, wantFail: "ffmpeg is not on PATH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			t.Setenv(RequireToolsEnv, "")
			if tc.required {
				t.Setenv(RequireToolsEnv, "1")
			}
			r := &recorder{TB: t}
			r.run(func() { NeedEncoder(r, tc.encoder) })
			if (tc.wantSkip == "") != (r.skipped == "") || !strings.Contains(r.skipped, tc.wantSkip) ||
				(tc.wantFail == "") != (r.failed == "") || !strings.Contains(r.failed, tc.wantFail) {
				t.Errorf("skipped %q, failed %q; want skipped %q, failed %q", r.skipped, r.failed, tc.wantSkip, tc.wantFail)
			}
		})
	}
}
