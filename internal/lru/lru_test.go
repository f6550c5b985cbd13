package lru

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lenSize(_ string, v string) int64 { return int64(len(v)) }

func keys(c *Cache[string, string]) []string {
	var out []string
	for k := range c.All() {
		out = append(out, k)
	}
	return out
}

// checkAccounting checks the byte count matches the entries and stays
// within the bound.
func checkAccounting(t *testing.T, c *Cache[string, string]) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	n := 0
	for e := c.root.next; e != &c.root; e = e.next {
		if e.next.prev != e {
			t.Fatal("recency list broken")
		}
		sum += e.size
		n++
	}
	if sum != c.bytes || c.bytes > c.max || n != len(c.items) {
		t.Errorf("accounting: %d bytes counted, %d held, bound %d; %d indexed, %d listed", c.bytes, sum, c.max, len(c.items), n)
	}
}

// TestScript runs scripted operations on a 10-byte cache of one-byte
// sizes per letter and checks the recency order after each.
func TestScript(t *testing.T) {
	type op struct {
		do   string // put, get, getno (rejected by valid), remove, inval, putsince
		k, v string
		want []string // keys, most recent first
	}
	evicted := 0
	c := New(10, lenSize)
	c.OnEvict(func() { evicted++ })
	gen := c.Generation()
	for i, o := range []op{
		{"put", "a", "aaa", []string{"a"}},
		{"put", "b", "bbb", []string{"b", "a"}},
		{"put", "c", "ccc", []string{"c", "b", "a"}},
		{"get", "a", "aaa", []string{"a", "c", "b"}},
		{"getno", "b", "", []string{"a", "c", "b"}}, // a rejected entry keeps its place
		{"put", "d", "dd", []string{"d", "a", "c"}}, // b evicted: 11 bytes > 10
		{"put", "huge", "xxxxxxxxxxx", []string{"d", "a", "c"}},
		{"put", "a", "a", []string{"a", "d", "c"}}, // replaced, smaller
		{"remove", "c", "", []string{"a", "d"}},
		{"putsince", "e", "e", nil}, // generation moved: not kept
		{"put", "e", "eeee", []string{"e", "a", "d"}},
	} {
		switch o.do {
		case "put":
			c.Put(o.k, o.v)
		case "get", "getno":
			v, ok := c.Get(o.k, func(string) bool { return o.do == "get" })
			if ok != (o.do == "get") || v != o.v {
				t.Fatalf("step %d: Get(%s) = %q, %v", i, o.k, v, ok)
			}
		case "remove":
			c.Invalidate(o.k)
		case "putsince":
			if c.PutSince(gen, o.k, o.v, 10) {
				t.Fatalf("step %d: PutSince after an invalidation kept %s", i, o.k)
			}
			continue
		}
		checkAccounting(t, c)
		if diff := cmp.Diff(o.want, keys(c)); diff != "" {
			t.Fatalf("step %d (%s %s): keys (-want +got):\n%s", i, o.do, o.k, diff)
		}
	}
	if evicted != 1 {
		t.Errorf("evictions: got %d, want 1", evicted)
	}
}

// TestPutSinceOversizeRemoves: a value over PutSince's limit removes the
// key's older value (the caller replaced it); over Put's bound the older
// value stays.
func TestPutSinceOversizeRemoves(t *testing.T) {
	c := New(100, lenSize)
	c.Put("k", "old")
	c.Put("k", string(make([]byte, 101)))
	if v, _ := c.Get("k", nil); v != "old" {
		t.Errorf("Put over the bound: got %q, want the old value", v)
	}
	if c.PutSince(c.Generation(), "k", "0123456789", 5) {
		t.Error("PutSince over maxSize kept the value")
	}
	if _, ok := c.Get("k", nil); ok {
		t.Error("PutSince over maxSize left the old value")
	}
	if !c.PutSince(c.Generation(), "k", "new", 5) {
		t.Error("PutSince within maxSize did not keep the value")
	}
}

func TestRemoveFunc(t *testing.T) {
	c := New(100, lenSize)
	for _, k := range []string{"a/1", "a/2", "b/1"} {
		c.Put(k, k)
	}
	gen := c.Generation()
	c.RemoveFunc(func(k string) bool { return k[0] == 'a' })
	if diff := cmp.Diff([]string{"b/1"}, keys(c)); diff != "" {
		t.Errorf("after RemoveFunc (-want +got):\n%s", diff)
	}
	if c.Generation() != gen {
		t.Error("RemoveFunc started a generation")
	}
	c.InvalidateFunc(func(k string) bool { return k[0] == 'b' })
	if b, n := c.Stats(); b != 0 || n != 0 || c.Generation() != gen+1 {
		t.Errorf("after InvalidateFunc: %d bytes, %d entries, generation %d", b, n, c.Generation())
	}
}

func TestConcurrent(t *testing.T) {
	c := New(1000, lenSize)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := strconv.Itoa((g*7 + i) % 50)
				switch i % 4 {
				case 0, 1:
					c.Put(k, fmt.Sprint(i))
				case 2:
					c.Get(k, nil)
				case 3:
					c.PutSince(c.Generation(), k, "x", 100)
				}
			}
		}()
	}
	wg.Wait()
	checkAccounting(t, c)
}

func BenchmarkGetHit(b *testing.B) {
	c := New(1<<20, lenSize)
	for i := 0; i < 100; i++ {
		c.Put(strconv.Itoa(i), "value")
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Get(strconv.Itoa(i%100), nil)
		i++
	}
}
