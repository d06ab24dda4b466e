package policyio

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

func requirementTypeNames() []string {
	out := make([]string, len(model.RequirementTypes))
	for i, t := range model.RequirementTypes {
		out[i] = string(t)
	}
	return out
}

func (d *jsonDecoder) requirement(v *hujson.Value, path string, tgt model.Target) *model.Requirement {
	t := &tgt
	if v.Value.Kind() != '{' && v.Value.Kind() != 'n' {
		d.report(problem{
			sev: model.Error, code: "wrong-type", off: v.StartOffset, path: path, target: t,
			msg:     fmt.Sprintf("%s must be a requirement object such as {\"type\": \"reject\"}, not %s", path, kindName(v)),
			runtime: fmt.Sprintf("json: cannot unmarshal %s into Go value of type signature.prCommon", kindName(v)),
		})
		return nil
	}
	if v.Value.Kind() == 'n' {
		d.unknownRequirementType(v.StartOffset, path, "", t)
		return nil
	}
	// A second "type" whose value is a keyType is the classic mix-up.
	dupFix := func(name string, m member) (string, string) {
		if name == "type" && m.val.Value.Kind() == '"' && slices.Contains(model.KeyTypes, litString(m.val.Value)) {
			return fmt.Sprintf("rename this key to \"keyType\": %s is a key type, not a requirement type", m.val.Value.(hujson.Literal)), "keyType"
		}
		return "", ""
	}
	var mbuf [8]member
	members, _ := d.objectInto(mbuf[:0], v, path, t, dupFix)
	r := &model.Requirement{Pos: d.pos(v.StartOffset)}
	var typeMember *member
	for i := range members {
		if members[i].name == "type" {
			typeMember = &members[i]
		}
	}
	if typeMember == nil {
		d.unknownRequirementType(v.StartOffset, path, "", t)
		return nil
	}
	switch typeMember.val.Value.Kind() {
	case '"':
	case 'n':
		d.unknownRequirementType(typeMember.val.StartOffset, path+".type", "", t)
		return nil
	default:
		d.report(problem{
			sev: model.Error, code: "wrong-type", off: typeMember.val.StartOffset, path: path + ".type", target: t,
			msg:     "the requirement type must be a string",
			runtime: fmt.Sprintf("json: cannot unmarshal %s into Go struct field prCommon.type of type signature.prTypeIdentifier", kindName(typeMember.val)),
		})
		return nil
	}
	r.Type = intern(model.RequirementType(litString(typeMember.val.Value)), model.RequirementTypes)
	allowed, known := requirementKeys[r.Type]
	if !known {
		d.unknownRequirementType(typeMember.val.StartOffset, path+".type", string(r.Type), t)
		return nil
	}
	var buf [8]member // requirements have at most 8 known keys: no heap
	fields := fieldList(buf[:0])
	for _, m := range members {
		if !slices.Contains(allowed, m.name) {
			extra := ""
			if r.Type == model.SignedBy && m.name == "keyDatas" {
				extra = `signedBy has no "keyDatas": use "keyData" with one base64 keyring (it may hold several keys), or "keyPaths"`
			}
			ft := tgt
			ft.Field = m.name
			d.unknownKey(m, path, allowed, &ft, extra)
			continue
		}
		fields = append(fields, m)
	}
	r.FieldPos = make([]model.FieldPos, len(fields))
	for i, m := range fields {
		p := d.pos(m.nameOff)
		// The name is the schema's own string (allowed holds it): one
		// copy for every requirement instead of one each.
		r.FieldPos[i] = model.FieldPos{Field: allowed[slices.Index(allowed, m.name)], Line: int32(p.Line), Col: int32(p.Col)}
	}
	switch r.Type {
	case model.SignedBy:
		d.signedBy(r, v, fields, path, tgt)
	case model.SignedBaseLayer:
		if f, ok := fields.get("baseLayerIdentity"); ok {
			r.BaseLayerIdentity = d.identity(f, path+".baseLayerIdentity", fieldTarget(tgt, "baseLayerIdentity"))
		} else {
			d.report(problem{
				sev: model.Error, code: "missing-key", off: v.StartOffset, path: path, target: t,
				msg:     "signedBaseLayer needs a \"baseLayerIdentity\"",
				runtime: `Key "baseLayerIdentity" missing in a JSON object`,
			})
		}
	case model.SigstoreSigned:
		d.sigstoreSigned(r, fields, v.StartOffset, path, tgt)
	}
	return r
}

func fieldTarget(t model.Target, field string) *model.Target {
	t.Field = field
	return &t
}

