package policyio

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/safefile"
)

// crashVersions are the contents the writer alternates between.
var crashVersions = []string{
	`{"default":[{"type":"reject"}]}`,
	`{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`,
}

// TestCrashWriterHelper is not a test: it is the writer process that
// TestCrashSafety kills. It saves policy.json in a loop until killed.
func TestCrashWriterHelper(t *testing.T) {
	path := os.Getenv("IMGTRUST_CRASH_FILE")
	if path == "" {
		t.Skip("helper process for TestCrashSafety")
	}
	for i := 0; ; i++ {
		pf, err := LoadPolicy(path)
		if err != nil {
			t.Fatal(err)
		}
		next, _ := ParsePolicy("v", []byte(crashVersions[i%2]))
		if _, err := SavePolicy(pf, next, SaveOptions{AllowWeaken: true, AuditLog: path + ".audit"}); err != nil {
			t.Fatal(err)
		}
		// And the registries.d file next to it, through the editor.
		rd, diags := LoadRegistriesD(filepath.Join(filepath.Dir(path), "registries.d"))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		changes, err := rd.Set("registry.example.net", crashLookasides[i%2], SetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := applyChanges(changes, path+".audit-regd", "crash test"); err != nil {
			t.Fatal(err)
		}
	}
}

// crashLookasides are the look-aside URLs the writer alternates between.
var crashLookasides = []string{"https://sigs.example.net/one", "https://sigs.example.net/two"}

// TestCrashSafety kills a process that is saving policy.json at random
// moments and checks that the file is always one complete, valid version,
// with a valid backup. IMGTRUST_CRASH_ITERATIONS raises the count (CI).
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	iterations := 25
	if n, err := strconv.Atoi(os.Getenv("IMGTRUST_CRASH_ITERATIONS")); err == nil {
		iterations = n
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(path, []byte(crashVersions[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	regd := filepath.Join(dir, "registries.d")
	yamlFile := filepath.Join(regd, "registry.example.net.yaml")
	os.Mkdir(regd, 0o755)
	yamlVersion := func(url string) string {
		return "# kept comment\ndocker:\n  registry.example.net:\n    lookaside: " + url + "\n"
	}
	if err := os.WriteFile(yamlFile, []byte(yamlVersion(crashLookasides[0])), 0o644); err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{}
	for _, v := range crashVersions {
		p, _ := ParsePolicy("v", []byte(v))
		out, _ := MarshalPolicy(p)
		valid[string(out)] = true
		valid[v] = true
	}
	for i := 0; i < iterations; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterHelper$")
		cmd.Env = append(os.Environ(), "IMGTRUST_CRASH_FILE="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until this writer has completed a save (process start-up
		// is slow on a loaded CI machine), then kill it at a random point
		// of a later one.
		before := auditLines(path)
		deadline := time.Now().Add(30 * time.Second)
		for auditLines(path) == before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for _, f := range []string{path, path + safefile.BackupSuffix} {
			data, err := os.ReadFile(f)
			if os.IsNotExist(err) && f != path {
				continue // no save finished yet
			}
			if err != nil {
				t.Fatalf("iteration %d: %v", i, err)
			}
			if !valid[string(data)] {
				t.Fatalf("iteration %d: %s is neither the old nor the new version:\n%q", i, f, data)
			}
			if _, d := ParsePolicy(f, data); d.Count(model.Error) > 0 {
				t.Fatalf("iteration %d: %s is invalid", i, f)
			}
		}
		for _, f := range []string{yamlFile, yamlFile + safefile.BackupSuffix} {
			data, err := os.ReadFile(f)
			if os.IsNotExist(err) && f != yamlFile {
				continue
			}
			if err != nil {
				t.Fatalf("iteration %d: %v", i, err)
			}
			if s := string(data); s != yamlVersion(crashLookasides[0]) && s != yamlVersion(crashLookasides[1]) {
				t.Fatalf("iteration %d: %s is neither the old nor the new version:\n%q", i, f, data)
			}
		}
		if _, d := LoadRegistriesD(regd); d.HasErrors() {
			t.Fatalf("iteration %d: registries.d does not load: %v", i, d)
		}
	}
	// The test means something only if the kills hit running saves.
	saves := auditLines(path)
	if saves < iterations {
		t.Fatalf("only %d saves completed over %d kills: the writer was killed before it wrote", saves, iterations)
	}
	t.Logf("%d kills during %d completed saves: the file was always complete and valid", iterations, saves)
}

// auditLines counts the saves the writers have completed.
func auditLines(policyPath string) int {
	log, _ := os.ReadFile(policyPath + ".audit")
	return strings.Count(string(log), "\n")
}

// TestConcurrentSavesNoLostUpdate: editors that read the same version and
// save at once — exactly one wins, the others are told the file changed.
func TestConcurrentSavesNoLostUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	os.WriteFile(path, []byte(crashVersions[0]), 0o644)
	const editors = 8
	errs := make(chan error, editors)
	start := make(chan struct{})
	for i := 0; i < editors; i++ {
		pf, err := LoadPolicy(path)
		if err != nil {
			t.Fatal(err)
		}
		go func(i int) {
			next := pf.Policy.Clone()
			next.SetScope("docker", "registry"+strconv.Itoa(i)+".example.com", model.Requirements{{Type: model.Reject}})
			<-start
			_, err := SavePolicy(pf, next, SaveOptions{})
			errs <- err
		}(i)
	}
	close(start)
	wins := 0
	for i := 0; i < editors; i++ {
		err := <-errs
		var ce *safefile.ChangedError
		switch {
		case err == nil:
			wins++
		case !errors.As(err, &ce):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d editors saved over the same version; want exactly 1", wins)
	}
}
