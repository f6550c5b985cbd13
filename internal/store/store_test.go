package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// impl is one Store implementation under test.
type impl struct {
	name string
	open func(t *testing.T) Store
}

// impls are every Store: each must keep the contract of the interface.
func impls() []impl {
	return []impl{
		{"memory", func(t *testing.T) Store { return NewMemory() }},
		{"file", func(t *testing.T) Store { return newFile(t, t.TempDir()) }},
		{"cached_file", func(t *testing.T) Store { return NewCached(newFile(t, t.TempDir()), 1<<20) }},
		{"cached_memory", func(t *testing.T) Store { return NewCached(NewMemory(), 1<<20) }},
		// A cache too small to hold anything: every read goes through.
		{"cached_tiny", func(t *testing.T) Store { return NewCached(NewMemory(), 3) }},
	}
}

func newFile(t *testing.T, dir string) *File {
	t.Helper()
	f, err := NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// forEach runs fn as a subtest against every implementation.
func forEach(t *testing.T, fn func(t *testing.T, s Store)) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) { fn(t, im.open(t)) })
	}
}

func mustPut(t *testing.T, s Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s Store, key string) []byte {
	t.Helper()
	b, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return b
}

func mustList(t *testing.T, s Store, prefix string) []string {
	t.Helper()
	keys, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func wantNotFound(t *testing.T, s Store, key string) {
	t.Helper()
	b, err := s.Get(context.Background(), key)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(%q): got %d bytes, err %v, want ErrNotFound", key, len(b), err)
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"media/ch1/1/00000001.m4s", true},
		{"A-Z_a.z-0.9", true},
		{"..a", true},
		{"a..", true},
		{"", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"a/./b", false},
		{"a/../b", false},
		{"../a", false},
		{"a b", false},
		{`a\b`, false},
		{"a:b", false},
		{"é", false},
		{strings.Repeat("k", 1024), true},
		{strings.Repeat("k", 1025), false},
	}
	for _, tt := range tests {
		if got := ValidKey(tt.key); got != tt.want {
			t.Errorf("ValidKey(%.20q): got %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestPutGet(t *testing.T) {
	forEach(t, func(t *testing.T, s Store) {
		mustPut(t, s, "a/b/c.m4s", []byte("one"))
		if got := mustGet(t, s, "a/b/c.m4s"); string(got) != "one" {
			t.Errorf("Get: got %q, want %q", got, "one")
		}
		// Put replaces the object whole.
		mustPut(t, s, "a/b/c.m4s", []byte("second"))
		if got := mustGet(t, s, "a/b/c.m4s"); string(got) != "second" {
			t.Errorf("Get after overwrite: got %q, want %q", got, "second")
		}
		// An empty object is an object.
		mustPut(t, s, "empty", nil)
		if got := mustGet(t, s, "empty"); len(got) != 0 {
			t.Errorf("Get(empty): got %q, want no bytes", got)
		}
		wantNotFound(t, s, "a/b/missing")
		wantNotFound(t, s, "nothing/here")
		// Not checked: a key that is a prefix directory of other keys
		// ("a/b" here). The memory store answers ErrNotFound; File.Get
		// answers an EISDIR error and File.Size the directory's size.
	})
}

func TestPutRejectsInvalidKeys(t *testing.T) {
	forEach(t, func(t *testing.T, s Store) {
		for _, key := range []string{"", "/abs", "a/", "a//b", "../escape", "a/../b", "a b"} {
			if err := s.Put(context.Background(), key, []byte("x")); err == nil {
				t.Errorf("Put(%q): no error", key)
			}
		}
		if keys := mustList(t, s, ""); len(keys) != 0 {
			t.Errorf("rejected Puts stored %v", keys)
		}
	})
}

func TestList(t *testing.T) {
	keys := []string{"a/b/1", "a/b/2", "a/bc/1", "a/c", "ab/1", "b", "media/ch1/x.m4s"}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", keys},
		{"a/", []string{"a/b/1", "a/b/2", "a/bc/1", "a/c"}},
		// A prefix is a string prefix, not a path element.
		{"a/b", []string{"a/b/1", "a/b/2", "a/bc/1"}},
		{"a/b/", []string{"a/b/1", "a/b/2"}},
		{"a", []string{"a/b/1", "a/b/2", "a/bc/1", "a/c", "ab/1"}},
		{"a/b/1", []string{"a/b/1"}},
		{"media/ch1/", []string{"media/ch1/x.m4s"}},
		{"zzz", nil},
		{"nothing/under/here/", nil},
	}
	forEach(t, func(t *testing.T, s Store) {
		// Put in an order that is not lexical.
		for i := len(keys) - 1; i >= 0; i-- {
			mustPut(t, s, keys[i], []byte(keys[i]))
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, mustList(t, s, tt.prefix)); diff != "" {
				t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
			}
		}
	})
}