func (d *jsonDecoder) unknownRequirementType(off int, path, got string, t *model.Target) {
	fix := "the requirement types are: " + strings.Join(requirementTypeNames(), ", ")
	repl := ""
	if s := suggest(got, requirementTypeNames()); s != "" && got != "" {
		fix = fmt.Sprintf("did you mean %q?", s)
		repl = s
	}
	msg := fmt.Sprintf("unknown requirement type %q", got)
	if got == "" {
		msg = `the requirement has no "type"`
	}
	tt := *t
	tt.Field = "type"
	d.report(problem{
		sev: model.Error, code: "unknown-requirement-type", off: off, path: path, target: &tt,
		msg: msg, fix: fix, repl: repl,
		runtime: fmt.Sprintf("Unknown policy requirement type %q", got),
	})
}

func (d *jsonDecoder) signedBy(r *model.Requirement, v *hujson.Value, f fieldList, path string, tgt model.Target) {
	obj, _ := v.Value.(*hujson.Object)
	if iv, ok := f.get("signedIdentity"); ok {
		r.SignedIdentity = d.identity(iv, path+".signedIdentity", fieldTarget(tgt, "signedIdentity"))
	}
	var present []string
	for _, k := range []string{"keyPath", "keyPaths", "keyData"} {
		if _, ok := f.get(k); ok {
			present = append(present, k)
		}
	}
	reqOff := offsetOfPos(d, r.Pos)
	switch {
	case len(present) == 0:
		d.report(problem{
			sev: model.Error, code: "signedby-no-key", off: reqOff, path: path, target: fieldTarget(tgt, "keyPath"),
			msg:     "signedBy names no key: it needs exactly one of keyPath, keyPaths or keyData",
			fix:     `add "keyPath": "/etc/gpg/<key>.gpg" (import a key with: imgtrust keys import FILE)`,
			runtime: "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present",
		})
	case len(present) > 1:
		for _, k := range present[1:] {
			d.report(problem{
				sev: model.Error, code: "signedby-many-keys", off: offsetOfPos(d, r.FieldPosition(k)), path: path + "." + k, target: fieldTarget(tgt, k),
				msg:     fmt.Sprintf("signedBy has %s together: exactly one of keyPath, keyPaths and keyData is allowed", strings.Join(present, ", ")),
				fix:     `keep one: "keyPaths" can list several key files`,
				runtime: "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present",
				fixes:   d.keepOneFixes(obj, path, present),
			})
		}
	}
	if kv, ok := f.get("keyType"); ok {
		if s, good := d.str(kv, path+".keyType", fieldTarget(tgt, "keyType")); good {
			r.KeyType = intern(s, model.KeyTypes)
			d.checkKeyType(s, kv.StartOffset, path+".keyType", tgt)
		}
	} else {
		d.report(problem{
			sev: model.Error, code: "keytype-missing", off: reqOff, path: path, target: fieldTarget(tgt, "keyType"),
			msg:     `signedBy has no "keyType"`,
			fix:     `add "keyType": "GPGKeys"`,
			runtime: `invalid keyType ""`,
			fixes:   d.addKeyTypeFix(obj, f, path),
		})
	}
	d.keySources(r, f, path, tgt, len(present) == 1)
}

func (d *jsonDecoder) checkKeyType(s string, off int, path string, tgt model.Target) {
	switch {
	case s == "":
		d.report(problem{
			sev: model.Error, code: "keytype-missing", off: off, path: path, target: fieldTarget(tgt, "keyType"),
			msg: `"keyType" is empty`, fix: `write "keyType": "GPGKeys"`, repl: "GPGKeys",
			runtime: `invalid keyType ""`,
		})
	case !slices.Contains(model.KeyTypes, s):
		fix := `the only key type that works is "GPGKeys"`
		d.report(problem{
			sev: model.Error, code: "keytype-unknown", off: off, path: path, target: fieldTarget(tgt, "keyType"),
			msg: fmt.Sprintf("unknown keyType %q", s), fix: fix, repl: "GPGKeys",
			runtime: fmt.Sprintf("Unrecognized keyType value %q", s),
		})
	case s != model.KeyTypeGPGKeys:
		d.report(problem{
			sev: model.Warning, code: "keytype-unimplemented", off: off, path: path, target: fieldTarget(tgt, "keyType"),
			msg: fmt.Sprintf("keyType %q is accepted by the parser but not implemented: every signature is rejected", s),
			fix: `use "keyType": "GPGKeys"`, repl: "GPGKeys",
		})
	}
}

