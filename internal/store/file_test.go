package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The file store: layout on disk, durability, crashes and torn objects.

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
