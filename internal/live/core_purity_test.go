package live

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// coreFiles are the files of the timeline core (core.go): pure rules, no
// lock, no I/O.
var coreFiles = []string{"core.go", "core_add.go", "core_restore.go", "placement.go", "failover.go",
	"end.go", "publish.go", "tracks.go", "retention.go", "status.go"}

// TestCoreIsPure guards the core/shell split: no core file imports the
// store, the index, metrics, logging, locks or the clock, and none
// declares a method on the shell (Timeline) or the Manager.
func TestCoreIsPure(t *testing.T) {
	allowed := map[string]bool{"fmt": true, "math": true, "sort": true, "strings": true, "time": true,
		"boxcar/internal/media": true}
	fs := token.NewFileSet()
	for _, name := range coreFiles {
		f, err := parser.ParseFile(fs, filepath.Join(".", name), nil, parser.ImportsOnly|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] {
				t.Errorf("%s imports %s: the core does no I/O, logging, metrics or locking", name, path)
			}
		}
		full, err := parser.ParseFile(fs, filepath.Join(".", name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range full.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			recv := recvType(fd.Recv.List[0].Type)
			if recv == "Timeline" || recv == "Manager" {
				t.Errorf("%s declares %s.%s: shell methods belong in timeline.go or shell.go", name, recv, fd.Name.Name)
			}
		}
	}
}

// recvType is the name of a receiver's type.
func recvType(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
