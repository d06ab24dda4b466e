package verify

import (
	"errors"
	"io/fs"
)

// openReason is what a failed key file read says after "open PATH: ":
// the system's error as the runtime prints it ("no such file or
// directory"), or, for what nodefs refuses before any open (a FIFO, a
// device, a file over the cap, a link out of the root), nodefs's own
// sentence.
func openReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
