// Command gen writes the node trees the comparison runs on: for each size
// a policy.json with that many docker scopes (signedBy with keyPath to 24
// distinct key files, with the identity kinds the runtime parses, reject
// and insecureAcceptAnything), the 24 public keys under etc/gpg and a
// registries.d with a default look-aside.
//
//	go run ./gen -out DIR -sizes 1000,10000,100000
//
// DIR/N/ is then a --root for imgtrust; the policy is DIR/N/etc/containers/policy.json.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

const numKeys = 24

func main() {
	out := flag.String("out", "", "directory to write into")
	sizes := flag.String("sizes", "1000,10000,100000", "comma-separated scope counts")
	flag.Parse()
	if *out == "" {
		log.Fatal("gen: -out is required")
	}
	keys, err := keyFiles(filepath.Join(*out, "keys"))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			log.Fatalf("gen: size %q: %v", s, err)
		}
		if err := writeTree(filepath.Join(*out, strconv.Itoa(n)), n, keys); err != nil {
			log.Fatal(err)
		}
	}
}

// keyFiles makes (once; later runs reuse them) 24 RSA-2048 public keys.
func keyFiles(dir string) ([][]byte, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out [][]byte
	for i := range numKeys {
		path := filepath.Join(dir, fmt.Sprintf("key%02d.gpg", i))
		if data, err := os.ReadFile(path); err == nil {
			out = append(out, data)
			continue
		}
		e, err := openpgp.NewEntity(fmt.Sprintf("signer %d", i), "", fmt.Sprintf("signer%d@example.com", i), &packet.Config{RSABits: 2048})
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := e.Serialize(&b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		out = append(out, b.Bytes())
	}
	return out, nil
}

func writeTree(root string, n int, keys [][]byte) error {
	for _, d := range []string{"etc/gpg", "etc/containers/registries.d"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	for i, k := range keys {
		if err := os.WriteFile(filepath.Join(root, "etc/gpg", fmt.Sprintf("key%02d.gpg", i)), k, 0o644); err != nil {
			return err
		}
	}
	rd := "default-docker:\n  lookaside: https://lookaside.example.com/sigstore\n"
	if err := os.WriteFile(filepath.Join(root, "etc/containers/registries.d/default.yaml"), []byte(rd), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "etc/containers/policy.json"), Policy(n), 0o644)
}

// Policy renders the n-scope policy. Every eighth scope rejects, every
// eighth (offset 4) accepts anything, the rest are signedBy; the identity
// kinds rotate.
func Policy(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\n    \"docker\": {\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		scope := fmt.Sprintf("registry%d.example.com/team%d/app", i%997, i)
		fmt.Fprintf(&b, "      %q: [", scope)
		switch i % 8 {
		case 0:
			b.WriteString(`{"type": "reject"}`)
		case 4:
			b.WriteString(`{"type": "insecureAcceptAnything"}`)
		default:
			fmt.Fprintf(&b, `{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/key%02d.gpg"`, i%numKeys)
			switch i % 4 {
			case 1:
				b.WriteString(`, "signedIdentity": {"type": "matchRepository"}`)
			case 2:
				fmt.Fprintf(&b, `, "signedIdentity": {"type": "exactRepository", "dockerRepository": "registry.example.com/signed/app%d"}`, i)
			case 3:
				fmt.Fprintf(&b, `, "signedIdentity": {"type": "remapIdentity", "prefix": "registry%d.example.com", "signedPrefix": "signed.example.com/mirror%d"}`, i%997, i)
			}
			b.WriteString("}")
		}
		b.WriteString("]")
	}
	b.WriteString("\n    }\n  }\n}\n")
	return b.Bytes()
}
