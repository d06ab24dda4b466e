package policyio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
	"gopkg.in/yaml.v3"
)

// FileChange is what an edit does to one file: Old is nil for a new
// file. Callers show it as a diff, then applyChanges writes it.
type FileChange struct {
	Path      string
	Old, New  []byte
	OldSHA256 string // of what was read; safefile refuses if it changed
	// FS is the node Path belongs to (RegistriesD.FS).
	FS nodefs.FS
}

// SetOptions control Set.
type SetOptions struct {
	// File is the file name for a new section (default: named after the
	// registry, e.g. registry.example.net.yaml; default.yaml for
	// default-docker).
	File string
	// Staging sets lookaside-staging instead of lookaside.
	Staging bool
}

// Set points scope's look-aside at rawURL: in place in the file that
// defines the section (keeping its comments and order), or in a new
// section. The whole directory is validated with the change before it is
// returned; nothing is written.
func (rd *RegistriesD) Set(scope, rawURL string, opt SetOptions) ([]FileChange, error) {
	if scope == "" {
		return nil, fmt.Errorf("empty scope: give a registry, namespace or %s", model.DefaultDockerScope)
	}
	if msg, _, _ := DockerScopeWarning(scope); scope != model.DefaultDockerScope && msg != "" {
		return nil, fmt.Errorf("%s", msg)
	}
	key := "lookaside"
	if opt.Staging {
		key = "lookaside-staging"
	}
	var file *RegistriesFile
	var doc *yaml.Node
	if e := rd.Entry(scope); e != nil {
		// The section is edited where it is: two files defining one scope
		// is an error the runtime refuses, so --file cannot move it.
		if opt.File != "" && opt.File != filepath.Base(e.File) {
			return nil, fmt.Errorf("%s already has a section in %s in registries.d; --file only names the file of a new section: drop --file to edit it there, or remove it first (imgtrust lookaside remove %s); nothing was written", scope, filepath.Base(e.File), scope)
		}
		file = rd.file(e.File)
	} else {
		name := opt.File
		if name == "" {
			name = sectionFileName(scope)
		}
		if !strings.HasSuffix(name, ".yaml") || strings.ContainsAny(name, "/\\") {
			return nil, fmt.Errorf("file name %q must be a plain name ending in .yaml (the runtime reads no other files)", name)
		}
		file = rd.file(filepath.Join(rd.Dir, name))
		if file == nil {
			file = &RegistriesFile{Path: filepath.Join(rd.Dir, name), SHA256: safefile.ExpectAbsent}
		}
	}
	if file.Root == nil && file.Raw != nil {
		return nil, fmt.Errorf("%s cannot be parsed; fix it first (imgtrust lint)", file.Path)
	}
	doc = cloneNode(file.Root)
	if doc == nil || len(doc.Content) == 0 {
		doc = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s is not a YAML mapping", file.Path)
	}
	var section *yaml.Node
	if scope == model.DefaultDockerScope {
		section = ensureMapping(top, model.DefaultDockerScope)
	} else {
		section = ensureMapping(ensureMapping(top, "docker"), scope)
	}
	setScalar(section, key, rawURL)
	return rd.change(file, doc)
}

// Remove deletes scope's section from the file that defines it.
func (rd *RegistriesD) Remove(scope string) ([]FileChange, error) {
	e := rd.Entry(scope)
	if e == nil {
		return nil, fmt.Errorf("no registries.d section for %q", scope)
	}
	file := rd.file(e.File)
	doc := cloneNode(file.Root)
	top := doc.Content[0]
	if scope == model.DefaultDockerScope {
		deleteKey(top, model.DefaultDockerScope)
	} else if d := mappingValue(top, "docker"); d != nil {
		deleteKey(d, scope)
	}
	return rd.change(file, doc)
}

// change renders doc for file and validates the directory with it.
func (rd *RegistriesD) change(file *RegistriesFile, doc *yaml.Node) ([]FileChange, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", file.Path, err)
	}
	enc.Close()
	ch := FileChange{Path: file.Path, Old: file.Raw, New: buf.Bytes(), OldSHA256: file.SHA256, FS: rd.FS}
	if diags := rd.validateWith([]FileChange{ch}); diags.HasErrors() {
		var msgs []string
		for _, d := range diags {
			if d.Severity == model.Error {
				msgs = append(msgs, d.Message)
			}
		}
		return nil, fmt.Errorf("the change would make registries.d invalid, so nothing is written: %s", strings.Join(msgs, "; "))
	}
	return []FileChange{ch}, nil
}

// validateWith loads a scratch copy of the directory with the changes
// applied, so that the merge rules across files are checked too.
func (rd *RegistriesD) validateWith(changes []FileChange) model.Diagnostics {
	tmp, err := os.MkdirTemp("", "imgtrust-registries.d-")
	if err != nil {
		return model.Diagnostics{{Severity: model.Error, Message: err.Error()}}
	}
	defer os.RemoveAll(tmp)
	for _, f := range rd.Files {
		os.WriteFile(filepath.Join(tmp, filepath.Base(f.Path)), f.Raw, 0o600)
	}
	for _, c := range changes {
		if c.New == nil {
			os.Remove(filepath.Join(tmp, filepath.Base(c.Path)))
			continue
		}
		os.WriteFile(filepath.Join(tmp, filepath.Base(c.Path)), c.New, 0o600)
	}
	_, diags := LoadRegistriesD(tmp)
	return diags
}

// applyChanges writes the changes through safefile (atomic, backup, audit
// line, refused if a file changed since it was read). Unexported: the node's
// registries.d is written through the workspace's change set, never
// around its review; this stays for the edit and crash tests.
func applyChanges(changes []FileChange, auditLog, summary string) error {
	for _, c := range changes {
		opt := safefile.Options{ExpectSHA256: c.OldSHA256, Mode: 0o644, Backup: true, AuditLog: auditLog, Summary: summary, FS: c.FS}
		var err error
		if c.New == nil {
			_, err = safefile.Remove(c.Path, opt)
		} else {
			_, err = safefile.Write(c.Path, c.New, opt)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", c.Path, err)
		}
	}
	return nil
}

func (rd *RegistriesD) file(path string) *RegistriesFile {
	for _, f := range rd.Files {
		if f.Path == path {
			return f
		}
	}
	return nil
}

// sectionFileName names a new file after the registry of scope.
func sectionFileName(scope string) string {
	if scope == model.DefaultDockerScope {
		return "default.yaml"
	}
	host, _, _ := strings.Cut(scope, "/")
	host = strings.TrimPrefix(host, "*.")
	host = strings.ReplaceAll(host, ":", "_")
	return host + ".yaml"
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// ensureMapping returns m[key] as a mapping, creating or replacing a null.
func ensureMapping(m *yaml.Node, key string) *yaml.Node {
	if v := mappingValue(m, key); v != nil {
		if v.Kind != yaml.MappingNode {
			*v = yaml.Node{Kind: yaml.MappingNode}
		}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

func setScalar(m *yaml.Node, key, value string) {
	if v := mappingValue(m, key); v != nil {
		v.Kind, v.Tag, v.Value, v.Style = yaml.ScalarNode, "!!str", value, 0
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = cloneNode(ch)
	}
	return &c
}
