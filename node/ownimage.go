package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/kios/imgtrust/nodefs"
)

// RoleOwn is the image of the pod imgtrust runs in: on a node with no
// host shell it is the admin's way in, so a policy that rejects it locks
// the admin out as surely as one that rejects the pause image.
const RoleOwn = "own"

// OwnImageFile is the node path where the admin's answer to "which image
// do you run imgtrust in" is remembered (--own-image); "none" means
// imgtrust does not run in a pod.
const OwnImageFile = "/var/lib/imgtrust/own-image"

// OwnImageNone is the remembered answer for an imgtrust that is not run
// from a pod (an admin on the host).
const OwnImageNone = "none"

// Process files of imgtrust's own process (not node files: they describe
// this process, whatever --root is).
const (
	SelfCgroup    = "/proc/self/cgroup"
	SelfMountinfo = "/proc/self/mountinfo"
)

// containerIDPatterns find a CRI-O container id: the systemd cgroup
// driver names the scope crio-<id>.scope, the cgroupfs driver uses the
// bare id as the last path element; CRI-O bind-mounts the container's
// hostname, hosts and resolv.conf from
// overlay-containers/<id>/userdata (cri-o server/container_create_linux.go),
// which shows in mountinfo even in a private cgroup namespace where the
// cgroup path is just "/".
var cgroupIDPatterns = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`crio-([0-9a-f]{64})\.scope`),
		regexp.MustCompile(`/([0-9a-f]{64})$`),
	}
})

var userdataPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`overlay-containers/([0-9a-f]{64})/userdata/`) })

// runtimeMounts are the mount points CRI-O itself bind-mounts from a
// userdata directory. Only they say whose container this is: a debug pod
// with the node's "/" at /host sees every other container's
// overlay-containers/<id>/userdata/shm under /host in its mountinfo,
// before its own files (CRI-O orders mounts by depth).
var runtimeMounts = map[string]bool{"/etc/hostname": true, "/etc/resolv.conf": true, "/etc/hosts": true, "/run/.containerenv": true}

// ContainerID finds this process's CRI-O container id in the contents of
// /proc/self/cgroup and /proc/self/mountinfo; "" when it runs in none.
// From mountinfo it is the id of the userdata the runtime's own mounts
// come from, which is the pod's (its sandbox's) for hostname and
// resolv.conf: containerImage resolves a sandbox to its container.
func ContainerID(cgroup, mountinfo []byte) string {
	for _, line := range bytes.Split(cgroup, []byte("\n")) {
		for _, re := range cgroupIDPatterns() {
			for _, f := range bytes.Fields(line) {
				if m := re.FindSubmatch(f); m != nil {
					return string(m[1])
				}
			}
		}
	}
	// mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT ... (proc(5)).
	for _, line := range bytes.Split(mountinfo, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) < 5 || !runtimeMounts[string(f[4])] {
			continue
		}
		if m := userdataPattern().FindSubmatch(f[3]); m != nil {
			return string(m[1])
		}
	}
	return ""
}

// OwnImage is what imgtrust knows of its own image.
type OwnImage struct {
	Ref string
	// How it was found: "container <id>" (from the container store),
	// "remembered" (--own-image), or "" when unknown.
	How string
	// None: the admin said imgtrust runs in no pod.
	None bool
	// Source is the host path it was read from.
	Source string
}

// FindOwnImage finds the image of the container imgtrust runs in: its
// container id from the process's cgroup or mounts, then that container's
// image in the node's container store; else the remembered answer.
func FindOwnImage(paths Paths, cgroup, mountinfo []byte) (OwnImage, error) {
	var storeErr error
	if id := ContainerID(cgroup, mountinfo); id != "" {
		ref, err := containerImage(paths, id)
		if ref != "" && err == nil {
			return OwnImage{Ref: ref, How: "container " + id[:12], Source: paths.Host(StorageContainersJSON)}, nil
		}
		// A store being rewritten (or damaged) must not hide the
		// admin's remembered answer: the own image would go unprotected.
		storeErr = err
	}
	data, err := paths.FS().ReadFile(paths.Host(OwnImageFile), nodefs.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return OwnImage{}, storeErr
	}
	if err != nil {
		return OwnImage{}, err
	}
	ref := strings.TrimSpace(string(data))
	if ref == OwnImageNone {
		return OwnImage{None: true, How: "remembered", Source: paths.Host(OwnImageFile)}, nil
	}
	return OwnImage{Ref: ref, How: "remembered", Source: paths.Host(OwnImageFile)}, nil
}

// FindOwnImageHere is FindOwnImage for this process.
func FindOwnImageHere(paths Paths) (OwnImage, error) {
	// Unreadable /proc (not Linux, hardened mounts) means no id: the
	// remembered answer is used.
	cg, _ := os.ReadFile(SelfCgroup)
	mi, _ := os.ReadFile(SelfMountinfo)
	return FindOwnImage(paths, cg, mi)
}

// containerImage is the image a container of the node's store was created
// from, as CRI-O named it; "" when the store has no such container.
func containerImage(paths Paths, id string) (string, error) {
	var containers []struct {
		ID       string `json:"id"`
		Image    string `json:"image"`
		Metadata string `json:"metadata"`
	}
	if err := readStorageJSON(paths, paths.Host(StorageContainersJSON), &containers); err != nil {
		return "", err
	}
	// CRI-O's metadata of a container (cri-o internal/storage/runtime.go
	// RuntimeContainerMetadata): a pod's sandbox (infra container) has
	// pod-id its own id.
	type metadata struct {
		ImageName string `json:"image-name"`
		PodID     string `json:"pod-id"`
	}
	meta := func(raw string) metadata {
		var md metadata
		if raw != "" {
			_ = json.Unmarshal([]byte(raw), &md)
		}
		return md
	}
	for _, c := range containers {
		if c.ID == id && meta(c.Metadata).PodID == id {
			// A sandbox id (from mountinfo): this process is the pod's
			// one other container, or it cannot be told which.
			var in []string
			for _, o := range containers {
				if o.ID != id && meta(o.Metadata).PodID == id {
					in = append(in, o.ID)
				}
			}
			if len(in) != 1 {
				return "", nil
			}
			id = in[0]
			break
		}
	}
	for _, c := range containers {
		if c.ID != id {
			continue
		}
		if md := meta(c.Metadata); md.ImageName != "" {
			return md.ImageName, nil
		}
		var stored []struct {
			ID    string   `json:"id"`
			Names []string `json:"names"`
		}
		if err := readStorageJSON(paths, paths.Host(StorageImagesJSON), &stored); err != nil {
			return "", err
		}
		for _, img := range stored {
			if img.ID == c.Image && len(img.Names) > 0 {
				return img.Names[0], nil
			}
		}
	}
	return "", nil
}
