package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

var codeShape = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// emittedCodes walks the module's non-test Go files for diagnostic codes:
// string literals given to a field named code/Code, and the literal
// right after a model.Error/Warning/Info argument (the lint helpers'
// add(sev, code, ...)). It returns each code with one place it is used.
func emittedCodes(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "bench", "e2e", "testdata", ".git", ".ci":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		lit := func(e ast.Expr) (string, bool) {
			bl, ok := e.(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(bl.Value)
			return s, err == nil && codeShape.MatchString(s)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && strings.EqualFold(id.Name, "code") {
					if s, ok := lit(x.Value); ok {
						found[s] = fset.Position(x.Pos()).String()
					}
				}
			case *ast.CallExpr:
				for i, a := range x.Args[:max(0, len(x.Args)-1)] {
					sel, ok := a.(*ast.SelectorExpr)
					if !ok {
						continue
					}
					if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "model" {
						continue
					}
					switch sel.Sel.Name {
					case "Error", "Warning", "Info":
						if s, ok := lit(x.Args[i+1]); ok {
							found[s] = fset.Position(x.Args[i+1].Pos()).String()
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestDiagnosticCodesCatalogued: every code the source emits is in
// model.Codes (lint --explain and the README rely on it), and every
// catalogued code is emitted somewhere. When this fails after adding a
// diagnostic, add its code to model/codes.go.
func TestDiagnosticCodesCatalogued(t *testing.T) {
	emitted := emittedCodes(t)
	if len(emitted) < 50 {
		t.Fatalf("found only %d codes: the scan is broken", len(emitted))
	}
	catalogued := map[string]bool{}
	for _, c := range model.Codes() {
		if catalogued[c.Code] {
			t.Errorf("%s catalogued twice", c.Code)
		}
		catalogued[c.Code] = true
		if c.Area == "" || c.Meaning == "" {
			t.Errorf("%s: no area or meaning", c.Code)
		}
		if _, ok := emitted[c.Code]; !ok {
			t.Errorf("%s is catalogued but never emitted: remove it from model/codes.go", c.Code)
		}
	}
	for code, where := range emitted {
		if !catalogued[code] {
			t.Errorf("%s (emitted at %s) is not in model/codes.go: add it with its area and meaning", code, where)
		}
	}
}

// TestLintExplain: lint --explain prints a code's meaning, all of them,
// JSON, and a did-you-mean for a mistyped code (exit 2).
func TestLintExplain(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	code, out, _ := run(t, "--root", root, "lint", "--explain", "pause-image-rejected")
	if code != exitOK || !strings.Contains(out, "no new pod can start") || strings.Count(out, "\n") != 1 {
		t.Errorf("explain one: %d %q", code, out)
	}
	code, out, _ = run(t, "--root", root, "lint", "--explain", "all")
	if code != exitOK || strings.Count(out, "\n") != len(model.Codes()) {
		t.Errorf("explain all: %d, %d lines", code, strings.Count(out, "\n"))
	}
	code, out, _ = run(t, "--root", root, "lint", "--explain", "key-expired", "--json")
	if code != exitOK || !strings.Contains(out, `"area": "keys"`) {
		t.Errorf("explain --json: %d %s", code, out)
	}
	code, _, errOut := run(t, "--root", root, "lint", "--explain", "key-expird")
	if code != exitUsage || !strings.Contains(errOut, "did you mean key-expired?") {
		t.Errorf("mistyped: %d %q", code, errOut)
	}
}