func TestDelete(t *testing.T) {
	forEach(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		mustPut(t, s, "a/1", []byte("1"))
		mustPut(t, s, "a/2", []byte("2"))
		if err := s.Delete(ctx, "a/1"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantNotFound(t, s, "a/1")
		if got := mustGet(t, s, "a/2"); string(got) != "2" {
			t.Errorf("sibling after Delete: got %q", got)
		}
		if diff := cmp.Diff([]string{"a/2"}, mustList(t, s, "")); diff != "" {
			t.Errorf("List after Delete (-want +got):\n%s", diff)
		}
		// Deleting a missing key is not an error (the interface says so).
		if err := s.Delete(ctx, "a/1"); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
		if err := s.Delete(ctx, "never/was"); err != nil {
			t.Errorf("Delete under a missing directory: %v", err)
		}
		// The key can be used again.
		mustPut(t, s, "a/1", []byte("again"))
		if got := mustGet(t, s, "a/1"); string(got) != "again" {
			t.Errorf("Put after Delete: got %q", got)
		}
	})
}

func TestDeletePrefix(t *testing.T) {
	keys := []string{"a/b/1", "a/b/2", "a/bc/1", "a/c", "ab/1", "b"}
	tests := []struct {
		prefix string
		left   []string
	}{
		{"a/b/", []string{"a/bc/1", "a/c", "ab/1", "b"}},
		{"a/b", []string{"a/c", "ab/1", "b"}},
		{"a/", []string{"ab/1", "b"}},
		{"a", []string{"b"}},
		{"a/b/1", []string{"a/b/2", "a/bc/1", "a/c", "ab/1", "b"}},
		{"zzz/", keys},
		{"zzz", keys},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.prefix, "/", "|"), func(t *testing.T) {
			forEach(t, func(t *testing.T, s Store) {
				for _, k := range keys {
					mustPut(t, s, k, []byte(k))
				}
				if err := s.DeletePrefix(context.Background(), tt.prefix); err != nil {
					t.Fatalf("DeletePrefix(%q): %v", tt.prefix, err)
				}
				if diff := cmp.Diff(tt.left, mustList(t, s, "")); diff != "" {
					t.Errorf("left after DeletePrefix(%q) (-want +got):\n%s", tt.prefix, diff)
				}
				for _, k := range keys {
					if strings.HasPrefix(k, tt.prefix) {
						wantNotFound(t, s, k)
					} else if got := mustGet(t, s, k); string(got) != k {
						t.Errorf("Get(%q) after DeletePrefix(%q): got %q", k, tt.prefix, got)
					}
				}
			})
		})
	}
}

func TestSizer(t *testing.T) {
	forEach(t, func(t *testing.T, s Store) {
		sz, ok := s.(Sizer)
		if !ok {
			t.Fatalf("%T is not a Sizer", s)
		}
		ctx := context.Background()
		mustPut(t, s, "x/obj", bytes.Repeat([]byte("z"), 1234))
		mustPut(t, s, "x/empty", nil)
		if n, err := sz.Size(ctx, "x/obj"); err != nil || n != 1234 {
			t.Errorf("Size(x/obj): got %d, %v, want 1234", n, err)
		}
		if n, err := sz.Size(ctx, "x/empty"); err != nil || n != 0 {
			t.Errorf("Size(x/empty): got %d, %v, want 0", n, err)
		}
		if _, err := sz.Size(ctx, "x/missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Size(x/missing): got %v, want ErrNotFound", err)
		}
	})
}

