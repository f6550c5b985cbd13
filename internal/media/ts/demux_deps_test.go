package ts

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemuxDependencies keeps the package pure (STYLE.md): no HTTP, no logging.
func TestDemuxDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "net/http", "log", "log/slog":
			t.Errorf("imports %s", dep)
		}
	}
}
