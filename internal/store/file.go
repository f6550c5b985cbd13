package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
)

// File stores objects as files under a root directory. Put writes a
// temporary file, syncs it, renames it into place and syncs the directory,
// so an object is either whole and durable or absent.
type File struct {
	root string
	seq  atomic.Uint64
}

// tmpMark marks files being written (object.~N): '~' is not a key
// character, so no key is ever taken for a temporary file. NewFile removes
// leftovers of a crash.
const tmpMark = "~"

func isTemp(p string) bool { return strings.Contains(filepath.Base(p), tmpMark) }

// NewFile opens (creating if needed) a file store rooted at dir and removes
// temporary files a crash left behind.
func NewFile(dir string) (*File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dir, err)
	}
	f := &File{root: dir}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isTemp(p) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: clean %s: %w", dir, err)
	}
	return f, nil
}

func (f *File) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("store: invalid key %q", key)
	}
	return filepath.Join(f.root, filepath.FromSlash(key)), nil
}

// Put writes data under key durably.
func (f *File) Put(ctx context.Context, key string, data []byte) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return wrapErr("mkdir", key, err)
	}
	tmp := fmt.Sprintf("%s%s%d", p, tmpMark, f.seq.Add(1))
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return wrapErr("create", key, err)
	}
	_, err = fh.Write(data)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return wrapErr("write", key, err)
	}
	return syncDir(dir)
}

func wrapErr(op, key string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("store: %s %q: %w: %v", op, key, ErrFull, err)
	}
	return fmt.Errorf("store: %s %q: %w", op, key, err)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}

// Get reads the object under key.
func (f *File) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) {
		return nil, ErrNotFound // a directory is a prefix, not an object
	}
	if err != nil {
		return nil, fmt.Errorf("store: read %q: %w", key, err)
	}
	return b, nil
}

// List returns the keys under prefix in lexical order.
func (f *File) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	// Walk the deepest directory the prefix names completely.
	base := prefix
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[:i]
	} else {
		base = ""
	}
	start := filepath.Join(f.root, filepath.FromSlash(base))
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || isTemp(p) {
			return nil
		}
		rel, err := filepath.Rel(f.root, p)
		if err != nil {
			return err
		}
		k := filepath.ToSlash(rel)
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}

// Delete removes the object under key.
func (f *File) Delete(ctx context.Context, key string) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: delete %q: %w", key, err)
	}
	return nil
}

// DeletePrefix removes every object under prefix. A prefix ending in "/"
// removes the whole directory at once.
func (f *File) DeletePrefix(ctx context.Context, prefix string) error {
	if strings.HasSuffix(prefix, "/") && ValidKey(strings.TrimSuffix(prefix, "/")) {
		p := filepath.Join(f.root, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("store: delete %q: %w", prefix, err)
		}
		return nil
	}
	keys, err := f.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := f.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Usage returns the bytes stored under prefix.
func (f *File) Usage(prefix string) (int64, error) {
	var n int64
	start := filepath.Join(f.root, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n, err
}

// Size returns the size of the object under key.
func (f *File) Size(ctx context.Context, key string) (int64, error) {
	p, err := f.path(key)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || err == nil && info.IsDir() {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: stat %q: %w", key, err)
	}
	return info.Size(), nil
}