// TestConcurrentPutGet: writers overwrite shared keys with whole objects of
// distinct sizes and contents while readers read them; a reader sees
// ErrNotFound (before the first Put) or one whole object, never a mix or a
// prefix. Run with -race.
func TestConcurrentPutGet(t *testing.T) {
	const (
		writers = 4
		readers = 4
		rounds  = 30
		keys    = 3
		base    = 16 << 10
	)
	// object w/r is a run of one byte value with a length of its own, so
	// a torn or mixed read shows.
	object := func(w, r int) []byte {
		return bytes.Repeat([]byte{byte('A' + w)}, base+w*1024+r)
	}
	whole := func(b []byte) bool {
		if len(b) < base {
			return false
		}
		w := int(b[0] - 'A')
		r := len(b) - base - w*1024
		if w < 0 || w >= writers || r < 0 || r >= rounds {
			return false
		}
		return bytes.Count(b, b[:1]) == len(b)
	}
	forEach(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errc := make(chan error, writers+readers)
		done := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					key := fmt.Sprintf("shared/%d", r%keys)
					if err := s.Put(ctx, key, object(w, r)); err != nil {
						errc <- fmt.Errorf("writer %d: Put(%s): %w", w, key, err)
						return
					}
					// And a key of its own, read back at once.
					own := fmt.Sprintf("own/%d/%d", w, r)
					if err := s.Put(ctx, own, object(w, r)); err != nil {
						errc <- fmt.Errorf("writer %d: Put(%s): %w", w, own, err)
						return
					}
					if b, err := s.Get(ctx, own); err != nil || !bytes.Equal(b, object(w, r)) {
						errc <- fmt.Errorf("writer %d: Get(%s) after Put: %d bytes, %v", w, own, len(b), err)
						return
					}
				}
			}()
		}
		var rg sync.WaitGroup
		for r := range readers {
			rg.Add(1)
			go func() {
				defer rg.Done()
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					key := fmt.Sprintf("shared/%d", i%keys)
					b, err := s.Get(ctx, key)
					if errors.Is(err, ErrNotFound) {
						continue
					}
					if err != nil {
						errc <- fmt.Errorf("reader %d: Get(%s): %w", r, key, err)
						return
					}
					if !whole(b) {
						errc <- fmt.Errorf("reader %d: Get(%s): a partial or mixed object of %d bytes", r, key, len(b))
						return
					}
					if _, err := s.List(ctx, "shared/"); err != nil {
						errc <- fmt.Errorf("reader %d: List: %w", r, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(done)
		rg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		want := []string{"shared/0", "shared/1", "shared/2"}
		if diff := cmp.Diff(want, mustList(t, s, "shared/")); diff != "" {
			t.Errorf("List(shared/) (-want +got):\n%s", diff)
		}
		if got := len(mustList(t, s, "own/")); got != writers*rounds {
			t.Errorf("List(own/): %d keys, want %d", got, writers*rounds)
		}
	})
}

// TestMemoryPutCopies: the memory store keeps a copy, so a caller may reuse
// its buffer after Put.
func TestMemoryPutCopies(t *testing.T) {
	s := NewMemory()
	buf := []byte("original")
	mustPut(t, s, "k", buf)
	copy(buf, "CHANGED!")
	if got := mustGet(t, s, "k"); string(got) != "original" {
		t.Errorf("Get after the caller changed its buffer: got %q, want %q", got, "original")
	}
}

// TestStoreDefects pins fixes: a key that looks like a temporary name is an
// object like any other; a directory is no object; the memory tier of the
// cached store never keeps a stale or shared value.
func TestStoreDefects(t *testing.T) {
	ctx := context.Background()
	t.Run("key ending in .tmp", func(t *testing.T) {
		dir := t.TempDir()
		f := newFile(t, dir)
		mustPut(t, f, "a/b.tmp", []byte("object"))
		if diff := cmp.Diff([]string{"a/b.tmp"}, mustList(t, f, "")); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		if got := mustGet(t, newFile(t, dir), "a/b.tmp"); string(got) != "object" {
			t.Errorf("after reopen: got %q", got)
		}
	})
	t.Run("directory is not an object", func(t *testing.T) {
		f := newFile(t, t.TempDir())
		mustPut(t, f, "a/b/c", []byte("x"))
		wantNotFound(t, f, "a/b")
		if _, err := f.Size(ctx, "a/b"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Size of a directory: got %v, want ErrNotFound", err)
		}
	})
	t.Run("oversized overwrite evicts the old value", func(t *testing.T) {
		c := NewCached(NewMemory(), 100)
		mustPut(t, c, "k", []byte("small"))
		big := bytes.Repeat([]byte("b"), 60) // over a quarter of the limit
		mustPut(t, c, "k", big)
		if got := mustGet(t, c, "k"); !bytes.Equal(got, big) {
			t.Errorf("Get after an oversized overwrite: got %q", got)
		}
	})
	t.Run("caller reuses its buffer", func(t *testing.T) {
		c := NewCached(NewMemory(), 1<<20)
		buf := []byte("first")
		mustPut(t, c, "k", buf)
		copy(buf, "XXXXX")
		if got := mustGet(t, c, "k"); string(got) != "first" {
			t.Errorf("Get after the caller reused its buffer: got %q, want first", got)
		}
	})
	t.Run("delete during put", func(t *testing.T) {
		slow := &gatedStore{Store: NewMemory(), gate: make(chan struct{}), entered: make(chan struct{})}
		c := NewCached(slow, 1<<20)
		done := make(chan error)
		go func() { done <- c.Put(ctx, "k", []byte("v")) }()
		<-slow.entered // the backing write happened; Put has not cached yet
		if err := c.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		close(slow.gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, c, "k")
	})
}

// gatedStore holds its first Put after writing, until gate closes.
type gatedStore struct {
	Store
	gate, entered chan struct{}
	once          sync.Once
}

func (g *gatedStore) Put(ctx context.Context, key string, data []byte) error {
	err := g.Store.Put(ctx, key, data)
	g.once.Do(func() {
		close(g.entered)
		<-g.gate
	})
	return err
}
