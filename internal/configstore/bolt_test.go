package configstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func openTest(t *testing.T) (*Bolt, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, path
}

func testChannel(id string) *Channel {
	return &Channel{
		ARN: "arn:aws:mediapackage:us-east-1:000000000000:channels/" + id, ID: id, CreatedAt: "2024-01-01T00:00:00+00:00",
		HLSIngest: HLSIngest{IngestEndpoints: []IngestEndpoint{{ID: "a", URL: "u", Username: "n", Password: "p"}, {ID: "b"}}},
		Tags:      map[string]string{"k": "v"},
	}
}

func testEndpoint(id, channelID string) *OriginEndpoint {
	return &OriginEndpoint{ID: id, ChannelID: channelID, ManifestName: "index", Origination: "ALLOW",
		HLSPackage: &HLSPackage{SegmentDurationSeconds: 6, PlaylistWindowSeconds: 60, AdTriggers: []string{"SPLICE_INSERT"}}}
}

func TestBoltChannelCRUD(t *testing.T) {
	ctx := context.Background()
	b, _ := openTest(t)
	if got := b.Version(); got != 1 {
		t.Fatalf("Version() on open = %d, want 1", got)
	}
	ch := testChannel("c1")
	if err := b.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateChannel(ctx, ch); !errors.Is(err, ErrExists) {
		t.Fatalf("second CreateChannel: got %v, want ErrExists", err)
	}
	got, err := b.Channel(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ch, got); diff != "" {
		t.Fatalf("Channel (-want +got):\n%s", diff)
	}
	// The returned value is a copy.
	got.Tags["k"] = "changed"
	again, _ := b.Channel(ctx, "c1")
	if again.Tags["k"] != "v" {
		t.Fatalf("mutating a returned channel changed the store")
	}
	if _, err := b.Channel(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Channel(nope): got %v, want ErrNotFound", err)
	}

	v := b.Version()
	boom := errors.New("boom")
	if _, err := b.UpdateChannel(ctx, "c1", func(c *Channel) error { c.Description = "x"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("UpdateChannel with failing fn: got %v", err)
	}
	if b.Version() != v {
		t.Fatalf("a failed update moved the version")
	}
	if c, _ := b.Channel(ctx, "c1"); c.Description != "" {
		t.Fatalf("a failed update was applied")
	}
	if _, err := b.UpdateChannel(ctx, "c1", func(c *Channel) error { c.ID = "other"; return nil }); err == nil {
		t.Fatalf("changing the id: got nil error")
	}
	up, err := b.UpdateChannel(ctx, "c1", func(c *Channel) error { c.Description = "d"; return nil })
	if err != nil || up.Description != "d" {
		t.Fatalf("UpdateChannel: %v %+v", err, up)
	}
	if b.Version() != v+1 {
		t.Fatalf("Version after update = %d, want %d", b.Version(), v+1)
	}

	if err := b.CreateEndpoint(ctx, testEndpoint("e1", "c1")); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateEndpoint(ctx, testEndpoint("e2", "missing")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("endpoint of a missing channel: got %v, want ErrNotFound", err)
	}
	if err := b.DeleteChannel(ctx, "c1"); !errors.Is(err, ErrConflict) {
		t.Fatalf("DeleteChannel with endpoints: got %v, want ErrConflict", err)
	}
	if _, err := b.UpdateEndpoint(ctx, "e1", func(e *OriginEndpoint) error { e.ChannelID = "x"; return nil }); err == nil {
		t.Fatalf("changing channelId: got nil error")
	}
	if err := b.DeleteEndpoint(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteEndpoint(ctx, "e1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DeleteEndpoint: got %v, want ErrNotFound", err)
	}
	if err := b.DeleteChannel(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteChannel(ctx, "c1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DeleteChannel: got %v, want ErrNotFound", err)
	}
}

func ids[T any](items []*T) []string {
	var out []string
	for _, it := range items {
		out = append(out, idOf(it))
	}
	return out
}

func TestBoltPagination(t *testing.T) {
	ctx := context.Background()
	b, _ := openTest(t)
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("ch%02d", i)
		want = append(want, id)
		if err := b.CreateChannel(ctx, testChannel(id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{1, 7, 24, 25, 26, 0} {
		var got []string
		after, pages := "", 0
		for {
			items, next, err := b.ListChannels(ctx, Page{After: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if limit > 0 && len(items) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(items))
			}
			got = append(got, ids(items)...)
			if next == "" {
				break
			}
			after = next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", limit, diff)
		}
		if limit == 25 && pages != 1 {
			t.Errorf("limit 25 over 25 items: %d pages, want 1 (no empty trailing page)", pages)
		}
	}

	// Endpoints by channel, interleaved across two channels.
	for i := range 10 {
		ch := want[i%2]
		if err := b.CreateEndpoint(ctx, testEndpoint(fmt.Sprintf("ep%02d", i), ch)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		items, next, err := b.ListEndpoints(ctx, "ch01", Page{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range items {
			if e.ChannelID != "ch01" {
				t.Fatalf("endpoint %s of channel %s listed for ch01", e.ID, e.ChannelID)
			}
		}
		got = append(got, ids(items)...)
		if next == "" {
			break
		}
		after = next
	}
	if diff := cmp.Diff([]string{"ep01", "ep03", "ep05", "ep07", "ep09"}, got); diff != "" {
		t.Errorf("ListEndpoints(ch01) (-want +got):\n%s", diff)
	}
	all, next, err := b.ListEndpoints(ctx, "", Page{})
	if err != nil || len(all) != 10 || next != "" {
		t.Fatalf("ListEndpoints(all): %d items, next %q, err %v", len(all), next, err)
	}
	none, _, err := b.ListEndpoints(ctx, "nochannel", Page{Limit: 5})
	if err != nil || len(none) != 0 {
		t.Fatalf("ListEndpoints(nochannel): %v %v", none, err)
	}

	// Harvest job filter.
	for i := range 12 {
		ep := fmt.Sprintf("ep%02d", i%10)
		status := "IN_PROGRESS"
		if i%3 == 0 {
			status = "SUCCEEDED"
		}
		job := &HarvestJob{ID: fmt.Sprintf("job%02d", i), OriginEndpointID: ep, ChannelID: want[i%10%2], Status: status}
		if err := b.CreateHarvestJob(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.CreateHarvestJob(ctx, &HarvestJob{ID: "x", OriginEndpointID: "missing"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("job for missing endpoint: got %v, want ErrNotFound", err)
	}
	got = nil
	after = ""
	for {
		items, next, err := b.ListHarvestJobs(ctx, HarvestJobFilter{ChannelID: "ch00", Status: "IN_PROGRESS"}, Page{After: after, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(items)...)
		if next == "" {
			break
		}
		after = next
	}
	if diff := cmp.Diff([]string{"job02", "job04", "job08", "job10"}, got); diff != "" {
		t.Errorf("ListHarvestJobs(ch00, IN_PROGRESS) (-want +got):\n%s", diff)
	}
	job, err := b.UpdateHarvestJob(ctx, "job02", func(j *HarvestJob) error { j.Status = "FAILED"; return nil })
	if err != nil || job.Status != "FAILED" {
		t.Fatalf("UpdateHarvestJob: %v %+v", err, job)
	}
}

func TestBoltReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "config.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	ch := testChannel("keep")
	ep := testEndpoint("ep", "keep")
	job := &HarvestJob{ID: "job", OriginEndpointID: "ep", ChannelID: "keep", Status: "IN_PROGRESS"}
	for _, err := range []error{b.CreateChannel(ctx, ch), b.CreateEndpoint(ctx, ep), b.CreateHarvestJob(ctx, job)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Version() != 1 {
		t.Fatalf("Version after reopen = %d, want 1", b.Version())
	}
	gotCh, err := b.Channel(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	gotEP, err := b.Endpoint(ctx, "ep")
	if err != nil {
		t.Fatal(err)
	}
	gotJob, err := b.HarvestJob(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ch, gotCh); diff != "" {
		t.Errorf("channel (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ep, gotEP); diff != "" {
		t.Errorf("endpoint (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(job, gotJob); diff != "" {
		t.Errorf("harvest job (-want +got):\n%s", diff)
	}
	// The channel index survived too.
	if err := b.DeleteChannel(ctx, "keep"); !errors.Is(err, ErrConflict) {
		t.Fatalf("DeleteChannel after reopen: got %v, want ErrConflict", err)
	}
}

func TestBoltConcurrent(t *testing.T) {
	ctx := context.Background()
	b, _ := openTest(t)
	if err := b.CreateChannel(ctx, testChannel("shared")); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%02d", w, i)
				errs <- b.CreateChannel(ctx, testChannel(id))
				_, err := b.UpdateChannel(ctx, "shared", func(c *Channel) error {
					c.Tags[id] = "x"
					return nil
				})
				errs <- err
				_, _, err = b.ListChannels(ctx, Page{Limit: 10})
				errs <- err
				_, err = b.Channel(ctx, id)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ch, err := b.Channel(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	// Every read-modify-write landed: no lost update.
	if got, want := len(ch.Tags), workers*each+1; got != want {
		t.Fatalf("shared channel has %d tags, want %d", got, want)
	}
	all, _, _ := b.ListChannels(ctx, Page{})
	if got, want := len(all), workers*each+1; got != want {
		t.Fatalf("%d channels, want %d", got, want)
	}
	// 1 (open) + 1 (shared) + 2 writes per iteration.
	if got, want := b.Version(), uint64(2+2*workers*each); got != want {
		t.Fatalf("Version = %d, want %d", got, want)
	}
}

func TestBoltLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the open timeout")
	}
	_, path := openTest(t)
	if _, err := OpenBolt(path); err == nil {
		t.Fatalf("opening a locked file: got nil error")
	}
}
