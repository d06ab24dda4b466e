package gpg

import "github.com/kios/imgtrust/gpg/secretscan"

// nextPacket splits one OpenPGP packet off data; see secretscan.NextPacket.
func nextPacket(data []byte) (tag int, body, rest []byte, ok bool) {
	return secretscan.NextPacket(data)
}
