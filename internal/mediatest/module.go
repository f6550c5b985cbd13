package mediatest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// installHint is appended to every "tool missing" failure.
const installHint = "run scripts/test.sh once (it installs ffmpeg, chromium, node and e2e/node_modules)"

// ModuleRoot returns the directory holding Boxcar's go.mod, found by walking
// up from the working directory (a test's package directory).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	return root
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("module root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
