// Package store keeps media objects (init segments and CMAF fragments) in an
// object-store-shaped interface: put, get, list by prefix, delete. The
// default is files under the data directory with a bounded in-memory tier
// for the live edge; an S3-compatible implementation can follow for
// multi-node deployments (DESIGN.md §2.3).
package store

import (
	"context"
	"errors"
)

// ErrNotFound reports a key that holds no object.
var ErrNotFound = errors.New("store: not found")

// ErrFull reports that the backing storage has no space left.
var ErrFull = errors.New("store: no space left")

// Store holds immutable objects by key. Keys are slash-separated paths of
// [A-Za-z0-9._-] elements; "." and ".." elements are invalid.
//
// Put is atomic and durable: when it returns nil the whole object survives a
// crash, and a reader never sees a partial object. Implementations are safe
// for concurrent use.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys under prefix in lexical order.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes a key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every key under prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// ValidKey reports whether key is acceptable to every Store.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 {
		return false
	}
	elem := 0
	for i := 0; i <= len(key); i++ {
		if i == len(key) || key[i] == '/' {
			if elem == 0 {
				return false
			}
			e := key[i-elem : i]
			if e == "." || e == ".." {
				return false
			}
			elem = 0
			continue
		}
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
		elem++
	}
	return true
}

// Sizer is implemented by stores that can tell an object's size without
// reading it. The timeline uses it to check, on startup, that every object
// its index lists is whole.
type Sizer interface {
	Size(ctx context.Context, key string) (int64, error)
}
