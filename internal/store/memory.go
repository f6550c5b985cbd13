package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Memory is an in-memory Store for tests and throwaway setups.
type Memory struct {
	mu   sync.RWMutex
	objs map[string][]byte
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{objs: make(map[string][]byte)} }

// Put stores a copy of data.
func (m *Memory) Put(ctx context.Context, key string, data []byte) error {
	if !ValidKey(key) {
		return fmt.Errorf("store: invalid key %q", key)
	}
	b := append([]byte(nil), data...)
	m.mu.Lock()
	m.objs[key] = b
	m.mu.Unlock()
	return nil
}

// Get returns the object; callers must not modify it.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	m.mu.RLock()
	b, ok := m.objs[key]
	m.mu.RUnlock()
	if !ok {
		return nil, ErrNotFound
	}
	return b, nil
}

// List returns the keys under prefix in lexical order.
func (m *Memory) List(ctx context.Context, prefix string) ([]string, error) {
	m.mu.RLock()
	var keys []string
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	m.mu.RUnlock()
	sort.Strings(keys)
	return keys, nil
}

// Delete removes key.
func (m *Memory) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	delete(m.objs, key)
	m.mu.Unlock()
	return nil
}

// DeletePrefix removes every key under prefix.
func (m *Memory) DeletePrefix(ctx context.Context, prefix string) error {
	m.mu.Lock()
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) {
			delete(m.objs, k)
		}
	}
	m.mu.Unlock()
	return nil
}

// Size returns the size of the object under key.
func (m *Memory) Size(ctx context.Context, key string) (int64, error) {
	m.mu.RLock()
	b, ok := m.objs[key]
	m.mu.RUnlock()
	if !ok {
		return 0, ErrNotFound
	}
	return int64(len(b)), nil
}
