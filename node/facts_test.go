package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNodeImages(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"nothing: CRI-O's default pause image", nil, DefaultPauseImage},
		{"crio.conf pause image", map[string]string{"etc/crio/crio.conf": "[crio.image]\npause_image = \"registry.k8s.io/pause:3.9\"\n"}, "registry.k8s.io/pause:3.9"},
		{"drop-in overrides", map[string]string{
			"etc/crio/crio.conf":                "[crio.image]\npause_image = \"registry.k8s.io/pause:3.9\"\n",
			"etc/crio/crio.conf.d/10-kios.conf": "[crio.image]\npause_image = \"mirror.example/pause:1\"\n",
		}, "mirror.example/pause:1"},
		{"stored images", map[string]string{
			"var/lib/containers/storage/overlay-images/images.json": `[{"id":"a","names":["docker.io/library/busybox:latest","registry.k8s.io/pause:3.10"]},{"id":"b","names":["quay.io/x/y:1"]}]`,
		}, DefaultPauseImage + ",docker.io/library/busybox:latest,quay.io/x/y:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			got, err := NodeImages(NewPaths(root, "", "", ""))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestNodeDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		code  string
	}{
		{"root user policy overrides", map[string]string{"root/.config/containers/policy.json": "{}"}, "root-user-policy"},
		{"crio uses another file", map[string]string{"etc/crio/crio.conf": "[crio.image]\nsignature_policy = \"/etc/crio/policy.json\"\n"}, "crio-signature-policy"},
		{"namespace policies", map[string]string{"etc/crio/policies/prod.json": "{}"}, "namespace-policies"},
		{"broken crio.conf", map[string]string{"etc/crio/crio.conf": "[crio.image\n"}, "crio-conf-unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			diags := NodeDiagnostics(NewPaths(root, "", "", ""))
			if len(diags) != 1 || diags[0].Code != tt.code || diags[0].Severity == model.Error {
				t.Errorf("got %+v, want one %s", diags, tt.code)
			}
		})
	}
	if d := NodeDiagnostics(NewPaths(t.TempDir(), "", "", "")); len(d) != 0 {
		t.Errorf("a plain node has findings: %v", d)
	}
}
