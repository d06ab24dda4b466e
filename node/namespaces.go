package node

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// NamespacePolicy is one per-namespace policy of CRI-O: the file
// <signature_policy_dir>/<namespace>.json (cri-o-and-tools.md §1.2).
type NamespacePolicy struct {
	Namespace string `json:"namespace"`
	// Host is the path to open here, Node the path on the node.
	Host string `json:"host"`
	Node string `json:"node"`
}

// NamespacePolicies lists the per-namespace policies under the
// configured signature_policy_dir, by namespace. A missing directory is
// none (CRI-O creates it empty at start). Only names a Kubernetes
// namespace can have are listed: CRI-O never looks up another file.
func NamespacePolicies(paths Paths, cfg CrioImageConfig) ([]NamespacePolicy, error) {
	dir := cfg.SignaturePolicyDir
	files, err := paths.FS().Glob(paths.Host(dir), "*.json")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing signature_policy_dir %s: %w", dir, err)
	}
	sort.Strings(files)
	var out []NamespacePolicy
	for _, f := range files {
		ns := strings.TrimSuffix(filepath.Base(f), ".json")
		if ValidNamespace(ns) != nil {
			continue
		}
		out = append(out, NamespacePolicy{Namespace: ns, Host: f, Node: filepath.Join(dir, ns+".json")})
	}
	return out, nil
}

// ValidNamespace checks a Kubernetes namespace name (an RFC 1123 label:
// lower-case letters, digits and '-', at most 63, starting and ending
// with a letter or digit). The kubelet only sends such names, and the
// check keeps --namespace from naming a file outside the directory.
func ValidNamespace(ns string) error {
	ok := ns != "" && len(ns) <= 63
	for i := 0; ok && i < len(ns); i++ {
		c := ns[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		ok = alnum || c == '-' && i > 0 && i < len(ns)-1
	}
	if !ok {
		return fmt.Errorf("namespace %q: not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)", ns)
	}
	return nil
}

// PolicyChoice is the policy file CRI-O uses for a pull, and why.
type PolicyChoice struct {
	Namespace string `json:"namespace,omitempty"`
	// Host is the file to open here, Node its path on the node.
	Host string `json:"host"`
	Node string `json:"node"`
	// NamespaceFile: the namespace's own file applies.
	NamespaceFile bool `json:"namespace_file"`
	// RecheckAtCreate: CRI-O 1.31 and later evaluate the policy again
	// when a container is created from the stored image, because the
	// pull's SystemContext carries an explicit policy path (a namespace
	// file, or signature_policy).
	RecheckAtCreate bool `json:"recheck_at_create"`
	// Rule says in words which rule chose the file.
	Rule string `json:"rule"`
}

// ChoosePolicy picks the policy a pull for a pod in namespace uses, as
// CRI-O does (server/image_pull.go: contextForNamespace; added in
// 72011b3c4d, first in v1.28.0, backported as 1d6f5a00cd to v1.27.1;
// checked again at container creation since 6edecf30eb, v1.31.0, and for
// image volumes since d94a8f37c4, v1.33.0): with a
// namespace, <signature_policy_dir>/<namespace>.json if it exists; a stat
// error other than "does not exist" fails the pull; otherwise the global
// policy: signature_policy if set (server/server.go: New copies it into
// the SystemContext), else the library's default. namespace "" is a pull
// without a pod sandbox config (crictl pull). global is the policy
// imgtrust was pointed at; explicit says the admin chose it (--policy),
// which then stands for the global policy whatever crio.conf says.
func ChoosePolicy(paths Paths, cfg CrioImageConfig, namespace string, explicit bool) (PolicyChoice, error) {
	ch := PolicyChoice{Namespace: namespace}
	if namespace != "" {
		if err := ValidNamespace(namespace); err != nil {
			return ch, err
		}
		node := filepath.Join(cfg.SignaturePolicyDir, namespace+".json")
		host := paths.Host(node)
		_, err := paths.FS().Stat(host)
		switch {
		case err == nil:
			ch.Host, ch.Node, ch.NamespaceFile, ch.RecheckAtCreate = host, node, true, true
			ch.Rule = fmt.Sprintf("namespace %s has its own policy %s (crio.conf signature_policy_dir); it replaces the global policy entirely", namespace, node)
			return ch, nil
		case !errors.Is(err, fs.ErrNotExist):
			// CRI-O's own wording: the pull fails before any policy.
			return ch, fmt.Errorf("get context for namespace: read policy path %s: %w", node, err)
		}
	}
	switch {
	case explicit:
		ch.Host, ch.Node = paths.Policy, paths.Node(paths.Policy)
		ch.Rule = "the policy given with --policy"
	case cfg.SignaturePolicy != "":
		ch.Host, ch.Node, ch.RecheckAtCreate = paths.Host(cfg.SignaturePolicy), cfg.SignaturePolicy, true
		ch.Rule = "crio.conf signature_policy"
	default:
		ch.Host, ch.Node = paths.Policy, paths.Node(paths.Policy)
		ch.Rule = "the system policy (crio.conf sets no signature_policy)"
	}
	if namespace != "" {
		ch.Rule = fmt.Sprintf("namespace %s has no %s: %s", namespace, filepath.Join(cfg.SignaturePolicyDir, namespace+".json"), ch.Rule)
	} else {
		ch.Rule = "no namespace (a pull without a pod, like crictl pull): " + ch.Rule
	}
	return ch, nil
}
