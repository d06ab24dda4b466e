package ui

import (
	"crypto/sha256"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// KeyFileKind says how the backend reads a file a rule embeds.
type KeyFileKind int

const (
	// GPGKeyring is signedBy's keyData: OpenPGP public keys.
	GPGKeyring KeyFileKind = iota
	// PEMPublicKey is sigstoreSigned's keyData and rekorPublicKeyData.
	PEMPublicKey
	// PEMCertificates is fulcio's caData and pki's caRootsData and
	// caIntermediatesData.
	PEMCertificates
)

// KeyFile is a file's content and, one line each, what it holds: the
// fingerprints and user IDs of OpenPGP keys, a PEM key's algorithm and
// digest, certificates' subjects.
type KeyFile struct {
	Data  []byte
	Lines []string
}

// KeyFileReader reads the files a rule embeds (keyData, caData, ...);
// cmd_tui.go wires it to nodefs (confined to --root) and gpg. It must
// refuse private key material: the policy is world-readable.
type KeyFileReader interface {
	ReadKeyFile(nodePath string, kind KeyFileKind) (KeyFile, error)
	// DescribeKeyData says what data already embedded in a rule holds.
	DescribeKeyData(data []byte, kind KeyFileKind) ([]string, error)
}

// embed is the state of one "embed a file" field of the rule form: the
// data the rule keeps (editing a rule that embeds already) or the file
// chosen to embed, read by a tea.Cmd.
type embed struct {
	kind KeyFileKind
	keep []byte   // embedded in the rule being edited
	kept []string // what keep holds, once described
	path string   // the file whose read is current
	data []byte
	desc []string
	err  string
	busy bool
}

// keyFileMsg is the result of reading (or describing) one embed's file.
type keyFileMsg struct {
	e    *embed
	path string // "" for a description of keep
	file KeyFile
	err  error
}

// want makes the embed current for path ("" keeps the embedded data) and
// returns the read to run, if one is needed.
func (e *embed) want(r KeyFileReader, path string) tea.Cmd {
	if path == "" {
		e.path, e.data, e.desc, e.err, e.busy = "", nil, nil, "", false
		if e.keep != nil && e.kept == nil && r != nil {
			data, kind := e.keep, e.kind
			e.kept = []string{}
			return func() tea.Msg {
				lines, err := r.DescribeKeyData(data, kind)
				return keyFileMsg{e: e, file: KeyFile{Lines: lines}, err: err}
			}
		}
		return nil
	}
	if path == e.path {
		return nil
	}
	e.path, e.data, e.desc, e.err = path, nil, nil, ""
	if r == nil {
		e.err = "this build cannot read key files: embed nothing, or give a path instead"
		return nil
	}
	e.busy = true
	kind := e.kind
	return func() tea.Msg {
		f, err := r.ReadKeyFile(path, kind)
		return keyFileMsg{e: e, path: path, file: f, err: err}
	}
}

func (e *embed) take(msg keyFileMsg) {
	if msg.path == "" {
		e.kept = msg.file.Lines
		if msg.err != nil {
			e.kept = []string{"cannot tell what it holds: " + msg.err.Error()}
		}
		return
	}
	if msg.path != e.path {
		return // an older choice
	}
	e.busy = false
	if msg.err != nil {
		e.err = msg.err.Error()
		return
	}
	e.data, e.desc = msg.file.Data, msg.file.Lines
}

// value is the data the rule gets; ok is false while a read runs or
// failed.
func (e *embed) value() (data []byte, ok bool) {
	if e.path == "" {
		return e.keep, e.keep != nil
	}
	return e.data, e.data != nil && !e.busy && e.err == ""
}

// problem blocks the form while the chosen file is not (yet) usable.
func (e *embed) problem() string {
	switch {
	case e.path == "" && e.keep == nil:
		return "choose the file to embed"
	case e.busy:
		return "reading " + e.path + "..."
	case e.err != "":
		return e.err
	case e.path != "" && len(e.data) == 0:
		return e.path + " is empty"
	}
	return ""
}

// explain says what the rule will embed.
func (e *embed) explain(ellipsis string) string {
	var lines, what []string
	switch {
	case e.path == "" && e.keep != nil:
		lines = append(lines, fmt.Sprintf("keeps the embedded %d bytes (SHA-256 %s%s):", len(e.keep), shortSum(e.keep), ellipsis))
		what = e.kept
	case e.path != "" && e.data != nil:
		lines = append(lines, fmt.Sprintf("embeds %d bytes of %s:", len(e.data), safe(e.path)))
		what = e.desc
	}
	// A user ID is the key's author's text: one line each, escaped, so
	// that it cannot forge a fingerprint line.
	for _, l := range what {
		lines = append(lines, safe(l))
	}
	return strings.Join(lines, "\n")
}

func shortSum(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%x", s[:8])
}