// keySources decodes keyPath/keyPaths/keyData (and, for sigstore,
// keyDatas). checkValues applies signedBy's second, by-value check.
func (d *jsonDecoder) keySources(r *model.Requirement, f fieldList, path string, tgt model.Target, checkValues bool) {
	if v, ok := f.get("keyPath"); ok {
		s, good := d.str(v, path+".keyPath", fieldTarget(tgt, "keyPath"))
		r.KeyPath = s
		if good && s == "" && checkValues && r.Type == model.SignedBy {
			d.report(problem{
				sev: model.Error, code: "signedby-empty-key", off: v.StartOffset, path: path + ".keyPath", target: fieldTarget(tgt, "keyPath"),
				msg: `"keyPath" is empty`, fix: "give the path of a public key file, e.g. /etc/gpg/release.gpg",
				runtime: "exactly one of keyPath, keyPaths and keyData must be specified",
			})
		}
	}
	if v, ok := f.get("keyPaths"); ok {
		list, good := d.strList(v, path+".keyPaths", fieldTarget(tgt, "keyPaths"))
		r.KeyPaths = list
		if good && list == nil && checkValues && r.Type == model.SignedBy {
			d.report(problem{
				sev: model.Error, code: "signedby-empty-key", off: v.StartOffset, path: path + ".keyPaths", target: fieldTarget(tgt, "keyPaths"),
				msg: `"keyPaths" is null`, fix: `list key files: ["/etc/gpg/a.gpg", "/etc/gpg/b.gpg"]`,
				runtime: "exactly one of keyPath, keyPaths and keyData must be specified",
			})
		}
		if good && list != nil && (len(list) == 0 || slices.Contains(list, "")) && r.Type == model.SignedBy {
			d.report(problem{
				sev: model.Warning, code: "no-keys", off: v.StartOffset, path: path + ".keyPaths", target: fieldTarget(tgt, "keyPaths"),
				msg: `"keyPaths" lists no usable key file: every signed image will be rejected ("No public keys imported")`,
				fix: "list the public key files that sign these images",
			})
		}
	}
	if v, ok := f.get("keyData"); ok {
		b, good := d.base64(v, path+".keyData", fieldTarget(tgt, "keyData"))
		r.KeyData = b
		if good && v.Value.Kind() == 'n' && checkValues && r.Type == model.SignedBy {
			d.report(problem{
				sev: model.Error, code: "signedby-empty-key", off: v.StartOffset, path: path + ".keyData", target: fieldTarget(tgt, "keyData"),
				msg: `"keyData" is null`, fix: "give the base64 of a public keyring (base64 -w0 key.gpg)",
				runtime: "exactly one of keyPath, keyPaths and keyData must be specified",
			})
		}
		if good && b != nil && len(b) == 0 && r.Type == model.SignedBy {
			d.report(problem{
				sev: model.Warning, code: "no-keys", off: v.StartOffset, path: path + ".keyData", target: fieldTarget(tgt, "keyData"),
				msg: `"keyData" is empty: every signed image will be rejected ("No public keys imported")`,
				fix: "give the base64 of a public keyring (base64 -w0 key.gpg)",
			})
		}
	}
	if v, ok := f.get("keyDatas"); ok {
		r.KeyDatas, _ = d.base64List(v, path+".keyDatas", fieldTarget(tgt, "keyDatas"))
	}
}

func offsetOfPos(d *jsonDecoder, p model.Pos) int {
	if p.Line == 0 {
		return -1
	}
	d.pos(0) // builds lineStarts
	if p.Line > len(d.lineStarts) {
		return len(d.src)
	}
	return min(d.lineStarts[p.Line-1]+p.Col-1, len(d.src))
}

// addKeyTypeFix adds "keyType": "GPGKeys" after the requirement's "type",
// or, when a second "type" holds a key type (the guide's mix-up), renames
// that key: adding one would leave the duplicate.
func (d *jsonDecoder) addKeyTypeFix(obj *hujson.Object, f fieldList, path string) []model.QuickFix {
	if obj == nil {
		return nil
	}
	seen := false
	for i := range obj.Members {
		m := &obj.Members[i]
		if litString(m.Name.Value) != "type" {
			continue
		}
		if seen && m.Value.Value.Kind() == '"' && slices.Contains(model.KeyTypes, litString(m.Value.Value)) {
			return replacementFix(d.src, m.Name.StartOffset, joinPath(path, "type"), "keyType")
		}
		seen = true
	}
	tv, ok := f.get("type")
	if !ok {
		return nil
	}
	return []model.QuickFix{{
		Title: `add "keyType": "GPGKeys"`,
		Edits: []model.TextEdit{{Start: tv.EndOffset, End: tv.EndOffset, New: `, "keyType": "GPGKeys"`}},
		Nodes: []string{path + ".keyType"},
	}}
}

// keepOneFixes offers each of the key sources present as the one to keep;
// the others are removed. Which is right is the admin's choice: the
// runtime takes exactly one.
func (d *jsonDecoder) keepOneFixes(obj *hujson.Object, path string, present []string) []model.QuickFix {
	if obj == nil {
		return nil
	}
	var out []model.QuickFix
	for _, keep := range present {
		var del []int
		var nodes, names []string
		for i := range obj.Members {
			name := litString(obj.Members[i].Name.Value)
			if name != keep && slices.Contains(present, name) {
				del = append(del, i)
				if !slices.Contains(names, name) {
					names = append(names, name)
					nodes = append(nodes, path+"."+name)
				}
			}
		}
		out = append(out, model.QuickFix{
			Title: fmt.Sprintf("keep %s, remove %s", keep, strings.Join(names, " and ")),
			Edits: removeMembersEdits(d.src, obj, del),
			Nodes: nodes,
		})
	}
	return out
}
