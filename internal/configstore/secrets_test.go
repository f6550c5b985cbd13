package configstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testSecret(name string) *Secret {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return &Secret{
		ARN:  "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + name + "-AbCdEf",
		Name: name, Description: "cdn", Tags: map[string]string{"team": "video"},
		CreatedDate: t0, LastChangedDate: t0,
		Versions: []SecretVersion{{ID: "v1", Stages: []string{"AWSCURRENT"}, CreatedDate: t0, Sealed: []byte{1, 2, 3}}},
	}
}

func TestBoltSecretCRUD(t *testing.T) {
	ctx := context.Background()
	b, path := openTest(t)
	s := testSecret("cdn/news")
	if err := b.CreateSecret(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateSecret(ctx, testSecret("cdn/news")); !errors.Is(err, ErrExists) {
		t.Fatalf("second CreateSecret: got %v, want ErrExists", err)
	}
	got, err := b.Secret(ctx, "cdn/news")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Fatalf("Secret (-want +got):\n%s", diff)
	}

	v := b.Version()
	updated, err := b.UpdateSecret(ctx, "cdn/news", func(s *Secret) error {
		s.Versions[0].Stages = []string{"AWSPREVIOUS"}
		s.Versions = append(s.Versions, SecretVersion{ID: "v2", Stages: []string{"AWSCURRENT"}, Sealed: []byte{4}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(updated.Versions), 2; got != want {
		t.Fatalf("versions after update: got %d, want %d", got, want)
	}
	if b.Version() <= v {
		t.Errorf("Version did not move after UpdateSecret")
	}
	refused := errors.New("refused")
	if _, err := b.UpdateSecret(ctx, "cdn/news", func(s *Secret) error { s.Description = "x"; return refused }); !errors.Is(err, refused) {
		t.Fatalf("UpdateSecret with failing fn: got %v, want %v", err, refused)
	}
	if _, err := b.UpdateSecret(ctx, "cdn/news", func(s *Secret) error { s.ARN = "other"; return nil }); err == nil {
		t.Fatal("UpdateSecret changing the ARN: got nil error")
	}
	if _, err := b.UpdateSecret(ctx, "nope", func(*Secret) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpdateSecret of a missing secret: got %v, want ErrNotFound", err)
	}
	again, _ := b.Secret(ctx, "cdn/news")
	if again.Description != "cdn" {
		t.Errorf("a refused update changed the description to %q", again.Description)
	}

	// Survives a reopen.
	b.Close()
	b2, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	reopened, err := b2.Secret(ctx, "cdn/news")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(updated, reopened); diff != "" {
		t.Fatalf("after reopen (-want +got):\n%s", diff)
	}

	if err := b2.DeleteSecret(ctx, "cdn/news"); err != nil {
		t.Fatal(err)
	}
	if err := b2.DeleteSecret(ctx, "cdn/news"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DeleteSecret: got %v, want ErrNotFound", err)
	}
	if _, err := b2.Secret(ctx, "cdn/news"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Secret after delete: got %v, want ErrNotFound", err)
	}
}

func TestBoltListSecrets(t *testing.T) {
	ctx := context.Background()
	b, _ := openTest(t)
	for _, n := range []string{"c", "a", "b/x", "b"} {
		if err := b.CreateSecret(ctx, testSecret(n)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("pagination does not end")
		}
		items, next, err := b.ListSecrets(ctx, Page{After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range items {
			names = append(names, s.Name)
		}
		if next == "" {
			break
		}
		after = next
	}
	if diff := cmp.Diff([]string{"a", "b", "b/x", "c"}, names); diff != "" {
		t.Fatalf("listed names (-want +got):\n%s", diff)
	}
}
