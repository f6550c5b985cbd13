package ingest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"boxcar/internal/store"
)

// fullStore fails every Put with store.ErrFull once full is set, as a disk
// that ran out of space.
type fullStore struct {
	*store.Memory
	full atomic.Bool
}

func (f *fullStore) Put(ctx context.Context, key string, data []byte) error {
	if f.full.Load() {
		return fmt.Errorf("store: write %q: %w", key, store.ErrFull)
	}
	return f.Memory.Put(ctx, key, data)
}

func TestDiskFull(t *testing.T) {
	st := &fullStore{Memory: store.NewMemory()}
	e := newEnv(t, envOptions{cfg: testIngestConfig(), store: st})
	before := e.baseline()

	st.full.Store(true)
	e.mustPut("ep1", "seg2.ts", fixture(t, "aac/seg2.ts"))
	code, body := e.put("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts"))
	if code != http.StatusInsufficientStorage {
		t.Fatalf("playlist PUT with the disk full: got %d %q, want 507", code, body)
	}
	if !strings.Contains(body, "full") {
		t.Fatalf("507 body does not say the storage is full: %q", body)
	}
	if !strings.Contains(e.logs.String(), "level=ERROR") {
		t.Fatalf("no error logged for a full disk:\n%s", e.logs.String())
	}
	// What is stored stays readable and unchanged.
	e.checkKept(before)

	// Space comes back: ingest resumes.
	st.full.Store(false)
	e.mustPut("ep1", "seg3.ts", fixture(t, "aac/seg3.ts"))
	e.mustPut("ep1", "channel.m3u8", pl(0, "seg0.ts", "seg1.ts", "seg2.ts", "seg3.ts"))
	// The slot the full disk left empty is published as a gap once its
	// grace period ends, and the new segment after it.
	e.timeline.Tick(context.Background(), time.Now().Add(10*time.Second))
	after := e.checkKept(before)
	if got := after.Segments[len(after.Segments)-1].Seq; got <= before.Segments[len(before.Segments)-1].Seq {
		t.Fatalf("ingest did not resume after space came back: last seq %d", got)
	}
}
