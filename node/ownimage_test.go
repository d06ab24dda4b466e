package node

import (
	"os"
	"path/filepath"
	"testing"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

const otherID = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

func TestContainerID(t *testing.T) {
	tests := []struct {
		name, cgroup, mountinfo, want string
	}{
		{"systemd driver, cgroup v2", "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-" + testID + ".scope\n", "", testID},
		{"cgroupfs driver, v1", "12:memory:/kubepods/besteffort/pod1/" + testID + "\n11:cpu:/kubepods/besteffort/pod1/" + testID + "\n", "", testID},
		{"private cgroup namespace: from CRI-O's bind mounts", "0::/\n",
			"1234 1200 0:50 /containers/storage/overlay-containers/" + testID + "/userdata/resolv.conf /etc/resolv.conf rw - tmpfs tmpfs rw\n", testID},
		{"the node's other containers under /host come first", "0::/\n",
			"900 800 0:60 /containers/storage/overlay-containers/" + otherID + "/userdata/shm /host/run/containers/storage/overlay-containers/" + otherID + "/userdata/shm rw - tmpfs shm rw\n" +
				"901 800 0:61 / /host/var/lib/containers/storage/overlay/" + otherID + " rw - overlay overlay rw\n" +
				"1234 1200 0:50 /containers/storage/overlay-containers/" + testID + "/userdata/hostname /etc/hostname rw - tmpfs tmpfs rw\n", testID},
		{"only other containers' mounts", "0::/\n",
			"900 800 0:60 /containers/storage/overlay-containers/" + otherID + "/userdata/shm /host/run/containers/storage/overlay-containers/" + otherID + "/userdata/shm rw - tmpfs shm rw\n", ""},
		{"not in a container", "0::/user.slice/user-0.slice/session-1.scope\n", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", ""},
		{"a short hex name is no id", "0::/kubepods/pod1/abcdef\n", "", ""},
	}
	for _, tc := range tests {
		if got := ContainerID([]byte(tc.cgroup), []byte(tc.mountinfo)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFindOwnImage(t *testing.T) {
	cgroup := []byte("0::/kubepods.slice/crio-" + testID + ".scope\n")
	tests := []struct {
		name       string
		files      map[string]string
		cgroup     []byte
		want, how  string
		none, fail bool
	}{
		{"from the container's metadata", map[string]string{StorageContainersJSON: `[{"id":"` + testID + `","image":"img1","metadata":"{\"image-name\":\"quay.io/admin/debug:1\"}"}]`},
			cgroup, "quay.io/admin/debug:1", "container 0123456789ab", false, false},
		{"from the stored image's names", map[string]string{StorageContainersJSON: `[{"id":"` + testID + `","image":"img1"}]`, StorageImagesJSON: `[{"id":"img1","names":["quay.io/admin/tools:2"]}]`},
			cgroup, "quay.io/admin/tools:2", "container 0123456789ab", false, false},
		{"not in the store: remembered", map[string]string{StorageContainersJSON: `[]`, OwnImageFile: "quay.io/admin/debug:3\n"},
			cgroup, "quay.io/admin/debug:3", "remembered", false, false},
		{"not in a pod, said so", map[string]string{OwnImageFile: "none\n"}, nil, "", "remembered", true, false},
		{"unknown", nil, nil, "", "", false, false},
		{"a sandbox id: the pod's one container", map[string]string{StorageContainersJSON: `[{"id":"` + testID + `","image":"pause","metadata":"{\"image-name\":\"registry.k8s.io/pause:3.10\",\"pod-id\":\"` + testID + `\"}"},` +
			`{"id":"` + otherID + `","image":"img1","metadata":"{\"image-name\":\"quay.io/admin/debug:1\",\"pod-id\":\"` + testID + `\"}"}]`},
			cgroup, "quay.io/admin/debug:1", "container 0123456789ab", false, false},
		{"a sandbox id of a pod of two: not told", map[string]string{StorageContainersJSON: `[{"id":"` + testID + `","image":"pause","metadata":"{\"image-name\":\"registry.k8s.io/pause:3.10\",\"pod-id\":\"` + testID + `\"}"},` +
			`{"id":"` + otherID + `","image":"img1","metadata":"{\"image-name\":\"quay.io/admin/debug:1\",\"pod-id\":\"` + testID + `\"}"},` +
			`{"id":"aa` + otherID[2:] + `","image":"img2","metadata":"{\"image-name\":\"quay.io/x/sidecar:1\",\"pod-id\":\"` + testID + `\"}"}]`},
			cgroup, "", "", false, false},
		{"a broken store: the remembered answer", map[string]string{StorageContainersJSON: `[{`, OwnImageFile: "quay.io/admin/debug:3\n"}, cgroup, "quay.io/admin/debug:3", "remembered", false, false},
		{"a broken store", map[string]string{StorageContainersJSON: `[{`}, cgroup, "", "", false, true},
	}
	for _, tc := range tests {
		root := t.TempDir()
		for p, c := range tc.files {
			host := filepath.Join(root, p)
			os.MkdirAll(filepath.Dir(host), 0o755)
			os.WriteFile(host, []byte(c), 0o644)
		}
		got, err := FindOwnImage(NewPaths(root, "", "", ""), tc.cgroup, nil)
		if (err != nil) != tc.fail || got.Ref != tc.want || got.How != tc.how || got.None != tc.none {
			t.Errorf("%s: %+v, %v", tc.name, got, err)
		}
	}
}
