package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// Terminal injection (issue 19 §3): text from a key, a file or a server
// is shown escaped, never interpreted, and --json keeps it exact.

// fakeFpr is the fingerprint a spoofing user ID paints over the real one.
const fakeFpr = "AAAA BBBB CCCC DDDD EEEE  FFFF 0000 1111 2222 3333"

// spoofKey makes a public key whose user ID moves the cursor to column 1
// (CSI 1 G) and prints another key's fingerprint over the real one, then
// starts a forged line with that fingerprint.
func spoofKey(t *testing.T) (data []byte, fingerprint, userID string) {
	t.Helper()
	name := "\x1b[1G" + fakeFpr + "\n" + fakeFpr + "  Release"
	e, err := openpgp.NewEntity(name, "", "release@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), name + " <release@example.com>"
}

// sgr matches the colour and weight sequences the TUI's own styles emit.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// assertTerminalSafe fails when out holds a byte a terminal would
// interpret (apart from newlines and tabs of the layout; frames of the TUI may also hold its own
// SGR styling), or a line that starts with the forged fingerprint.
func assertTerminalSafe(t *testing.T, what, out string, frame bool) {
	t.Helper()
	if frame {
		out = sgr.ReplaceAllString(out, "")
	}
	for _, r := range out {
		if r != '\n' && r != '\t' && termsafe.Unsafe(r) {
			t.Errorf("%s: raw %U reaches the terminal:\n%q", what, r, out)
			return
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), fakeFpr) {
			t.Errorf("%s: a value forged the line %q", what, l)
		}
	}
}

func TestFingerprintSpoofingUserID(t *testing.T) {
	data, fpr, _ := spoofKey(t)
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"spoof.gpg": string(data)})
	escapedID := `\x1b[1G` + fakeFpr + `\n` + fakeFpr

	code, out, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "spoof.gpg"))
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	assertTerminalSafe(t, "keys import", out+errs, false)
	if !strings.Contains(out, gpg.GroupFingerprint(fpr)+"  "+escapedID) {
		t.Errorf("keys import must show the real fingerprint with the escaped user ID beside it:\n%s", out)
	}

	code, out, errs = run(t, "--root", root, "keys", "list")
	assertTerminalSafe(t, "keys list", out+errs, false)
	if code != exitOK || !strings.Contains(out, gpg.ShortFingerprint(fpr)) || !strings.Contains(out, escapedID) {
		t.Errorf("keys list: exit %d, want the real fingerprint and the escaped ID:\n%s%s", code, out, errs)
	}

	_, out, _ = run(t, "--root", root, "--ascii", "keys", "list")
	assertASCII(t, "keys list --ascii", out)

	code, out, errs = run(t, "--root", root, "keys", "show", fpr)
	assertTerminalSafe(t, "keys show", out+errs, false)
	if code != exitOK || !strings.Contains(out, "fingerprint  "+gpg.GroupFingerprint(fpr)) || !strings.Contains(out, "user ID      "+escapedID) {
		t.Errorf("keys show: exit %d:\n%s%s", code, out, errs)
	}

	// --json keeps the user ID exact, escaped the JSON way.
	_, out, _ = run(t, "--root", root, "keys", "show", fpr, "--json")
	var keys []struct {
		UserIDs []string `json:"user_ids"`
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 1 || len(keys[0].UserIDs) != 1 || !strings.HasPrefix(keys[0].UserIDs[0], "\x1b[1G"+fakeFpr+"\n") {
		t.Errorf("keys show --json must keep the exact user ID (%v):\n%s", err, out)
	}
	assertTerminalSafe(t, "keys show --json", out, false)

	// The TUI's Keys view, through the real inventory adapter.
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	m := ui.New(ui.Deps{Rules: policyio.Rules{}, Paths: paths, Policy: ws, Keys: tuiKeys{paths: paths, ws: ws, mech: gpg.MechGoCrypto}})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(tea.KeyPressMsg{Code: '3', Text: "3"})
	frame := m.View().Content
	assertTerminalSafe(t, "TUI keys view", frame, true)
	plain := sgr.ReplaceAllString(frame, "")
	if !strings.Contains(plain, fpr) || !strings.Contains(plain, `\x1b[1G`+fakeFpr) {
		t.Errorf("TUI keys view must show the real fingerprint and the escaped user ID:\n%s", plain)
	}
}

