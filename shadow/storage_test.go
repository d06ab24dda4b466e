package shadow

import (
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestScanImages(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // id:digest:names
		err      string
	}{
		{"empty file", "", nil, ""},
		{"empty list", "[]", nil, ""},
		{"two records, extra fields skipped", `[{"id":"a","digest":"sha256:1","names":["r/a:1","r/a:2"],"big-data-names":["manifest"],"metadata":"{\"x\":1}"},{"id":"b","names":[]}]`,
			[]string{"a:sha256:1:r/a:1,r/a:2", "b::"}, ""},
		{"not an array", `{"id":"a"}`, nil, "want a JSON array"},
		{"truncated after one record", `[{"id":"a","names":["x"]},{"id":"b","na`, []string{"a::x"}, "record at byte"},
		{"unterminated array", `[{"id":"a","names":["x"]}`, []string{"a::x"}, "EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := ScanImages(strings.NewReader(tc.in), func(img StoredImage) error {
				got = append(got, fmt.Sprintf("%s:%s:%s", img.ID, img.Digest, strings.Join(img.Names, ",")))
				return nil
			})
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("records %v, want %v", got, tc.want)
			}
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestSeen(t *testing.T) {
	s := NewSeen()
	steps := []struct {
		ref, digest string
		new         bool
	}{
		{"r/a:1", "sha256:1", true},
		{"r/a:1", "sha256:1", false},
		{"r/a:2", "sha256:1", true},  // re-tag
		{"r/a:1", "sha256:2", true},  // the tag moved
		{"r/a:1sha256:2", "", true},  // no ambiguity across the separator
		{"r/a:1", "sha256:2", false}, // seen
	}
	for i, st := range steps {
		if got := s.Add(st.ref, st.digest); got != st.new {
			t.Errorf("step %d %s %s: new=%v, want %v", i, st.ref, st.digest, got, st.new)
		}
	}
	if s.Len() != 4 {
		t.Errorf("Len %d, want 4", s.Len())
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 seconds"},
		{40 * time.Second, "40 seconds"},
		{90 * time.Second, "1 minute 30 seconds"},
		{12 * time.Minute, "12 minutes"},
		{28 * time.Hour, "1 day 4 hours"},
		{3*24*time.Hour + 5*time.Hour, "3 days"},
	}
	for _, tc := range tests {
		if got := HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestReadLog(t *testing.T) {
	log := strings.Join([]string{
		`{"time":"2026-11-28T10:00:00Z","event":"start","candidate_sha256":"old"}`,
		`{"time":"2026-11-28T10:01:00Z","event":"image","reference":"r/old:1","live":"accepted","candidate":"rejected","reason":"old"}`,
		`{"time":"2026-11-28T11:00:00Z","event":"start","candidate_sha256":"new"}`,
		`{"time":"2026-11-28T11:01:00Z","event":"image","reference":"r/b:1","live":"accepted","candidate":"rejected","reason":"no signature"}`,
		`{"time":"2026-11-28T11:02:00Z","event":"image","reference":"r/a:1","live":"accepted","candidate":"accepted"}`,
		`{"time":"2026-11-29T11:02:00Z","event":"image","reference":"r/c:1","live":"accepted","candidate":"not-checked","reason":"timeout"}`,
		`{"time":"2026-12-01T11:00:00Z","event":"image","reference":"r/d:1\u001b[2J","live":"rejected","candidate":"rejected","reason":"x"}`,
		`{"time":"2026-12-01T11:00:00Z","event":"imag`,
		`{"time":"2026-12-01T12:00:00Z","event":"stop"}`,
	}, "\n")
	var seeded []string
	s, err := ReadLog(strings.NewReader(log), func(sha string, r Record) {
		if sha == "new" && r.Event == EventImage {
			seeded = append(seeded, r.Reference)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Pulls != 4 || s.Rejected != 2 || s.NotChecked != 1 || s.LiveRejected != 1 || s.OtherCandidates != 1 || s.BadLines != 1 || len(seeded) != 4 {
		t.Errorf("summary %+v, seeded %v", s, seeded)
	}
	if got := s.Headline(); got != "3 days, 4 pulls, 2 would have been rejected" {
		t.Errorf("headline %q", got)
	}
	text := s.Text(func(s string) string { return strings.ReplaceAll(s, "\x1b", `\x1b`) })
	for _, want := range []string{"r/b:1: no signature", `r/d:1\x1b[2J: x`, "1 image could not be checked", "1 earlier run of the log soaked another candidate", "1 line of the log could not be read"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("summary text passed an escape through:\n%s", text)
	}
}

// genImages is a containers-storage images.json of n images made on the
// fly: the benchmark measures the scan, not a file of a few hundred MB.
type genImages struct {
	n, i int
	buf  []byte
}

func (g *genImages) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n {
		switch {
		case g.i == 0:
			g.buf = append(g.buf, '[')
		case g.i == g.n:
			g.buf = append(g.buf, ']')
		default:
			if g.i > 1 {
				g.buf = append(g.buf, ',')
			}
			// The fields containers/storage writes for a pulled image.
			g.buf = fmt.Appendf(g.buf, `{"id":"%064x","digest":"sha256:%064x","names":["registry.example.com/team-%d/app:v%d"],"layer":"%064x","metadata":"{}","big-data-names":["manifest-sha256:%064x","sha256:%064x"],"big-data-sizes":{"manifest":1234},"big-data-digests":{"manifest":"sha256:%064x"},"created":"2026-11-01T10:00:00Z"}`,
				g.i, g.i+1, g.i%1000, g.i, g.i, g.i, g.i, g.i+1)
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	if len(g.buf) == 0 {
		g.buf = g.buf[:0:cap(g.buf)]
	}
	return n, nil
}

// BenchmarkScanMillion scans a generated storage file of a million images
// into a Seen set, as a starting shadow does, and reports the peak live
// heap sampled during the scan and the heap the Seen set keeps: memory is
// bounded by the set (8 bytes of key per name), not the file (~530 MB).
//
//	go test ./shadow/ -run '^$' -bench ScanMillion -benchmem
func BenchmarkScanMillion(b *testing.B) {
	const n = 1_000_000
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for b.Loop() {
		runtime.GC()
		metrics.Read(sample)
		base := sample[0].Value.Uint64()
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			s := make([]metrics.Sample, 1)
			s[0].Name = sample[0].Name
			for {
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		seen := NewSeen()
		src := &genImages{n: n + 1}
		err := ScanImages(src, func(img StoredImage) error {
			for _, name := range img.Names {
				seen.Add(name, img.Digest)
			}
			return nil
		})
		close(stop)
		<-sampled
		if err != nil || seen.Len() != n {
			b.Fatalf("scan: %v, %d names", err, seen.Len())
		}
		runtime.GC()
		metrics.Read(sample)
		b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(sample[0].Value.Uint64()-min(base, sample[0].Value.Uint64()))/(1<<20), "kept-heap-MB")
		runtime.KeepAlive(seen)
	}
}

// TestReadLogSkipsHugeLines: a line too long to be a record is counted as
// bad and skipped; the records around it are summarized.
func TestReadLogSkipsHugeLines(t *testing.T) {
	img := func(ref string) string {
		return `{"time":"2026-11-28T11:01:00Z","event":"image","reference":"` + ref + `","live":"accepted","candidate":"rejected","reason":"x"}`
	}
	tests := []struct {
		name      string
		log       string
		pulls     int
		badLines  int
		firstLast string
	}{
		{"huge line between records", img("a") + "\n" + strings.Repeat("x", maxLine+10) + "\n" + img("b") + "\n", 2, 1, "a,b"},
		{"huge last line without newline", img("a") + "\n" + strings.Repeat("x", maxLine+1), 1, 1, "a"},
		{"line at the limit", img("a") + "\n" + strings.Repeat(" ", maxLine-1) + "\n" + img("b"), 2, 0, "a,b"},
		{"no newline at the end", img("a") + "\n" + img("b"), 2, 0, "a,b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var refs []string
			s, err := ReadLog(strings.NewReader(tc.log), func(_ string, r Record) { refs = append(refs, r.Reference) })
			if err != nil {
				t.Fatal(err)
			}
			if s.Pulls != tc.pulls || s.BadLines != tc.badLines || strings.Join(refs, ",") != tc.firstLast {
				t.Errorf("pulls %d bad %d refs %v, want %d %d %s", s.Pulls, s.BadLines, refs, tc.pulls, tc.badLines, tc.firstLast)
			}
		})
	}
}

// endless is a hostile stream: head, then filler bytes up to max in all;
// read counts what was taken from it.
type endless struct {
	head, fill string
	max, read  int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.max {
		return 0, io.EOF
	}
	n := int64(len(p))
	if rest := e.max - e.read; n > rest {
		n = rest
	}
	for i := range n {
		if off := e.read + i; off < int64(len(e.head)) {
			p[i] = e.head[off]
		} else {
			p[i] = e.fill[(off-int64(len(e.head)))%int64(len(e.fill))]
		}
	}
	e.read += n
	return int(n), nil
}

// TestScanImagesBoundsARecord: one record of a hostile image list is
// bounded (its bytes, however spent, its names, each name's bytes), with
// an error that says which record; the records before it are handed on.
func TestScanImagesBoundsARecord(t *testing.T) {
	manyNames := `[{"id":"ok","names":["r/a:1"]},{"id":"many","names":[` + strings.TrimSuffix(strings.Repeat(`"r/a:1",`, maxNamesPerRecord+1), ",") + `]}]`
	longName := `[{"id":"ok","names":["r/a:1"]},{"id":"long","names":["r/` + strings.Repeat("a", maxNameBytes) + `"]}]`
	const stream = 4 * maxRecordBytes // what the hostile streams offer; a bounded reader takes a quarter of it
	tests := []struct {
		name string
		in   io.Reader
		err  string
	}{
		{"too many names", strings.NewReader(manyNames), "10001 names"},
		{"a name too long", strings.NewReader(longName), "a name of 4098 bytes"},
		{"one endless string", &endless{head: `[{"id":"ok","names":["r/a:1"]},{"id":"big","metadata":"`, fill: "x", max: stream}, "larger than 4 MiB"},
		{"endless whitespace between records", &endless{head: `[{"id":"ok","names":["r/a:1"]},`, fill: " ", max: stream}, "larger than 4 MiB"},
		{"endless names", &endless{head: `[{"id":"ok","names":["r/a:1"]},{"id":"big","names":["x"`, fill: `,"r/a:1"`, max: stream}, "larger than 4 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := ScanImages(tc.in, func(img StoredImage) error { got = append(got, img.ID); return nil })
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "record at byte 30") {
				t.Errorf("error %v, want %q at the second record", err, tc.err)
			}
			if fmt.Sprint(got) != "[ok]" {
				t.Errorf("records handed on: %v, want the one before the hostile one", got)
			}
			if e, ok := tc.in.(*endless); ok && e.read > maxRecordBytes+1<<20 {
				t.Errorf("read %d MiB of the stream for one record", e.read>>20)
			}
		})
	}
}
