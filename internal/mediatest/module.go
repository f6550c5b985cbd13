package mediatest

import (
	"testing"

	"boxcar/internal/testutil"
)

// ModuleRoot returns the directory holding Boxcar's go.mod, found by walking
// up from the working directory (a test's package directory).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	return testutil.ModuleRoot(t)
}