// A registry whose error body sets the window title (OSC 0), writes the
// clipboard (OSC 52) and starts a forged verdict line.
func TestHostileRegistryErrorBody(t *testing.T) {
	body := "\x1b]0;owned\x07\x1b]52;c;ZWNobyBvd25lZA==\x07\n" + fakeFpr + " ACCEPTED"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	root := scratchRoot(t, `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}`,
		map[string]string{"etc/gpg/k.gpg": testPublicKey(t)})
	image := host + "/app:1"

	code, out, errs := run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "verify", "--tls-verify=false", "--timeout", "5s", image)
	if code != exitIncomplete {
		t.Fatalf("verify: exit %d, want %d\n%s%s", code, exitIncomplete, out, errs)
	}
	assertTerminalSafe(t, "verify", out+errs, false)
	if !strings.Contains(out, `\x1b]0;owned\x07\x1b]52;c;`) {
		t.Errorf("verify must show the error body escaped:\n%s", out)
	}

	// On the Linux console (--ascii, TERM=linux) no Unicode decoration.
	_, out, _ = run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "--ascii", "verify", "--tls-verify=false", "--timeout", "5s", image)
	assertASCII(t, "verify --ascii", out)

	// --from prints one row per image, the reason escaped too.
	from := filepath.Join(t.TempDir(), "refs")
	os.WriteFile(from, []byte(image+"\n"), 0o644)
	_, out, errs = run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "verify", "--tls-verify=false", "--timeout", "5s", "--from", from)
	assertTerminalSafe(t, "verify --from", out+errs, false)

	// --json keeps the exact body.
	_, out, _ = run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "verify", "--tls-verify=false", "--timeout", "5s", "--json", image)
	assertTerminalSafe(t, "verify --json", out, false)
	var res struct {
		Trace struct {
			Requirements []struct {
				Reason string `json:"reason"`
			} `json:"requirements"`
		} `json:"trace"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Trace.Requirements) == 0 || !strings.Contains(res.Trace.Requirements[0].Reason, body) {
		t.Errorf("verify --json must keep the exact body (%v):\n%s", err, out)
	}
}

// hostileNode is a node root whose files hold ESC sequences, C1 and bidi
// controls in every place a value can be: scope names, key paths and key
// file names, look-aside scopes and URLs, a user ID, comments.
func hostileNode(t *testing.T) (root, fpr string) {
	t.Helper()
	key, fpr, _ := spoofKey(t)
	policy := `{"default": [{"type": "reject"}], "transports": {"docker": {
  "ev\u202eil.example.com/\u001b]8;;http://evil.example/\u001b\\x": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/k\u001b[2J\u202e.gpg"}],
  "registry.example.com/\u009b31m": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/spoof\u001b[1G.gpg"}]
}}}`
	regd := "docker:\n" +
		"  \"ev\\u202eil.example.com\\e]0;t\\a\":\n    lookaside: \"https://sigs.example/\\u202egpj.exe\\e[2J\"\n" +
		"  registry.example.com:\n    lookaside: \"https://sigs.example/\\u202egpj.exe\"\n"
	root = scratchRoot(t, policy, map[string]string{
		"etc/containers/registries.d/a\x1b[2J.yaml": regd,
		"etc/gpg/spoof\x1b[1G.gpg":                  string(key),
		"spoof.gpg":                                 string(key),
	})
	return root, fpr
}

// Every command, on a node whose files are hostile and with hostile
// arguments, prints nothing a terminal would interpret and no line a value
// forged; --json keeps the exact values.
func TestNoCommandOutputDrivesTheTerminal(t *testing.T) {
	root, fpr := hostileNode(t)
	refs := filepath.Join(t.TempDir(), "refs")
	os.WriteFile(refs, []byte("registry.example.com/app:1\nbad\x1b[2Jref\u202e\n"), 0o644)
	hostileScope := "registry.example.com/\x1b]0;owned\x07\u202e"
	for _, args := range [][]string{
		{"lint"},
		{"show"},
		{"keys", "list"},
		{"keys", "show", fpr},
		{"keys", "show", "\x1b[2J\u202e"},
		{"keys", "import", filepath.Join(root, "spoof.gpg"), "--name", "again.gpg"},
		{"keys", "import", filepath.Join(root, "spoof.gpg"), "--reference", hostileScope},
		{"keys", "remove", "spoof\x1b[1G.gpg"},
		{"lookaside", "list"},
		{"lookaside", "explain", "registry.example.com/app"},
		{"lookaside", "explain", "bad\x1b[2J\u202e"},
		{"lookaside", "set", hostileScope, "https://x.example/\x1b]52;c;aGk=\x07"},
		{"lookaside", "remove", hostileScope},
		{"verify", "registry.example.com/app:1"},
		{"verify", "--from", refs},
		{"bad\x1b[2Jcommand\u202e"},
	} {
		_, out, errs := run(t, append([]string{"--root", root, "--mechanism", "openpgp-gocrypto"}, args...)...)
		assertTerminalSafe(t, strings.Join(args, " "), out+errs, false)
	}
}

// A scope and a look-aside URL with U+202E and ESC, and a policy whose
// diagnostic snippet holds ESC: shown escaped where people read them.
func TestHostileScopesAndURLsAreShownEscaped(t *testing.T) {
	root, _ := hostileNode(t)
	scope := `ev\u202eil.example.com/\x1b]8;;http://evil.example/\x1b\x`
	url := `https://sigs.example/\u202egpj.exe`

	_, out, _ := run(t, "--root", root, "show")
	if !strings.Contains(out, scope) || !strings.Contains(out, `k\x1b[2J\u202e.gpg`) {
		t.Errorf("show must name the scope and key path escaped:\n%s", out)
	}
	_, out, _ = run(t, "--root", root, "lint")
	if !strings.Contains(out, `\u202e`) || !strings.Contains(out, `\x1b`) {
		t.Errorf("lint must name the hostile values escaped:\n%s", out)
	}
	_, out, _ = run(t, "--root", root, "lookaside", "list")
	if !strings.Contains(out, url+`\x1b[2J`) || !strings.Contains(out, `ev\u202eil.example.com\x1b]0;t\x07`) {
		t.Errorf("lookaside list must show scopes and URLs escaped:\n%s", out)
	}

	// explain needs a valid registries.d: the U+202E URL alone is valid.
	valid := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{
		"etc/containers/registries.d/a.yaml": "docker:\n  registry.example.com:\n    lookaside: \"https://sigs.example/\\u202egpj.exe\"\n",
	})
	code, out, errs := run(t, "--root", valid, "lookaside", "explain", "registry.example.com/app")
	assertTerminalSafe(t, "lookaside explain", out+errs, false)
	if code != exitOK || !strings.Contains(out, "base URL   "+url+"\n") {
		t.Errorf("lookaside explain: exit %d, want the URL escaped:\n%s%s", code, out, errs)
	}

	// --json keeps every value exact (C1 and bidi as \u escapes).
	_, out, _ = run(t, "--root", root, "show", "--json")
	assertTerminalSafe(t, "show --json", out, false)
	var shown struct {
		Rules []struct{ Scope, Rule string }
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	found := false
	for _, r := range shown.Rules {
		found = found || r.Scope == "ev\u202eil.example.com/\x1b]8;;http://evil.example/\x1b\\x"
	}
	if !found {
		t.Errorf("show --json lost the exact scope:\n%s", out)
	}
	_, out, _ = run(t, "--root", valid, "lookaside", "list", "--json")
	assertTerminalSafe(t, "lookaside list --json", out, false)
	if !strings.Contains(out, `\u202egpj.exe`) {
		t.Errorf("lookaside list --json: %s", out)
	}
	var las struct {
		Entries []struct {
			Lookaside string `json:"lookaside"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &las); err != nil || len(las.Entries) != 1 || las.Entries[0].Lookaside != "https://sigs.example/\u202egpj.exe" {
		t.Errorf("lookaside list --json must keep the exact URL (%v): %s", err, out)
	}
}

// A diagnostic's snippet is the file's line: its ESC and BEL are shown
// escaped and the caret still points at the offending character.
func TestLintSnippetWithESC(t *testing.T) {
	root := scratchRoot(t, "/* \x1b]0;owned\x07 \u202e */ {\"default\": [{\"type\": \"reject\"}]]\n", nil)
	code, out, errs := run(t, "--root", root, "lint")
	if code != exitFindings {
		t.Fatalf("lint: exit %d\n%s%s", code, out, errs)
	}
	assertTerminalSafe(t, "lint", out+errs, false)
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.Contains(l, `/* \x1b]0;owned\x07 \u202e */`) {
			continue
		}
		if i+1 == len(lines) {
			break
		}
		caret := strings.IndexByte(lines[i+1], '^')
		if want := strings.LastIndex(l, "]"); caret != want {
			t.Errorf("caret at column %d, want %d (under the second ']'):\n%s\n%s", caret, want, l, lines[i+1])
		}
		return
	}
	t.Errorf("lint must show the snippet escaped:\n%s", out)
}

func assertASCII(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if r > 0x7e {
			t.Errorf("%s: %q is not ASCII:\n%s", what, r, out)
			return
		}
	}
}
