package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// sigstoreTrust is the trust root of one sigstoreSigned requirement
// (prepareTrustRoot), rebuilt for every signature as the runtime does:
// configuration errors surface only when a signature exists.
type sigstoreTrust struct {
	keys      []crypto.PublicKey
	keyLabels []string
	rekor     []*ecdsa.PublicKey
	fulcio    *fulcioTrust
	pki       *pkiTrust
}

// fulcioTrust is a fulcio section with its CA certificates loaded.
type fulcioTrust struct {
	cfg *model.Fulcio
	cas *x509.CertPool
}

// pkiTrust is a pki section with its roots and intermediates loaded.
type pkiTrust struct {
	cfg   *model.PKI
	roots *x509.CertPool
	inter *x509.CertPool // nil: none configured
}

// readSources reads path/paths/data/datas the way
// loadBytesFromConfigSources does: files under the root, then inline
// data; labels name each for the trace.
func (v *Verifier) readSources(path string, paths []string, data []byte, datas [][]byte) (blobs [][]byte, labels []string, err error) {
	all := paths
	if path != "" {
		all = append([]string{path}, paths...)
	}
	for _, p := range all {
		b, err := v.opts.Paths.FS().ReadFile(v.opts.Paths.Host(p), nodefs.KeyFile)
		if err != nil {
			return nil, nil, errOpen(p, err)
		}
		blobs, labels = append(blobs, b), append(labels, p)
	}
	if data != nil {
		blobs, labels = append(blobs, data), append(labels, "keyData")
	}
	for i, d := range datas {
		blobs, labels = append(blobs, d), append(labels, fmt.Sprintf("keyDatas[%d]", i))
	}
	return blobs, labels, nil
}

func (v *Verifier) sigstoreTrustRoot(r *model.Requirement) (*sigstoreTrust, error) {
	t := &sigstoreTrust{}
	blobs, labels, err := v.readSources(r.KeyPath, r.KeyPaths, r.KeyData, r.KeyDatas)
	if err != nil {
		return nil, err
	}
	if t.keys, err = parsePEMPublicKeys(blobs, "public key"); err != nil {
		return nil, err
	}
	t.keyLabels = labels
	if r.Fulcio != nil {
		if t.fulcio, err = v.fulcioTrustRoot(r.Fulcio); err != nil {
			return nil, err
		}
	}
	if t.rekor, err = v.rekorKeys(r); err != nil {
		return nil, err
	}
	if r.PKI != nil {
		if t.pki, err = v.pkiTrustRoot(r.PKI); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (v *Verifier) fulcioTrustRoot(f *model.Fulcio) (*fulcioTrust, error) {
	cas, err := v.certPool(f.CAPath, f.CAData, "error loading Fulcio CA certificates")
	if err != nil {
		return nil, err
	}
	return &fulcioTrust{cfg: f, cas: cas}, nil
}

func (v *Verifier) rekorKeys(r *model.Requirement) ([]*ecdsa.PublicKey, error) {
	blobs, _, err := v.readSources(r.RekorPublicKeyPath, r.RekorPublicKeyPaths, r.RekorPublicKeyData, r.RekorPublicKeyDatas)
	if err != nil {
		return nil, err
	}
	keys, err := parsePEMPublicKeys(blobs, "Rekor public key")
	if err != nil {
		return nil, err
	}
	var out []*ecdsa.PublicKey
	for i, k := range keys {
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok {
			return nil, reqErr(KindTrustRoot, "Rekor public key %d is not using ECDSA", i+1)
		}
		out = append(out, ek)
	}
	return out, nil
}

func (v *Verifier) pkiTrustRoot(p *model.PKI) (*pkiTrust, error) {
	roots, err := v.certPool(p.CARootsPath, p.CARootsData, "error loading PKI CA Roots certificates")
	if err != nil {
		return nil, err
	}
	t := &pkiTrust{cfg: p, roots: roots}
	inter, _, err := v.readSources(p.CAIntermediatesPath, nil, p.CAIntermediatesData, nil)
	if err != nil {
		return nil, err
	}
	if len(inter) == 1 {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM(inter[0])
		if err != nil {
			return nil, reqErr(KindTrustRoot, "loading trusted intermediate certificates: %w", err)
		}
		t.inter = x509.NewCertPool()
		for _, c := range certs {
			t.inter.AddCert(c)
		}
	}
	return t, nil
}

// parsePEMPublicKeys parses each blob as a PEM public key (its first PEM
// block only, as the runtime); what names them in errors, numbered from
// 1 as the runtime does.
func parsePEMPublicKeys(blobs [][]byte, what string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for i, b := range blobs {
		k, err := cryptoutils.UnmarshalPEMToPublicKey(b)
		if err != nil {
			return nil, reqErr(KindTrustRoot, "parsing %s %d: %w", what, i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// certPool reads one certificate source (a path or inline data) into a
// pool; failure is the runtime's message for that source.
func (v *Verifier) certPool(path string, data []byte, failure string) (*x509.CertPool, error) {
	certs, _, err := v.readSources(path, nil, data, nil)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if len(certs) != 1 || !pool.AppendCertsFromPEM(certs[0]) {
		return nil, &RequirementError{Kind: KindTrustRoot, Err: errors.New(failure)}
	}
	return pool, nil
}
