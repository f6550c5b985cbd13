package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Tool is a program beside Go that some tests need: the real peers Boxcar
// is judged by (ffmpeg as encoder, decoder and prober, players in
// headless Chromium, tstools as a second opinion on the TS muxer).
//
// One policy holds for all of them, in every package: a test whose tool is
// missing skips with a message naming the tool and the command that
// installs it, unless the suite runs in required mode (RequireToolsEnv set,
// as scripts/test.sh and so CI do), where the same message fails the test.
// A fresh clone with only Go thus passes `go test -short ./...`, and the
// one test command cannot pass by skipping.
type Tool int

const (
	// FFmpeg is the ffmpeg program on PATH.
	FFmpeg Tool = iota + 1
	// FFprobe is the ffprobe program on PATH (Debian package ffmpeg).
	FFprobe
	// Chromium is the browser the players run in: BOXCAR_CHROMIUM, or
	// /usr/bin/chromium.
	Chromium
	// E2EModules is Node.js (node on PATH) with e2e/node_modules, where
	// playwright-core and the player libraries e2e/play.mjs loads live.
	E2EModules
	// TSTools is tstools' tsinfo and tsreport on PATH.
	TSTools
)

// RequireToolsEnv is the environment variable that turns on required
// mode: set to 1 (scripts/test.sh does), a missing tool fails the test
// instead of skipping it.
const RequireToolsEnv = "BOXCAR_REQUIRE_TOOLS"

// ChromiumEnv names another Chromium binary than /usr/bin/chromium.
const ChromiumEnv = "BOXCAR_CHROMIUM"

const defaultChromium = "/usr/bin/chromium"

// npmCI installs e2e/node_modules; the tests bring their own Chromium.
const npmCI = "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci"

// everything is appended to every hint.
const everything = "scripts/test.sh installs every tool the tests use"

func (tool Tool) String() string {
	switch tool {
	case FFmpeg:
		return "ffmpeg"
	case FFprobe:
		return "ffprobe"
	case Chromium:
		return "chromium"
	case E2EModules:
		return "e2e node modules"
	case TSTools:
		return "tstools"
	}
	return "Tool(" + strconv.Itoa(int(tool)) + ")"
}

// MissingToolError says which tool is missing and how to install it.
type MissingToolError struct {
	Tool Tool
	// What is missing, e.g. "ffmpeg is not on PATH".
	What string
	// Install is the command that installs it.
	Install string
}

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("%s; install it with `%s` (%s)", e.What, e.Install, everything)
}

// RequiredMode reports whether RequireToolsEnv asks for every tool.
func RequiredMode() bool {
	on, _ := strconv.ParseBool(os.Getenv(RequireToolsEnv))
	return on
}

// Need returns the path of tool's program (for E2EModules node, for
// TSTools tsreport), or ends the test: it skips when the tool is
// missing, and fails in required mode. Call it before any work that uses
// the tool; it must run on the test's goroutine.
func Need(t testing.TB, tool Tool) string {
	t.Helper()
	p, err := Find(tool)
	if err != nil {
		missing(t, err)
	}
	return p
}

// NeedEncoder ends the test like Need when ffmpeg is missing or has no
// encoder of that name (as listed by ffmpeg -encoders: libx264, libx265,
// aac, ac3, eac3). Debian's ffmpeg has all of these, so in required mode
// a missing one fails.
func NeedEncoder(t testing.TB, name string) {
	t.Helper()
	ffmpeg := Need(t, FFmpeg)
	out, err := exec.Command(ffmpeg, "-hide_banner", "-encoders").Output()
	if err != nil {
		t.Fatalf("%s -encoders: %v", ffmpeg, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == name {
			return
		}
	}
	missing(t, &MissingToolError{Tool: FFmpeg,
		What:    fmt.Sprintf("ffmpeg (%s) has no %s encoder", ffmpeg, name),
		Install: "apt-get install ffmpeg"})
}

func missing(t testing.TB, err error) {
	t.Helper()
	if RequiredMode() {
		t.Fatalf("%v [%s=1: a missing tool fails the test]", err, RequireToolsEnv)
	}
	t.Skipf("%v [skipped; %s=1 makes this a failure]", err, RequireToolsEnv)
}

// Find returns what Need returns, or a *MissingToolError. It is for
// helpers without a testing.TB; tests call Need.
func Find(tool Tool) (string, error) {
	switch tool {
	case FFmpeg, FFprobe:
		return lookPath(tool, tool.String(), "apt-get install ffmpeg")
	case Chromium:
		p := os.Getenv(ChromiumEnv)
		if p == "" {
			p = defaultChromium
		}
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", &MissingToolError{Tool: tool,
				What:    fmt.Sprintf("chromium is not at %s (%s names another binary)", p, ChromiumEnv),
				Install: "apt-get install chromium"}
		}
		return p, nil
	case E2EModules:
		node, err := exec.LookPath("node")
		if err != nil {
			return "", &MissingToolError{Tool: tool,
				What:    "node (Node.js 20 or later) is not on PATH",
				Install: "apt-get install nodejs npm && cd e2e && " + npmCI}
		}
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "playwright-core", "package.json")); err != nil {
			return "", &MissingToolError{Tool: tool,
				What:    "e2e/node_modules has no playwright-core",
				Install: "cd e2e && " + npmCI}
		}
		return node, nil
	case TSTools:
		if _, err := lookPath(tool, "tsinfo", "apt-get install tstools"); err != nil {
			return "", err
		}
		return lookPath(tool, "tsreport", "apt-get install tstools")
	}
	return "", fmt.Errorf("testutil: unknown tool %v", tool)
}

func lookPath(tool Tool, name, install string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &MissingToolError{Tool: tool, What: name + " is not on PATH", Install: install}
	}
	return p, nil
}

// ModuleRoot returns the directory holding Boxcar's go.mod, found by
// walking up from the working directory (a test's package directory).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testutil: module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("testutil: module root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testutil: module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
