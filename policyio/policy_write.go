package policyio

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
	"github.com/kios/imgtrust/termsafe"
)

// orderedObject marshals its fields in the given order, so that the
// written file has a stable, readable layout.
type orderedObject []field

type field struct {
	key string
	val any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, o)
}

// appendJSON appends v as compact JSON, byte for byte what encoding/json
// writes for it, without reflection: encoding/json re-validates the
// output of every MarshalJSON at every level, which made rendering a
// large policy cost as much as parsing it. Strings that need escaping are
// left to encoding/json (TestMarshalMatchesEncodingJSON holds the two to
// each other).
func appendJSON(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case orderedObject:
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendString(b, f.key); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJSON(b, f.val); err != nil {
				return nil, fmt.Errorf("%s: %w", f.key, err)
			}
		}
		return append(b, '}'), nil
	case []orderedObject:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, o := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, o); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendString(b, s); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []byte:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"'), nil
	case [][]byte:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, d := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, d); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendString quotes s as encoding/json does; only plain printable ASCII
// is written here, anything else goes through encoding/json.
func appendString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(b, q...), nil
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// MarshalPolicy renders a policy as standard JSON (no comments), two-space
// indented, default first, transports and scopes in model order. Invalid
// content is rendered faithfully, so that ParsePolicy on the result reports
// it: validation and writing can never disagree.
func MarshalPolicy(p *model.Policy) ([]byte, error) {
	top := orderedObject{{"default", requirementsJSON(p.Default)}}
	if len(p.Transports) > 0 {
		var ts orderedObject
		for _, t := range p.Transports {
			var scopes orderedObject
			for _, s := range t.Scopes {
				scopes = append(scopes, field{s.Name, requirementsJSON(s.Requirements)})
			}
			if scopes == nil {
				scopes = orderedObject{}
			}
			ts = append(ts, field{t.Name, scopes})
		}
		top = append(top, field{"transports", ts})
	}
	raw, err := appendJSON(make([]byte, 0, 256), top)
	if err != nil {
		return nil, fmt.Errorf("encoding policy: %w", err)
	}
	var out bytes.Buffer
	out.Grow(len(raw) * 2)
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("indenting policy: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// str adds a string field unless it is empty (absent in the model).
func (o *orderedObject) str(k, v string) {
	if v != "" {
		*o = append(*o, field{k, v})
	}
}

// bytes adds a base64 field unless it is nil (absent in the model).
func (o *orderedObject) bytes(k string, v []byte) {
	if v != nil {
		*o = append(*o, field{k, v})
	}
}

func requirementsJSON(rs model.Requirements) []orderedObject {
	out := make([]orderedObject, 0, len(rs))
	for _, r := range rs {
		out = append(out, requirementJSON(r))
	}
	return out
}

// list adds a string list field unless it is nil (absent in the model).
func (o *orderedObject) list(k string, v []string) {
	if v != nil {
		*o = append(*o, field{k, v})
	}
}

// dataList adds a list of base64 fields unless it is nil.
func (o *orderedObject) dataList(k string, v [][]byte) {
	if v != nil {
		*o = append(*o, field{k, v})
	}
}

// requirementJSON renders a requirement's keys in requirementFields order.
func requirementJSON(r *model.Requirement) orderedObject {
	o := orderedObject{{"type", string(r.Type)}}
	for _, f := range requirementFields {
		f.write(&o, r)
	}
	return o
}

// identityJSON renders the keys of the identity's type (identityKeys),
// each even when empty: the runtime requires all of them.
func identityJSON(id *model.Identity) orderedObject {
	o := orderedObject{{"type", string(id.Type)}}
	for _, k := range identityKeys[id.Type][1:] {
		if f, ok := lookupField(identityFields, k); ok {
			o = append(o, field{k, *f.str(id)})
		}
	}
	return o
}

// ValidatePolicy checks an in-memory policy (a TUI edit, say) exactly as
// a file: it renders it and parses the result, so the verdict is the one
// the written file would get. Positions refer to the rendered text; use
// Diagnostic.Target to find the node.
func ValidatePolicy(p *model.Policy, label string) model.Diagnostics {
	data, err := MarshalPolicy(p)
	if err != nil {
		return model.Diagnostics{{Severity: model.Error, Code: "internal", Message: err.Error()}}
	}
	_, diags := ParsePolicy(label, data)
	return diags
}

// PolicyFile is a policy.json as read from disk, with what is needed to
// write it back safely.
type PolicyFile struct {
	Path   string
	Exists bool
	Raw    []byte
	// SHA256 of Raw, checked again at write time to refuse lost updates.
	SHA256 string
	Policy *model.Policy
	Diags  model.Diagnostics
	// FS is the node the file belongs to; SavePolicy writes through it.
	FS nodefs.FS
}

// HasComments reports whether the file on disk has comments, which a
// write will drop.
func (pf *PolicyFile) HasComments() bool {
	for _, d := range pf.Diags {
		if d.Code == "comment" {
			return true
		}
	}
	return false
}

// LoadPolicy reads and parses path. A missing file is not an error of
// LoadPolicy: it gives Exists=false and an Error diagnostic, because the
// runtime then refuses every pull and the admin must be told so.
func LoadPolicy(path string) (*PolicyFile, error) {
	return LoadPolicyFrom(nodefs.FS{}, path)
}

// LoadPolicyFrom is LoadPolicy for a file of the node mounted at node
// (node.Paths.FS): links resolve inside the node's root, and anything but a
// regular file of at most nodefs.PolicyFile.Max bytes is an error.
func LoadPolicyFrom(node nodefs.FS, path string) (*PolicyFile, error) {
	pf := &PolicyFile{Path: path, FS: node}
	data, err := node.ReadFile(path, nodefs.PolicyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := "policy.json does not exist: the runtime refuses every pull (no policy.json file found)"
		if target, rerr := node.Resolve(path); rerr == nil && target != path {
			// A link whose target exists here but not on the node is
			// easy to misread in ls; say where the node looks.
			msg = fmt.Sprintf("policy.json is a link to %s, which does not exist on the node: the runtime refuses every pull (no policy.json file found)", target)
		}
		pf.SHA256 = safefile.ExpectAbsent
		pf.Diags = model.Diagnostics{{
			Severity: model.Error, Code: "policy-missing", Pos: model.Pos{File: path},
			Message: msg,
			Fix:     "create it with the guided setup (imgtrust, then w)",
			Runtime: "no policy.json file found",
		}}
		return pf, nil
	case err != nil:
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	pf.Exists = true
	pf.Raw = data
	pf.SHA256 = safefile.SHA256(data)
	pf.Policy, pf.Diags = ParsePolicy(path, data)
	return pf, nil
}

// SaveOptions control SavePolicy.
type SaveOptions struct {
	AuditLog string
	Summary  string
	// AllowWeaken permits a change that makes some images acceptable that
	// were not before. Without it such a save is refused.
	AllowWeaken bool
	// Keys reads the key files the policies name, so that a changed path
	// is compared by the keys in it; nil compares paths. CompareKeys
	// compares OpenPGP key material (gpg.CompareKeys); nil compares bytes.
	Keys        KeyFiles
	CompareKeys KeyComparer
	// Text, when set, is written instead of MarshalPolicy(p): the staged
	// text the review showed (PatchPolicy keeps the file's own layout).
	// It must parse to p (SamePolicy), or nothing is written.
	Text []byte
}

// ErrTextNotPolicy is returned when SaveOptions.Text does not parse to the
// policy being saved: nothing is written.
var ErrTextNotPolicy = errors.New("internal: the staged text does not give the staged policy; nothing was written")

// InvalidError is returned when a policy with errors is about to be
// written: nothing is written.
type InvalidError struct{ Diags model.Diagnostics }

func (e *InvalidError) Error() string {
	var b strings.Builder
	n := e.Diags.Count(model.Error)
	fmt.Fprintf(&b, "refusing to write a policy the runtime would reject (%d error(s)); nothing was changed", n)
	for _, d := range e.Diags.Sorted() {
		if d.Severity == model.Error {
			// One line per error: the values are escaped so that
			// none of them can forge another line or drive the terminal.
			b.WriteString("\n  ")
			b.WriteString(termsafe.String(d.Path))
			b.WriteString(": ")
			b.WriteString(termsafe.String(d.Message))
		}
	}
	return b.String()
}

// WeakenError is returned when a save would widen trust without
// AllowWeaken: nothing is written.
type WeakenError struct{ Changes []Weakening }

func (e *WeakenError) Error() string {
	var b strings.Builder
	b.WriteString("this change widens trust; confirm it explicitly (--allow-weaken); nothing was changed:")
	for _, w := range e.Changes {
		b.WriteString("\n  ")
		b.WriteString(termsafe.String(w.String()))
	}
	return b.String()
}

// SavePolicy validates p, refuses errors, private key material anywhere in
// it (even in rules the edit did not touch: a rewrite would copy it into
// the new file) and unconfirmed weakening, and replaces pf.Path atomically
// with a backup and an audit line. On success pf describes the new file.
func SavePolicy(pf *PolicyFile, p *model.Policy, opt SaveOptions) (safefile.Result, error) {
	if finds := FindPrivate(p); len(finds) > 0 {
		return safefile.Result{}, &PrivateKeyError{Path: pf.Path, Finds: finds}
	}
	data := opt.Text
	if data == nil {
		var err error
		if data, err = MarshalPolicy(p); err != nil {
			return safefile.Result{}, err
		}
	}
	newPol, diags := ParsePolicy(pf.Path, data)
	if diags.HasErrors() {
		return safefile.Result{}, &InvalidError{Diags: diags}
	}
	if opt.Text != nil && !SamePolicy(newPol, p) {
		return safefile.Result{}, ErrTextNotPolicy
	}
	if !opt.AllowWeaken {
		// The policy is all that changes: the same key files on both sides.
		w := Widenings(TrustState{Policy: pf.LoadedPolicy(), Keys: opt.Keys}, TrustState{Policy: newPol, Keys: opt.Keys}, opt.CompareKeys)
		if len(w) > 0 {
			return safefile.Result{}, &WeakenError{Changes: w}
		}
	}
	summary := opt.Summary
	if summary == "" {
		summary = "policy.json updated"
	}
	// A backup of a file that holds private key material would be one more
	// copy of it: the save that removes the material keeps none.
	backup := !pf.holdsPrivate()
	if !backup {
		summary += " (no backup kept: the previous file held private key material)"
	}
	res, err := safefile.Write(pf.Path, data, safefile.Options{
		ExpectSHA256: pf.SHA256, Mode: 0o644, Backup: backup, AuditLog: opt.AuditLog, Summary: summary, FS: pf.FS,
	})
	if err != nil {
		return res, fmt.Errorf("writing %s: %w", pf.Path, err)
	}
	*pf = PolicyFile{Path: pf.Path, Exists: true, Raw: data, SHA256: safefile.SHA256(data), Policy: newPol, Diags: diags, FS: pf.FS}
	return res, nil
}
