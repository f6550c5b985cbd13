package playlist

import (
	"testing"

	"boxcar/internal/testutil"
)

// TestDependencies keeps the package pure (STYLE.md): no HTTP, no logging.
func TestDependencies(t *testing.T) {
	testutil.Layering(t, ".", "net/http", "log", "log/slog")
}
