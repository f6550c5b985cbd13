package secrets

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/configstore"
)

// versions builds versions from "id:LABEL,LABEL id2: …" (ids in creation
// order), and show prints them back the same way.
func versions(spec string) []configstore.SecretVersion {
	var vs []configstore.SecretVersion
	for _, f := range strings.Fields(spec) {
		id, labels, _ := strings.Cut(f, ":")
		v := configstore.SecretVersion{ID: id}
		if labels != "" {
			v.Stages = strings.Split(labels, ",")
		}
		vs = append(vs, v)
	}
	return vs
}

func show(vs []configstore.SecretVersion) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.ID+":"+strings.Join(v.Stages, ","))
	}
	return strings.Join(parts, " ")
}

func TestStageMoves(t *testing.T) {
	tests := []struct {
		name   string
		before string
		op     string // "attach <id> <label>" or "detach <id> <label>"
		after  string
	}{
		{"first value becomes current", "a:", "attach a AWSCURRENT", "a:AWSCURRENT"},
		{"new current pushes previous", "a:AWSCURRENT b:", "attach b AWSCURRENT", "a:AWSPREVIOUS b:AWSCURRENT"},
		{"previous leaves the oldest", "a:AWSPREVIOUS b:AWSCURRENT c:", "attach c AWSCURRENT", "a: b:AWSPREVIOUS c:AWSCURRENT"},
		{"roll back swaps current and previous", "a:AWSPREVIOUS b:AWSCURRENT", "attach a AWSCURRENT", "a:AWSCURRENT b:AWSPREVIOUS"},
		{"current to an old version", "a: b:AWSPREVIOUS c:AWSCURRENT", "attach a AWSCURRENT", "a:AWSCURRENT b: c:AWSPREVIOUS"},
		{"already there", "a:AWSPREVIOUS b:AWSCURRENT", "attach b AWSCURRENT", "a:AWSPREVIOUS b:AWSCURRENT"},
		{"custom label moves alone", "a:AWSCURRENT,blue b:", "attach b blue", "a:AWSCURRENT b:blue"},
		{"previous moved by hand", "a:AWSPREVIOUS b:AWSCURRENT c:", "attach c AWSPREVIOUS", "a: b:AWSCURRENT c:AWSPREVIOUS"},
		{"detach previous", "a:AWSPREVIOUS b:AWSCURRENT", "detach a AWSPREVIOUS", "a: b:AWSCURRENT"},
		{"detach keeps other labels", "a:AWSPREVIOUS,blue b:AWSCURRENT", "detach a blue", "a:AWSPREVIOUS b:AWSCURRENT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := versions(tc.before)
			var verb, id, label string
			if _, err := fmt.Sscan(tc.op, &verb, &id, &label); err != nil {
				t.Fatal(err)
			}
			i := versionIndex(vs, id)
			switch verb {
			case "attach":
				attachStage(vs, i, label)
			case "detach":
				detachStage(vs, i, label)
			}
			if diff := cmp.Diff(tc.after, show(vs)); diff != "" {
				t.Errorf("%s on %q (-want +got):\n%s", tc.op, tc.before, diff)
			}
		})
	}
}

func TestPruneVersions(t *testing.T) {
	var vs []configstore.SecretVersion
	for i := range maxVersions + 3 {
		vs = append(vs, configstore.SecretVersion{ID: fmt.Sprint(i)})
	}
	vs[0].Stages = []string{"keep"}
	vs[len(vs)-1].Stages = []string{StageCurrent}
	got, ok := pruneVersions(vs)
	if !ok || len(got) != maxVersions {
		t.Fatalf("pruneVersions: %d versions, ok %t; want %d, true", len(got), ok, maxVersions)
	}
	// The labeled oldest stays; the three oldest unlabeled ones go.
	if got[0].ID != "0" || got[1].ID != "4" {
		t.Errorf("after pruning the first versions are %s, %s; want 0, 4", got[0].ID, got[1].ID)
	}

	var labeled []configstore.SecretVersion
	for i := range maxVersions + 1 {
		labeled = append(labeled, configstore.SecretVersion{ID: fmt.Sprint(i), Stages: []string{fmt.Sprint("l", i)}})
	}
	if _, ok := pruneVersions(labeled); ok {
		t.Errorf("pruneVersions with %d labeled versions: ok, want refusal", len(labeled))
	}
}
