package hls

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"boxcar/internal/media/fmp4"
	"boxcar/internal/store"
)

// fragCacheSize bounds the fragment facts kept: a day of 2 s segments of
// four video tracks is about 170 000; the window manifests list is far
// smaller, and older entries are simply read again.
const fragCacheSize = 16384

// fragInfo is what I-frame playlists need about a stored video fragment.
// Fragments start at a keyframe (live stores them so), and stored
// fragments never change, so the facts are cached by store key.
type fragInfo struct {
	// iframe is the length of the fragment's prefix that holds its
	// keyframe: moof, mdat header and the first sample.
	iframe int
	// sample is the size of the keyframe's sample data.
	sample int
}

// fragCache is a bounded map of fragInfo by store key, replaced in
// insertion order. It is safe for concurrent use.
type fragCache struct {
	mu   sync.Mutex
	m    map[string]fragInfo
	ring []string
	next int
}

func newFragCache(n int) *fragCache {
	return &fragCache{m: make(map[string]fragInfo, n), ring: make([]string, n)}
}

// get returns the facts of the stored fragment at key, reading and
// parsing it on a miss.
func (c *fragCache) get(ctx context.Context, st store.Store, key string) (fragInfo, error) {
	c.mu.Lock()
	fi, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return fi, nil
	}
	b, err := st.Get(ctx, key)
	if err != nil {
		return fragInfo{}, fmt.Errorf("hls: read fragment %s: %w", key, err)
	}
	fi, err = parseFragInfo(b)
	if err != nil {
		return fragInfo{}, fmt.Errorf("hls: fragment %s: %w", key, err)
	}
	c.mu.Lock()
	if _, ok := c.m[key]; !ok {
		if old := c.ring[c.next]; old != "" {
			delete(c.m, old)
		}
		c.ring[c.next] = key
		c.next = (c.next + 1) % len(c.ring)
		c.m[key] = fi
	}
	c.mu.Unlock()
	return fi, nil
}

// parseFragInfo reads a stored fragment (moof then mdat, sample data from
// the start of the mdat payload, as fmp4.WriteFragment lays it out).
func parseFragInfo(b []byte) (fragInfo, error) {
	if len(b) < 16 || string(b[4:8]) != "moof" {
		return fragInfo{}, fmt.Errorf("no moof at the start")
	}
	moof := int(binary.BigEndian.Uint32(b[0:4]))
	if moof < 8 || moof+8 > len(b) || string(b[moof+4:moof+8]) != "mdat" {
		return fragInfo{}, fmt.Errorf("no mdat after the moof")
	}
	hdr := 8
	if binary.BigEndian.Uint32(b[moof:]) == 1 {
		hdr = 16
	}
	_, samples, err := fmp4.ParseFragment(b)
	if err != nil {
		return fragInfo{}, err
	}
	if len(samples) == 0 || !samples[0].Sync {
		return fragInfo{}, fmt.Errorf("does not start with a keyframe")
	}
	n := len(samples[0].Data)
	if moof+hdr+n > len(b) {
		return fragInfo{}, fmt.Errorf("first sample overruns the fragment")
	}
	return fragInfo{iframe: moof + hdr + n, sample: n}, nil
}
