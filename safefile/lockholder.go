package safefile

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder names the process holding a flock on the open directory d,
// from /proc/locks ("1: FLOCK ADVISORY WRITE 1234 08:01:5678 0 EOF"), so
// that the admin knows whom to wait for. It is best effort: "" when
// /proc is not there or the holder is in another PID namespace.
func lockHolder(d *os.File) string {
	fi, err := d.Stat()
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// id: FLOCK ADVISORY WRITE pid dev:ino start end; blocked
		// waiters have "->" after the id and are skipped.
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid == os.Getpid() {
			continue
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if name := strings.TrimSpace(string(comm)); name != "" {
			return fmt.Sprintf("process %d (%s)", pid, name)
		}
		return fmt.Sprintf("process %d", pid)
	}
	return ""
}
