package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// filesUnder lists every regular file under dir, relative, slash-separated.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFilePutLayout: an object is one file at its key's path with exactly
// the bytes put, and Put leaves no temporary file behind.
func TestFilePutLayout(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, dir)
	mustPut(t, f, "media/ch1/init/1_0.mp4", []byte("init"))
	mustPut(t, f, "media/ch1/1/1.m4s", []byte("frag-1"))
	mustPut(t, f, "media/ch1/1/1.m4s", []byte("frag-1, again")) // overwrite
	want := []string{"media/ch1/1/1.m4s", "media/ch1/init/1_0.mp4"}
	if diff := cmp.Diff(want, filesUnder(t, dir)); diff != "" {
		t.Errorf("files on disk (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(dir, "media", "ch1", "1", "1.m4s"))
	if err != nil || string(b) != "frag-1, again" {
		t.Errorf("file content: %q, %v", b, err)
	}
}

// TestFileDurableAcrossReopen: what Put stored is there for a new store on
// the same directory, as after a restart. (That Put fsyncs the file and its
// directory cannot be observed without a power cut; what it guarantees to a
// reader is.)
func TestFileDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, dir)
	objs := map[string]string{"a/1": "one", "a/2": "two", "b/c/3": "three"}
	for k, v := range objs {
		mustPut(t, f, k, []byte(v))
	}
	g := newFile(t, dir)
	for k, v := range objs {
		if got := mustGet(t, g, k); string(got) != v {
			t.Errorf("reopened Get(%q): got %q, want %q", k, got, v)
		}
	}
	if diff := cmp.Diff([]string{"a/1", "a/2", "b/c/3"}, mustList(t, g, "")); diff != "" {
		t.Errorf("reopened List (-want +got):\n%s", diff)
	}
}

// TestFileInterruptedWrite: a write that never finished leaves a temporary
// file (written under the object's name plus tmpMark and a counter). It
// is not an object: Get and List do not see it, it does not shadow an
// older whole version, and reopening the store removes it.
func TestFileInterruptedWrite(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, dir)
	mustPut(t, f, "ch/old.m4s", []byte("whole old version"))
	// A crash during a first write of ch/new.m4s, during an overwrite of
	// ch/old.m4s, and one in a directory holding nothing else.
	leftovers := map[string]string{
		"ch/new.m4s" + tmpMark + "1":       "partial",
		"ch/old.m4s" + tmpMark + "2":       "torn new ver",
		"other/deep/x.m4s" + tmpMark + "3": "p",
	}
	for name, data := range leftovers {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s Store) {
		t.Helper()
		wantNotFound(t, s, "ch/new.m4s")
		wantNotFound(t, s, "other/deep/x.m4s")
		if got := mustGet(t, s, "ch/old.m4s"); string(got) != "whole old version" {
			t.Errorf("Get(ch/old.m4s): got %q, want the whole old version", got)
		}
		if diff := cmp.Diff([]string{"ch/old.m4s"}, mustList(t, s, "")); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
	}
	check(f)
	// The running store's own writes do not collide with the leftovers.
	mustPut(t, f, "ch/new.m4s", []byte("written after"))
	if got := mustGet(t, f, "ch/new.m4s"); string(got) != "written after" {
		t.Errorf("Put next to a leftover: got %q", got)
	}
	if err := f.Delete(context.Background(), "ch/new.m4s"); err != nil {
		t.Fatal(err)
	}

	// Reopening (the restart after the crash) removes every leftover.
	g := newFile(t, dir)
	check(g)
	if diff := cmp.Diff([]string{"ch/old.m4s"}, filesUnder(t, dir)); diff != "" {
		t.Errorf("files after reopen (-want +got):\n%s", diff)
	}
}

// TestFileTruncatedObject: an object file cut short on disk (a torn write
// below the store, or a damaged disk) is not something Get can detect; the
// store's answer is Size, which reports the size on disk so the timeline's
// startup check can compare it with the size its index recorded
// (live.Manager). Size must therefore be the file's, not a cached value.
func TestFileTruncatedObject(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, dir)
	mustPut(t, f, "ch/1.m4s", bytes.Repeat([]byte("x"), 1000))
	if err := os.Truncate(filepath.Join(dir, "ch", "1.m4s"), 600); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Store{f, newFile(t, dir), NewCached(f, 1<<20)} {
		if n, err := s.(Sizer).Size(context.Background(), "ch/1.m4s"); err != nil || n != 600 {
			t.Errorf("%T: Size of the truncated object: got %d, %v, want 600", s, n, err)
		}
	}
}

