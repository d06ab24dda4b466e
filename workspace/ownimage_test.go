package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/node"
)

func TestRememberOwnImageJoinsNodeImages(t *testing.T) {
	root := t.TempDir()
	paths := node.NewPaths(root, "", "", "")
	os.MkdirAll(filepath.Join(root, filepath.Dir(node.StorageImagesJSON)), 0o755)
	os.WriteFile(filepath.Join(root, node.StorageImagesJSON), []byte(`[{"id":"1","names":["quay.io/admin/debug:1","docker.io/library/nginx:1"]}]`), 0o644)
	if err := RememberOwnImage(paths, "quay.io/admin/debug:1", ""); err != nil {
		t.Fatal(err)
	}
	imgs, err := node.ReadNodeImages(paths)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, im := range imgs {
		roles = append(roles, im.Role+"="+im.Ref)
	}
	if got := strings.Join(roles, " "); got != "pause="+node.DefaultPauseImage+" own=quay.io/admin/debug:1 stored=docker.io/library/nginx:1" {
		t.Errorf("node images: %s", got)
	}
}
