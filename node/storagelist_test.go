package node

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// TestStorageListsAreBoundedPerRecord: lint's and the wizard's readers of
// images.json and containers.json (ReadNodeImages, FindOwnImage) stream
// the lists one bounded record at a time, as shadow does: a record past
// 4 MiB, 10,000 names or a name past 4096 bytes is an error that names
// the file and the record, the records before it are still read, and the
// read allocates far less than the file.
func TestStorageListsAreBoundedPerRecord(t *testing.T) {
	const good = `{"id":"ok","names":["quay.io/app/web:1"]}`
	manyNames := `{"id":"many","names":[` + strings.TrimSuffix(strings.Repeat(`"r/a:1",`, MaxStorageNames+1), ",") + `]}`
	longName := `{"id":"long","names":["r/` + strings.Repeat("a", MaxStorageNameBytes) + `:1"]}`
	// 24 MiB in one record, under the 256 MiB cap of a whole list.
	huge := `{"id":"huge","metadata":"` + strings.Repeat("x", 24<<20) + `"}`
	md, _ := json.Marshal(map[string]string{"image-name": "r/" + strings.Repeat("a", 5000)})
	longImageName, _ := json.Marshal(map[string]string{"id": testID, "image": "ok", "metadata": string(md)})
	tests := []struct {
		name       string
		images     string
		containers string
		want       string
	}{
		{"an image of too many names", "[" + good + "," + manyNames + "]", "",
			StorageImagesJSON + `: image list, record at byte 42 (id "many"): 10001 names, more than the 10000`},
		{"an image name too long", "[" + good + "," + longName + "]", "",
			StorageImagesJSON + `: image list, record at byte 42 (id "long"): a name of 4100 bytes, longer than the 4096`},
		{"an image record too large", "[" + good + "," + huge + "]", "",
			StorageImagesJSON + `: image list, record at byte 42: a record is larger than 4 MiB`},
		{"whitespace without end", "[" + good + "," + strings.Repeat(" ", 24<<20) + "]", "",
			StorageImagesJSON + `: image list, record at byte 42: a record is larger than 4 MiB`},
		{"a container record too large", "[" + good + "]", "[" + huge + "]",
			StorageContainersJSON + `: containers list, record at byte 1: a record is larger than 4 MiB`},
		{"a container's image name too long", "[" + good + "]", "[" + string(longImageName) + "]",
			StorageContainersJSON + `: containers list, record at byte 1 (id "` + testID + `"), its metadata's image-name: a name of 5002 bytes`},
		{"not a list", `{"id":"a"}`, "", StorageImagesJSON + `: image list: want a JSON array`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			files := map[string]string{StorageImagesJSON: tc.images, OwnImageFile: OwnImageNone}
			if tc.containers != "" {
				files[StorageContainersJSON] = tc.containers
			}
			writeFiles(t, root, files)
			paths := NewPaths(root, "", "", "")
			var imgs []NodeImage
			var err error
			nodefstest.Bounded(t, func() { imgs, err = ReadNodeImages(paths) })
			if err == nil || !strings.Contains(err.Error(), root+tc.want) {
				t.Fatalf("ReadNodeImages: %v\nwant %s", err, tc.want)
			}
			if tc.images[0] == '[' && (len(imgs) < 2 || imgs[1].Ref != "quay.io/app/web:1") {
				t.Errorf("the record before the hostile one is lost: %v", imgs)
			}
			if tc.containers == "" {
				return
			}
			// The image imgtrust runs in is looked up in the same lists
			// (with no answer remembered to fall back on).
			if err := os.Remove(paths.Host(OwnImageFile)); err != nil {
				t.Fatal(err)
			}
			nodefstest.Bounded(t, func() {
				_, err = FindOwnImage(paths, []byte("0::/kubepods.slice/crio-"+testID+".scope\n"), nil)
			})
			if err == nil || !strings.Contains(err.Error(), root+tc.want) {
				t.Errorf("FindOwnImage: %v\nwant %s", err, tc.want)
			}
		})
	}
}
