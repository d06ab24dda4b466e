package node

import (
	"strings"
	"testing"
)

// FuzzDecodeCrioConf: crio.conf and drop-ins from a node never crash or
// hang the reader; whatever decodes gives string values only, and input
// nested past maxNesting is always refused before the decoder sees it.
func FuzzDecodeCrioConf(f *testing.F) {
	for _, s := range []string{
		"[crio.image]\npause_image = \"registry.k8s.io/pause:3.10\"\nsignature_policy = \"/etc/crio/policy.json\"\n",
		"[crio.image]\nsignature_policy_dir = \"/etc/crio/policies\"\n[crio.runtime]\ndefault_runtime = \"crun\"\n",
		"a = [[1, 2], [3]]\nb = {c = {d = 1}}\n",
		"[[x]]\n[[x]]\n",
		"a = " + strings.Repeat("[", 200),
		"a = " + strings.Repeat("{b=", 200),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		var c crioConfFile
		err := decodeTOML(data, &c)
		if nestingTooDeep(data, maxNesting) && err == nil {
			t.Fatal("input nested past the limit was decoded")
		}
	})
}
