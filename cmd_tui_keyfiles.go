package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/secretscan"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/ui"
)

// tuiKeyFiles is ui.KeyFileReader: it reads the files a rule embeds from
// the node (under --root) and says what they hold, as the node's
// signature mechanism and the runtime's sigstore code would read them.
type tuiKeyFiles struct {
	paths node.Paths
	mech  gpg.Mechanism
	now   func() time.Time
}

func (k tuiKeyFiles) ReadKeyFile(nodePath string, kind ui.KeyFileKind) (ui.KeyFile, error) {
	if !filepath.IsAbs(nodePath) {
		return ui.KeyFile{}, fmt.Errorf("%q is not an absolute path on the node", nodePath)
	}
	data, err := k.paths.FS().ReadFile(k.paths.Host(nodePath), nodefs.KeyFile)
	if err != nil {
		return ui.KeyFile{}, fmt.Errorf("reading %s: %w", nodePath, err)
	}
	lines, err := k.DescribeKeyData(data, kind)
	if err != nil {
		return ui.KeyFile{}, fmt.Errorf("%s: %w", nodePath, err)
	}
	return ui.KeyFile{Data: data, Lines: lines}, nil
}

func (k tuiKeyFiles) DescribeKeyData(data []byte, kind ui.KeyFileKind) ([]string, error) {
	// policy.json is world-readable: never embed a signing key.
	if s := secretscan.Find(data); s != "" {
		return nil, fmt.Errorf("holds PRIVATE key material (%s): refused, nothing is embedded", s)
	}
	if kind == ui.GPGKeyring {
		return k.describeGPG(data)
	}
	if ds := policyio.InspectPEM("the file", data); ds.HasErrors() {
		return nil, errors.New(ds[0].Message)
	}
	var lines []string
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		lines = append(lines, describePEM(block))
	}
	return lines, nil
}

// describeGPG lists the keys of a keyring and refuses one from which the
// node's mechanism loads no key: the rule would reject every signature.
func (k tuiKeyFiles) describeGPG(data []byte) ([]string, error) {
	kr, err := gpg.ParseKeyring(data)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if k.now != nil {
		now = k.now()
	}
	loaded, err := gpg.RuntimeFingerprints(data, k.mech, now)
	if err != nil {
		return nil, fmt.Errorf("the node's signature mechanism (%s) cannot load it: %w", k.mech, err)
	}
	if len(loaded) == 0 {
		return nil, fmt.Errorf("the node's signature mechanism (%s) loads no key from it: every signature would be rejected", k.mech)
	}
	var lines []string
	for _, key := range kr.Keys {
		uid := ""
		if len(key.UserIDs) > 0 {
			uid = key.UserIDs[0]
		}
		alg := key.Algorithm
		if key.Bits > 0 {
			alg = fmt.Sprintf("%s %d", alg, key.Bits)
		}
		lines = append(lines, key.Fingerprint, "  "+alg+" "+uid)
	}
	return lines, nil
}

func describePEM(b *pem.Block) string {
	sum := sha256.Sum256(b.Bytes)
	digest := fmt.Sprintf("SHA-256 %x", sum[:8])
	switch b.Type {
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "certificate that cannot be parsed, " + digest
		}
		return fmt.Sprintf("certificate %s, until %s, %s", c.Subject.CommonName, c.NotAfter.Format("2006-01-02"), digest)
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return "public key that cannot be parsed, " + digest
		}
		return publicKeyName(pub) + " public key, " + digest
	}
	return b.Type + ", " + digest
}

func publicKeyName(pub any) string {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + p.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", p.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}
