package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestUICallsNoDomainFunction: the TUI asks every domain question through
// Deps (Rules and the backends); a direct call of a policyio, gpg,
// verify, workspace or impact function in ui's own code is a domain rule
// creeping back into the front end. Types and constants may be named.
func TestUICallsNoDomainFunction(t *testing.T) {
	domain := map[string]bool{"policyio": true, "gpg": true, "verify": true, "workspace": true, "impact": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && domain[pkg.Name] && pkg.Obj == nil {
				t.Errorf("%s: ui calls %s.%s: ask it through Deps (ui/backend.go)", fset.Position(call.Pos()), pkg.Name, sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("only %d files checked", checked)
	}
}
