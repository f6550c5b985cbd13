package boltindex_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"boxcar/internal/live/index"
	"boxcar/internal/live/index/boltindex"
)

func rec(key uint64, v string) index.Record { return index.Record{Key: key, Value: []byte(v)} }

// TestIndexRoundTrip: what is committed loads back by ascending key
// (segment numbers past 255 included, which a byte-wise string order
// would misplace), survives a reopen, and Trim, PutSegments and
// DeleteChannel change only what they name.
func TestIndexRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.db")
	ix, err := boltindex.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ix.Commit("ch1", []byte(`{"a":1}`), []index.Record{rec(2, "t2"), rec(1, "t1")},
		[]index.Record{rec(256, "s256"), rec(3, "s3"), rec(255, "s255")}))
	must(ix.Commit("ch2", []byte(`{}`), nil, []index.Record{rec(1, "x")}))
	must(ix.Commit("ch1", []byte(`{"a":2}`), nil, []index.Record{rec(257, "s257")}))
	must(ix.Close())

	ix, err = boltindex.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	got, err := ix.Load()
	must(err)
	want := &index.Records{State: []byte(`{"a":2}`),
		Tracks:   []index.Record{rec(1, "t1"), rec(2, "t2")},
		Segments: []index.Record{rec(3, "s3"), rec(255, "s255"), rec(256, "s256"), rec(257, "s257")}}
	if !reflect.DeepEqual(got["ch1"], want) {
		t.Fatalf("ch1 loaded as %+v, want %+v", got["ch1"], want)
	}

	must(ix.Trim("ch1", 256, []uint64{1}))
	must(ix.PutSegments("ch1", []index.Record{rec(257, "gap")}))
	must(ix.PutSegments("nope", []index.Record{rec(1, "x")}))
	must(ix.DeleteChannel("ch2"))
	must(ix.DeleteChannel("never"))
	got, err = ix.Load()
	must(err)
	want = &index.Records{State: []byte(`{"a":2}`),
		Tracks:   []index.Record{rec(2, "t2")},
		Segments: []index.Record{rec(256, "s256"), rec(257, "gap")}}
	if len(got) != 1 || !reflect.DeepEqual(got["ch1"], want) {
		t.Fatalf("after trim, repair and delete: %+v, want only ch1 %+v", got, want)
	}
}
