package workspace

import (
	"fmt"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/safefile"
)

// RememberOwnImage records the admin's answer (a reference or "none"),
// atomically, with a backup and an audit line.
func RememberOwnImage(paths node.Paths, ref string, auditLog string) error {
	host := paths.Host(node.OwnImageFile)
	_, err := safefile.Write(host, []byte(ref+"\n"), safefile.Options{ExpectSHA256: safefile.ExpectAny, Mode: 0o644, Backup: true,
		AuditLog: auditLog, Summary: "own image: " + ref, FS: paths.FS()})
	if err != nil {
		return fmt.Errorf("remembering --own-image: %w", err)
	}
	return nil
}
