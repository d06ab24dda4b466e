package secretscan

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/zlib"
	"crypto/x509"
	"encoding/base64"
	"io"
	"regexp"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Packet tags of secret key material (RFC 9580 §5).
const (
	tagSecretKey    = 5
	tagSecretSubkey = 7
	tagCompressed   = 8
)

// privateLabelRE matches an armor or PEM header line of private material:
// "PGP PRIVATE KEY BLOCK", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
// "OPENSSH PRIVATE KEY", "PRIVATE KEY"...
var privateLabelRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`-----BEGIN ([^\r\n]{0,80}PRIVATE KEY[^\r\n]{0,80}?)-----`)
})

// Find reports the first private key material in data, described for
// people ("a secret key packet", "a PEM EC PRIVATE KEY"), or "" when there
// is none.
func Find(data []byte) string {
	return (&scan{}).find(data, 0)
}

// scan holds what one Find may spend across nesting levels.
type scan struct {
	inflated int // bytes decompressed so far
}

// maxDepth bounds nesting: armor inside armor, compressed data inside
// compressed data.
const maxDepth = 2

// maxInflate bounds what all compressed packets of one input may inflate
// to: a key file is far smaller, a compression bomb far larger.
const maxInflate = 16 << 20

func (sc *scan) find(data []byte, depth int) string {
	if m := privateLabelRE().FindSubmatch(data); m != nil {
		return "a " + string(m[1])
	}
	if bytes.Contains(data, []byte("PRIVATE KEY BLOCK")) {
		return "a PGP PRIVATE KEY BLOCK"
	}
	if what := sc.findBinary(data, true, depth); what != "" {
		return what
	}
	for _, b := range armoredBodies(data) {
		if what := sc.findBinary(b.data, b.afterBegin, depth); what != "" {
			return what + " (inside armor)"
		}
		// An armored body starts with a packet header: a secret key packet
		// there is a secret key even when the rest is truncated or garbled
		// by junk lines, so that no parser could read it in full.
		if b.afterBegin && startsSecretPacket(b.data) {
			tag, _ := headerTag(b.data)
			return describeTag(tag) + " (inside armor)"
		}
		// Base64 of armor (keyData holding the base64 of an .asc file).
		if depth < maxDepth && looksLikeText(b.data) {
			if what := sc.find(b.data, depth+1); what != "" {
				return what + " (inside base64)"
			}
		}
	}
	return ""
}

