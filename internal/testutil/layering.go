package testutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Layering keeps a layer of Boxcar honest (STYLE.md, after tailscale's
// deptest): it fails t for every package matched by pattern (a go list
// pattern, relative to the test's package directory, e.g. "./...") that
// depends, directly or through others, on a forbidden package. A
// forbidden entry is an import path ("net/http") or a path ending in
// "/..." that forbids it and everything below it ("boxcar/internal/...").
// The matched packages themselves are never forbidden, so a layer may
// import within itself. Test-only imports are not checked.
//
// It skips with a message when the go tool is not on PATH.
func Layering(t testing.TB, pattern string, forbidden ...string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("testutil: layering of %s not checked: %v", pattern, err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(goTool, "list", "-e", "-deps", "-json=ImportPath,DepOnly,Imports,Deps,Error", pattern)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testutil: go list -deps %s: %v\n%s", pattern, err, stderr.Bytes())
	}
	pkgs, err := decodePackages(out)
	if err != nil {
		t.Fatalf("testutil: go list -deps %s: %v", pattern, err)
	}
	byPath := make(map[string]*listedPackage, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	checked := 0
	for _, p := range pkgs {
		if p.DepOnly {
			continue
		}
		checked++
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		for _, dep := range p.Deps {
			if d := byPath[dep]; (d == nil || d.DepOnly) && forbids(forbidden, dep) {
				t.Errorf("%s depends on %s%s, which this layer must not", p.ImportPath, dep, via(p, dep, byPath))
			}
		}
	}
	if checked == 0 {
		t.Fatalf("testutil: no package matches %s", pattern)
	}
}

type listedPackage struct {
	ImportPath string
	DepOnly    bool
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

func decodePackages(out []byte) ([]*listedPackage, error) {
	var pkgs []*listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, &p)
	}
}

// forbids reports whether an entry of forbidden names path.
func forbids(forbidden []string, path string) bool {
	for _, f := range forbidden {
		if tree, ok := strings.CutSuffix(f, "/..."); ok {
			if path == tree || strings.HasPrefix(path, tree+"/") {
				return true
			}
		} else if path == f {
			return true
		}
	}
	return false
}

// via names the direct import of p that brings in dep, "" when p imports
// dep itself.
func via(p *listedPackage, dep string, byPath map[string]*listedPackage) string {
	if slices.Contains(p.Imports, dep) {
		return ""
	}
	for _, imp := range p.Imports {
		if d := byPath[imp]; d != nil && slices.Contains(d.Deps, dep) {
			return " (through " + imp + ")"
		}
	}
	return ""
}
