package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errs := run(t, "completion", shell)
	if code != exitOK || out == "" {
		t.Fatalf("completion %s: exit %d %s", shell, code, errs)
	}
	return out
}

// Each script names every command, every verb and every flag each one
// parses: they come from the same tables the commands run from.
func TestCompletionMentionsEverything(t *testing.T) {
	verbs := commandVerbs()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		s := completionScript(t, shell)
		flagRef := func(name string) string {
			if shell == "fish" {
				return "-l " + name
			}
			return "--" + name
		}
		for _, c := range commands() {
			if !strings.Contains(s, c.name) {
				t.Errorf("%s: no command %s", shell, c.name)
			}
			lines := [][]string{{c.name}}
			if vs := verbs[c.name]; vs != nil {
				lines = nil
				for _, v := range vs {
					lines = append(lines, []string{c.name, v})
				}
			}
			if c.name == "completion" {
				continue
			}
			for _, args := range lines {
				if len(args) == 2 && !strings.Contains(s, args[1]) {
					t.Errorf("%s: no verb %s %s", shell, args[0], args[1])
				}
				fl := flagsOf(args...)
				if len(fl) < 8 {
					t.Fatalf("%v: only %d flags collected", args, len(fl))
				}
				for _, f := range fl {
					if !strings.Contains(s, flagRef(f.name)) {
						t.Errorf("%s: %v: no flag %s", shell, args, f.name)
					}
				}
			}
		}
	}
	// The collection sees the flags a command really parses.
	fl := flagsOf("keys", "import")
	var names []string
	for _, f := range fl {
		names = append(names, f.name)
	}
	for _, want := range []string{"name", "force", "reference", "identity", "allow-weaken", "root"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("keys import flags %v lack %s", names, want)
		}
	}
}

// The scripts are valid for their shell (bash always; zsh and fish when
// installed), and bash completes commands, verbs, flags and file values.
func TestCompletionScriptsRun(t *testing.T) {
	dir := t.TempDir()
	for shell, check := range map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}} {
		p := filepath.Join(dir, "imgtrust."+shell)
		if err := os.WriteFile(p, []byte(completionScript(t, shell)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath(check[0]); err != nil {
			if shell == "bash" {
				t.Fatal("bash is needed to check the bash completion")
			}
			t.Logf("%s not installed: its script is not syntax-checked", shell)
			continue
		}
		if out, err := exec.Command(check[0], append(check[1:], p)...).CombinedOutput(); err != nil {
			t.Errorf("%s rejects its script: %v\n%s", shell, err, out)
		}
	}
	cases := []struct {
		line string // the words typed, the last one being completed
		want string
	}{
		{"imgtrust li", "lint"},
		{"imgtrust --root /host ke", "keys"},
		{"imgtrust keys im", "import"},
		{"imgtrust keys import --na", "--name"},
		{"imgtrust lookaside explain --cou", "--count"},
		{"imgtrust policy se", "set"},
		{"imgtrust policy set x --sig", "--signed-by"},
		{"imgtrust completion f", "fish"},
		{"imgtrust lint --root " + dir + "/imgtrust.b", dir + "/imgtrust.bash"},
	}
	for _, c := range cases {
		words := strings.Fields(c.line)
		script := "source " + filepath.Join(dir, "imgtrust.bash") + "\nCOMP_WORDS=(" + strings.Join(words, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_imgtrust\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.line, err, out)
		}
		got := strings.Fields(string(out))
		found := false
		for _, g := range got {
			found = found || g == c.want
		}
		if !found {
			t.Errorf("%q completes to %v, want %s among them", c.line, got, c.want)
		}
	}
}