// looksLikeText: the first bytes are printable ASCII or line ends.
func looksLikeText(data []byte) bool {
	for _, c := range data[:min(len(data), 64)] {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return len(data) > 0
}

// inflate decompresses the body of a compressed data packet (RFC 9580
// §5.6) within what is left of the scan's budget.
func (sc *scan) inflate(body []byte) []byte {
	if len(body) == 0 || sc.inflated >= maxInflate {
		return nil
	}
	var r io.Reader
	var err error
	switch body[0] {
	case 0:
		return body[1:]
	case 1:
		r = flate.NewReader(bytes.NewReader(body[1:]))
	case 2:
		r, err = zlib.NewReader(bytes.NewReader(body[1:]))
	case 3:
		r = bzip2.NewReader(bytes.NewReader(body[1:]))
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	// A truncated or corrupt stream still yields what came before the
	// damage, and that is what is scanned.
	out, _ := io.ReadAll(io.LimitReader(r, int64(maxInflate-sc.inflated)))
	sc.inflated += len(out)
	return out
}

// startsSecretPacket: data begins with a secret key or subkey packet
// header followed by a key version (3 to 6), complete or not.
func startsSecretPacket(data []byte) bool {
	tag, ok := headerTag(data)
	if !ok || !isSecretTag(tag) {
		return false
	}
	hdr, _ := headerLen(data)
	return len(data) > hdr && data[hdr] >= 3 && data[hdr] <= 6
}

// findBinary looks for secret key packets in data read as binary OpenPGP:
// when data is meant to start with a packet (aligned), as a packet stream
// from the start (any algorithm, even one no parser knows); then at every
// offset, so that junk before a key or a packet that swallows it as its
// body (a user ID holding "-----BEGIN ", say) cannot hide it. It also
// recognises DER and OpenSSH private keys.
//
// Bodies decoded from stray base64 lines are not aligned: read from the
// start, their random bytes would often look like a secret packet header.
func (sc *scan) findBinary(data []byte, aligned bool, depth int) string {
	if aligned {
		if what := sc.walkPackets(data, depth); what != "" {
			return what
		}
	}
	// Packets that claim the rest of the input and parse far before they
	// fail can be nested at every few bytes: bound the bytes parsed in all
	// to a few times the input, and refuse input that needs more (no key
	// file comes near it).
	budget := scanBudgetFactor*len(data) + 1<<20
	for i := 0; i < len(data); i++ {
		tag, ok := headerTag(data[i:])
		if !ok || !isSecretTag(tag) {
			continue
		}
		// A header byte alone is common in random data (RSA moduli,
		// signatures); only a packet that parses as a private key counts.
		// The parser consumes a packet's whole declared length when it
		// fails, so it is only tried on a plausible key start, and sees at
		// most a window that any real secret key packet fits in.
		if !plausibleKeyStart(data[i:]) {
			continue
		}
		r := &countingReader{r: bytes.NewReader(data[i:min(len(data), i+maxKeyPacket)])}
		p, err := packet.Read(r)
		if budget -= r.n; budget < 0 {
			return "nested packets that look like secret keys, too many to scan"
		}
		if err != nil {
			continue
		}
		if pk, ok := p.(*packet.PrivateKey); ok {
			if pk.IsSubkey {
				return describeTag(tagSecretSubkey)
			}
			return describeTag(tagSecretKey)
		}
	}
	return findDER(data)
}

// maxKeyPacket bounds the bytes of one key packet the scan parses: RSA-16384
// secret keys take 4.5 KiB, post-quantum ones less than 16 KiB.
const maxKeyPacket = 64 << 10

// plausibleKeyStart: data starts with a packet header followed by a key
// packet body's first bytes: a version of 3 to 6 and a public-key
// algorithm that exists (RFC 9580 §9.1, with the experimental range).
func plausibleKeyStart(data []byte) bool {
	hdr, ok := headerLen(data)
	if !ok || len(data) < hdr+8 {
		return false
	}
	body := data[hdr:]
	algo := body[5]
	if body[0] == 3 {
		algo = body[7]
	} else if body[0] < 3 || body[0] > 6 {
		return false
	}
	switch {
	case algo >= 1 && algo <= 3, algo >= 16 && algo <= 22, algo >= 25 && algo <= 30, algo >= 100 && algo <= 110:
		return true
	}
	return false
}

// headerLen is the length of the packet header at the start of data.
func headerLen(data []byte) (int, bool) {
	if _, ok := headerTag(data); !ok {
		return 0, false
	}
	if data[0]&0x40 == 0 {
		return [4]int{2, 3, 5, 1}[data[0]&3], true
	}
	switch b := data[1]; {
	case b < 192, b >= 224 && b < 255:
		return 2, true
	case b < 224:
		return 3, true
	default:
		return 6, true
	}
}

// scanBudgetFactor times the input is what the every-offset scan may
// parse in all.
const scanBudgetFactor = 8

// countingReader counts the bytes a parse consumed.
type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// findDER recognises private keys in DER (PKCS#1, PKCS#8, SEC 1) and the
// OpenSSH format, as they appear inside a relabelled PEM block.
func findDER(data []byte) string {
	if bytes.Contains(data, []byte("openssh-key-v1\x00")) {
		return "an OpenSSH private key"
	}
	if len(data) == 0 || data[0] != 0x30 { // DER SEQUENCE
		return ""
	}
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return "a PKCS#8 private key"
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return "an RSA private key"
	}
	if _, err := x509.ParseECPrivateKey(data); err == nil {
		return "an EC private key"
	}
	return ""
}

func isSecretTag(tag int) bool { return tag == tagSecretKey || tag == tagSecretSubkey }

func describeTag(tag int) string {
	if tag == tagSecretSubkey {
		return "a secret subkey packet"
	}
	return "a secret key packet"
}

// headerTag reads the tag of an OpenPGP packet header at the start of
// data (old or new format).
func headerTag(data []byte) (int, bool) {
	if len(data) < 2 || data[0]&0x80 == 0 {
		return 0, false
	}
	if data[0]&0x40 == 0 {
		return int(data[0]>>2) & 0x0f, true
	}
	return int(data[0] & 0x3f), true
}

// walkPackets follows packet headers from the start of data and reports
// the first secret key tag, whatever the packet's content, also inside
// compressed data packets.
func (sc *scan) walkPackets(data []byte, depth int) string {
	for len(data) > 0 {
		tag, body, rest, ok := NextPacket(data)
		if !ok {
			return ""
		}
		if isSecretTag(tag) {
			return describeTag(tag)
		}
		if tag == tagCompressed && depth < maxDepth {
			if inner := sc.inflate(body); len(inner) > 0 {
				if what := sc.find(inner, depth+1); what != "" {
					return what + " (inside compressed data)"
				}
			}
		}
		data = rest
	}
	return ""
}

// NextPacket splits one OpenPGP packet off data (old and new header
// formats), following partial body lengths to the end of the packet; ok
// is false when data does not start with a whole packet.
func NextPacket(data []byte) (tag int, body, rest []byte, ok bool) {
	tag, ok = headerTag(data)
	if !ok {
		return 0, nil, nil, false
	}
	if data[0]&0x40 == 0 { // old format
		var n, hdr int
		switch data[0] & 3 {
		case 0:
			n, hdr = int(data[1]), 2
		case 1:
			if len(data) < 3 {
				return 0, nil, nil, false
			}
			n, hdr = int(data[1])<<8|int(data[2]), 3
		case 2:
			if len(data) < 5 {
				return 0, nil, nil, false
			}
			n, hdr = int(uint32(data[1])<<24|uint32(data[2])<<16|uint32(data[3])<<8|uint32(data[4])), 5
		default: // indeterminate: to the end
			return tag, data[1:], nil, true
		}
		if n < 0 || n > len(data)-hdr {
			return 0, nil, nil, false
		}
		return tag, data[hdr : hdr+n], data[hdr+n:], true
	}
	off := 1
	var out []byte
	for {
		if off >= len(data) {
			return 0, nil, nil, false
		}
		b := int(data[off])
		var n int
		partial := false
		switch {
		case b < 192:
			n, off = b, off+1
		case b < 224:
			if off+1 >= len(data) {
				return 0, nil, nil, false
			}
			n, off = (b-192)<<8+int(data[off+1])+192, off+2
		case b == 255:
			if off+4 >= len(data) {
				return 0, nil, nil, false
			}
			n, off = int(uint32(data[off+1])<<24|uint32(data[off+2])<<16|uint32(data[off+3])<<8|uint32(data[off+4])), off+5
		default:
			n, off, partial = 1<<(b&0x1f), off+1, true
		}
		if n < 0 || n > len(data)-off {
			return 0, nil, nil, false
		}
		if !partial && out == nil {
			return tag, data[off : off+n], data[off+n:], true
		}
		out = append(out, data[off:off+n]...)
		off += n
		if !partial {
			return tag, out, data[off:], true
		}
	}
}

// maxRunStarts bounds how many lines of junk before the body of a run of
// base64 lines are skipped to find where the body starts.
const maxRunStarts = 4

// armoredBodies decodes, leniently, every base64 body that can be found in
// data, without trusting armor framing:
//   - for each "-----BEGIN " line, the base64 lines up to the next BEGIN or
//     END line, skipping every other line (bad headers, junk, checksums);
//   - every run of consecutive base64 lines anywhere, with or without a
//     BEGIN line, starting at each of its first few lines.
func armoredBodies(data []byte) []armoredBody {
	lines := bytes.Split(data, []byte("\n"))
	var out []armoredBody
	seen := map[string]bool{}
	afterBegin := true
	add := func(b64 []byte) {
		body := decodeLenient(b64)
		if len(body) == 0 {
			return
		}
		if seen[string(body)] { // a BEGIN section is also a run
			return
		}
		seen[string(body)] = true
		out = append(out, armoredBody{body, afterBegin})
	}
	// Sections after a BEGIN line.
	for i := 0; i < len(lines); i++ {
		if !bytes.Contains(lines[i], []byte("-----BEGIN ")) {
			continue
		}
		var b64 []byte
		for j := i + 1; j < len(lines); j++ {
			l := trimLine(lines[j])
			if bytes.Contains(l, []byte("-----BEGIN ")) || bytes.Contains(l, []byte("-----END ")) {
				break
			}
			if isBase64Line(l) {
				b64 = append(b64, l...)
			}
		}
		add(b64)
	}
	// Runs of base64 lines.
	afterBegin = false
	for i := 0; i < len(lines); {
		if !isBase64Line(trimLine(lines[i])) {
			i++
			continue
		}
		j := i
		for j < len(lines) && isBase64Line(trimLine(lines[j])) {
			j++
		}
		// Body lines share one length; junk glued before the body (a
		// header without its colon, say) does not. Decode from the run's
		// start and from the first line that has its successor's length.
		starts := []int{i}
		for s := i; s < j-1 && s < i+maxRunStarts; s++ {
			if len(trimLine(lines[s])) == len(trimLine(lines[s+1])) {
				if s != i {
					starts = append(starts, s)
				}
				break
			}
		}
		for _, s := range starts {
			var b64 []byte
			for _, l := range lines[s:j] {
				b64 = append(b64, trimLine(l)...)
			}
			add(b64)
		}
		i = j
	}
	return out
}

// armoredBody is a decoded base64 body; afterBegin says it followed a
// "-----BEGIN " line, so that its first byte is meant as a packet header.
type armoredBody struct {
	data       []byte
	afterBegin bool
}

func trimLine(l []byte) []byte { return bytes.TrimSpace(l) }

// isBase64Line says whether l can be a line of an armored body: base64
// letters only, padding only at its end. A checksum line ("=AbCd") is not.
func isBase64Line(l []byte) bool {
	if len(l) == 0 || l[0] == '=' {
		return false
	}
	pad := false
	for _, c := range l {
		switch {
		case c == '=':
			pad = true
		case pad:
			return false
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// decodeLenient decodes as much of b64 as is well formed: padding inside
// (the end of one body glued to another) and a dangling last letter are
// dropped rather than failing the whole body.
func decodeLenient(b64 []byte) []byte {
	if i := bytes.IndexByte(b64, '='); i >= 0 {
		b64 = b64[:i]
	}
	if len(b64)%4 == 1 {
		b64 = b64[:len(b64)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(b64)))
	n, err := base64.RawStdEncoding.Decode(out, b64)
	if err != nil {
		return out[:n]
	}
	return out[:n]
}
