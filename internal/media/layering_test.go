package media

import (
	"testing"

	"boxcar/internal/testutil"
)

// TestLayering keeps every package under internal/media pure (DESIGN.md
// §3, STYLE.md): no HTTP, no logging, and nothing else of Boxcar but
// internal/media itself.
func TestLayering(t *testing.T) {
	testutil.Layering(t, "./...", "net/http", "log", "log/slog", "boxcar/internal/...", "boxcar/cmd/...")
}
