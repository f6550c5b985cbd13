package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The cached store: the memory tier in front of a durable store.

// checkCacheAccounting checks the cache's byte count matches its entries
// and stays within its bound.
func checkCacheAccounting(t *testing.T, c *Cached) {
	t.Helper()
	var sum int64
	listed := 0
	for _, size := range c.mem.All() {
		sum += size
		listed++
	}
	held, indexed := c.mem.Stats()
	if sum != held || held > c.mem.Max() || indexed != listed {
		t.Errorf("cache accounting: %d bytes counted, %d held, bound %d; %d indexed, %d listed",
			held, sum, c.mem.Max(), indexed, listed)
	}
}

// cachedKeys lists the keys held in memory, most recent first.
func cachedKeys(c *Cached) []string {
	var out []string
	for k := range c.mem.All() {
		out = append(out, k)
	}
	return out
}

// TestCachedServesFromMemory: after a Put or a Get the object is served
// from memory (shown by removing it underneath the cache), Delete and
// DeletePrefix drop it from both tiers, List asks the backing store.
func TestCachedServesFromMemory(t *testing.T) {
	ctx := context.Background()
	backing := NewMemory()
	c := NewCached(backing, 1<<20)
	mustPut(t, c, "ch/put", []byte("put"))
	mustPut(t, backing, "ch/read", []byte("read"))
	if got := mustGet(t, c, "ch/read"); string(got) != "read" {
		t.Fatalf("read through: got %q", got)
	}
	if got := mustGet(t, backing, "ch/put"); string(got) != "put" {
		t.Fatalf("Put did not reach the backing store: %q", got)
	}
	// Remove both underneath: the cache still answers.
	backing.DeletePrefix(ctx, "ch/")
	for _, k := range []string{"ch/put", "ch/read"} {
		if got := mustGet(t, c, k); string(got) != k[3:] {
			t.Errorf("Get(%q) from memory: got %q", k, got)
		}
	}
	if keys := mustList(t, c, ""); len(keys) != 0 {
		t.Errorf("List answers from memory: %v, want the backing store's (none)", keys)
	}
	checkCacheAccounting(t, c)

	mustPut(t, c, "ch/a", []byte("a"))
	mustPut(t, c, "ch/b", []byte("b"))
	mustPut(t, c, "other/c", []byte("c"))
	if err := c.Delete(ctx, "ch/a"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, c, "ch/a")
	if err := c.DeletePrefix(ctx, "ch/"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ch/b", "ch/put", "ch/read"} {
		wantNotFound(t, c, k)
	}
	if got := mustGet(t, c, "other/c"); string(got) != "c" {
		t.Errorf("Get(other/c) after DeletePrefix(ch/): got %q", got)
	}
	if diff := cmp.Diff([]string{"other/c"}, cachedKeys(c)); diff != "" {
		t.Errorf("cached keys (-want +got):\n%s", diff)
	}
	checkCacheAccounting(t, c)
}

// TestCachedBound: the memory tier holds at most its bound, evicts the
// least recently used first, and does not keep objects over a quarter of
// it.
func TestCachedBound(t *testing.T) {
	ctx := context.Background()
	backing := NewMemory()
	c := NewCached(backing, 100)
	obj := func(k string, n int) []byte { return bytes.Repeat([]byte(k[:1]), n) }
	for _, k := range []string{"a", "b", "c", "d"} {
		mustPut(t, c, k, obj(k, 25)) // 25 = max/4: kept
	}
	checkCacheAccounting(t, c)
	mustGet(t, c, "a") // a is now the most recent
	mustPut(t, c, "e", obj("e", 25))
	if diff := cmp.Diff([]string{"e", "a", "d", "c"}, cachedKeys(c)); diff != "" {
		t.Errorf("after evicting (-want +got):\n%s", diff)
	}
	checkCacheAccounting(t, c)

	mustPut(t, c, "big", obj("big", 26)) // over max/4: not kept
	if diff := cmp.Diff([]string{"e", "a", "d", "c"}, cachedKeys(c)); diff != "" {
		t.Errorf("after a large Put (-want +got):\n%s", diff)
	}
	if got := mustGet(t, c, "big"); len(got) != 26 {
		t.Errorf("Get(big) through to the backing store: %d bytes", len(got))
	}
	// Overwriting a cached key with a smaller object: the count follows.
	mustPut(t, c, "e", obj("e", 5))
	checkCacheAccounting(t, c)
	if got := mustGet(t, c, "e"); len(got) != 5 {
		t.Errorf("Get(e) after overwrite: %d bytes, want 5", len(got))
	}
	// The evicted key still reads, from the backing store.
	backing.Delete(ctx, "a")
	if _, err := c.Get(ctx, "a"); err != nil {
		t.Errorf("Get(a) cached: %v", err)
	}
	if got := mustGet(t, c, "b"); len(got) != 25 {
		t.Errorf("Get(b) evicted, from backing: %d bytes", len(got))
	}
	checkCacheAccounting(t, c)
}

// notSizer hides the backing store's Size.
type notSizer struct{ Store }

// TestCachedSize: Size asks the backing store when it is a Sizer, else
// reads the object; either way a missing key is ErrNotFound.
func TestCachedSize(t *testing.T) {
	ctx := context.Background()
	for _, backing := range []Store{NewMemory(), notSizer{NewMemory()}} {
		c := NewCached(backing, 1<<20)
		mustPut(t, c, "k", make([]byte, 77))
		if n, err := c.Size(ctx, "k"); err != nil || n != 77 {
			t.Errorf("%T: Size: got %d, %v, want 77", backing, n, err)
		}
		if _, err := c.Size(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("%T: Size(missing): got %v, want ErrNotFound", backing, err)
		}
	}
}

// TestCachedPutFailure: a Put the backing store refuses is not cached, so
// a reader never sees an object that is not durable.
func TestCachedPutFailure(t *testing.T) {
	c := NewCached(failingStore{NewMemory()}, 1<<20)
	err := c.Put(context.Background(), "k", []byte("x"))
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Put: got %v, want ErrFull", err)
	}
	wantNotFound(t, c, "k")
	if keys := cachedKeys(c); len(keys) != 0 {
		t.Errorf("cached after a failed Put: %v", keys)
	}
}

type failingStore struct{ Store }

func (failingStore) Put(ctx context.Context, key string, data []byte) error {
	return fmt.Errorf("store: write %q: %w", key, ErrFull)
}

// BenchmarkCachedGet: reads served by the memory tier, the live edge's
// path.
func BenchmarkCachedGet(b *testing.B) {
	ctx := context.Background()
	c := NewCached(NewMemory(), 64<<20)
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = fmt.Sprintf("ch/seg_%d.m4s", i)
		if err := c.Put(ctx, keys[i], make([]byte, 64<<10)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := c.Get(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCachedPut: writes through to memory and into the memory tier,
// evicting as it goes.
func BenchmarkCachedPut(b *testing.B) {
	ctx := context.Background()
	c := NewCached(NewMemory(), 4<<20)
	data := make([]byte, 64<<10)
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = fmt.Sprintf("ch/seg_%d.m4s", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := c.Put(ctx, keys[i%len(keys)], data); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
