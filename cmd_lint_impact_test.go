package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kios/imgtrust/impact"
)

// nodeFiles is a scratch node's crio.conf (overridden by a drop-in) and
// containers-storage image list.
func nodeFiles(pause string, extra map[string]string) map[string]string {
	files := map[string]string{
		"etc/crio/crio.conf":                                    "[crio.image]\npause_image = \"registry.k8s.io/pause:3.9\"\n",
		"etc/crio/crio.conf.d/20-mirror.conf":                   "[crio.image]\npause_image = \"" + pause + "\"\n",
		"var/lib/containers/storage/overlay-images/images.json": `[{"id":"p","names":["` + pause + `"]},{"id":"a","names":["quay.io/app/web:1"]}]`,
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func TestLintNodeImages(t *testing.T) {
	key := testPublicKey(t)
	signedPause := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}],"quay.io":[{"type":"insecureAcceptAnything"}]}}}`
	tests := []struct {
		name   string
		policy string
		args   []string
		code   int
		want   []string
		not    []string
	}{
		{"default reject rejects the pause image", `{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"insecureAcceptAnything"}]}}}`, nil, exitFindings,
			[]string{"20-mirror.conf: error: the policy rejects the pause image 127.0.0.1:1/pause:3.10: no new pod can start on this node", "no new pod can start on this node."},
			[]string{"refuses this policy.json"}},
		{"a stored image rejected is a warning", `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}]}}}`, nil, exitOK,
			[]string{"warning: the node uses quay.io/app/web:1 (stored image), and its next pull would be rejected", "0 error(s)"}, nil},
		{"a signed pause image out of reach is not checked, not rejected", signedPause, nil, exitOK,
			[]string{"1 node image(s) not checked: 127.0.0.1:1/pause:3.10", "0 error(s)"}, []string{"rejects the pause image"}},
		{"offline: not checked, and says why", signedPause, []string{"--offline"}, exitOK,
			[]string{"127.0.0.1:1/pause:3.10 (needs the image's signatures from the network, and --offline makes no request)"}, []string{"rejects the pause image"}},
		{"a missing key rejects the pause image offline too", strings.ReplaceAll(signedPause, "k.gpg", "gone.gpg"), []string{"--offline"}, exitFindings,
			[]string{"rejects the pause image 127.0.0.1:1/pause:3.10", "/etc/gpg/gone.gpg does not exist"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, tt.policy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{"etc/gpg/k.gpg": key}))
			code, out, errs := run(t, append([]string{"--root", root, "--mechanism", "openpgp-gocrypto", "lint"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestLintOfflineMakesNoRequest: the pause image's registry is a live
// loopback server; lint --offline never calls it, lint without does.
func TestLintOfflineMakesNoRequest(t *testing.T) {
	var hits atomic.Int64
	// Connections are counted, not requests: lint speaks TLS, and this
	// plain server fails the handshake after the connection is made.
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			hits.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	pol := `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}`
	root := scratchRoot(t, pol, nodeFiles(host+"/pause:3.10", map[string]string{"etc/gpg/k.gpg": testPublicKey(t)}))
	code, out, errs := run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "lint", "--offline", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("lint --offline opened %d connection(s)", n)
	}
	var rep lintReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Images) != 2 || rep.Images[0].Image.Role != "pause" || rep.Images[0].Verdict.Status != impact.NotChecked {
		t.Errorf("images: %+v", rep.Images)
	}
	run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "lint")
	if hits.Load() == 0 {
		t.Error("lint without --offline asked nothing: the offline assertion proves nothing")
	}
}