// TestFileFailedPutCleansUp: a Put that fails after creating its temporary
// file removes it and leaves what was there before.
func TestFileFailedPutCleansUp(t *testing.T) {
	dir := t.TempDir()
	f := newFile(t, dir)
	mustPut(t, f, "a/b", []byte("child"))
	// "a" is a directory: renaming the temporary file onto it fails.
	if err := f.Put(context.Background(), "a", []byte("x")); err == nil {
		t.Fatal("Put over a directory: no error")
	}
	if diff := cmp.Diff([]string{"a/b"}, filesUnder(t, dir)); diff != "" {
		t.Errorf("files after the failed Put (-want +got):\n%s", diff)
	}
	if got := mustGet(t, f, "a/b"); string(got) != "child" {
		t.Errorf("Get(a/b) after the failed Put: got %q", got)
	}
}

// TestFileInvalidKeys: the file store never touches a path outside its
// root, whatever the key.
func TestFileInvalidKeys(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "root")
	f := newFile(t, dir)
	ctx := context.Background()
	for _, key := range []string{"../escape", "a/../../escape", "/etc/passwd", ""} {
		if err := f.Put(ctx, key, []byte("x")); err == nil {
			t.Errorf("Put(%q): no error", key)
		}
		if _, err := f.Get(ctx, key); err == nil {
			t.Errorf("Get(%q): no error", key)
		}
		if err := f.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q): no error", key)
		}
		if _, err := f.Size(ctx, key); err == nil {
			t.Errorf("Size(%q): no error", key)
		}
	}
	if diff := cmp.Diff([]string(nil), filesUnder(t, parent)); diff != "" {
		t.Errorf("files written (-want +got):\n%s", diff)
	}
}

func TestFileUsage(t *testing.T) {
	f := newFile(t, t.TempDir())
	mustPut(t, f, "ch1/a", make([]byte, 100))
	mustPut(t, f, "ch1/sub/b", make([]byte, 50))
	mustPut(t, f, "ch2/a", make([]byte, 7))
	tests := []struct {
		prefix string
		want   int64
	}{
		{"", 157},
		{"ch1/", 150},
		{"ch1", 150},
		{"ch1/sub/", 50},
		{"ch2/", 7},
		{"missing/", 0},
	}
	for _, tt := range tests {
		if got, err := f.Usage(tt.prefix); err != nil || got != tt.want {
			t.Errorf("Usage(%q): got %d, %v, want %d", tt.prefix, got, err, tt.want)
		}
	}
}

// TestWrapErrFull: out of space and over quota are ErrFull, so ingest can
// answer 507; other errors are not.
func TestWrapErrFull(t *testing.T) {
	tests := []struct {
		err  error
		full bool
	}{
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, true},
		{&os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EDQUOT}, true},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, false},
		{errors.New("other"), false},
	}
	for _, tt := range tests {
		err := wrapErr("write", "k", tt.err)
		if got := errors.Is(err, ErrFull); got != tt.full {
			t.Errorf("wrapErr(%v): errors.Is(ErrFull) = %v, want %v", tt.err, got, tt.full)
		}
		if !strings.Contains(err.Error(), `"k"`) {
			t.Errorf("wrapErr(%v) = %q: does not name the key", tt.err, err)
		}
	}
}

// checkCacheAccounting checks the cache's byte count matches its entries
// and stays within its bound.
func checkCacheAccounting(t *testing.T, c *Cached) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	for el := c.lru.Front(); el != nil; el = el.Next() {
		sum += int64(len(el.Value.(*cacheEntry).data))
	}
	if sum != c.bytes || c.bytes > c.max || len(c.index) != c.lru.Len() {
		t.Errorf("cache accounting: %d bytes counted, %d held, bound %d; %d indexed, %d listed",
			c.bytes, sum, c.max, len(c.index), c.lru.Len())
	}
}

// cachedKeys lists the keys held in memory, most recent first.
func cachedKeys(c *Cached) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for el := c.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*cacheEntry).key)
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
