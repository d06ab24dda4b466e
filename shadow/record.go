package shadow

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Verdict is one configuration's answer for one image.
type Verdict string

const (
	Accepted Verdict = "accepted"
	Rejected Verdict = "rejected"
	// NotChecked: the evaluator could not finish (registry or look-aside
	// out of reach, timeout). Never counted as rejected.
	NotChecked Verdict = "not-checked"
)

// Event says what a log line records.
const (
	EventStart = "start"
	EventImage = "image"
	EventStop  = "stop"
)

// Record is one line of the shadow log.
type Record struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	// Image lines.
	Reference string  `json:"reference,omitempty"`
	Digest    string  `json:"digest,omitempty"`
	Source    string  `json:"source,omitempty"` // stored, container or pause
	Live      Verdict `json:"live,omitempty"`
	Candidate Verdict `json:"candidate,omitempty"`
	// Reason is the candidate's trace summary; LiveReason the live one's.
	Reason     string `json:"reason,omitempty"`
	LiveReason string `json:"live_reason,omitempty"`
	// Start lines: what was soaked.
	CandidatePath   string `json:"candidate_path,omitempty"`
	CandidateSHA256 string `json:"candidate_sha256,omitempty"`
}

// WouldReject reports an image line the candidate rejects.
func (r Record) WouldReject() bool { return r.Event == EventImage && r.Candidate == Rejected }

// maxListed bounds how many rejected images a Summary keeps by name: the
// count is exact, the list is what a person reads.
const maxListed = 20

// Summary is what a soak showed. It holds counts and at most maxListed
// examples, so that summarizing a log of a million lines takes no more
// memory than summarizing ten.
type Summary struct {
	First, Last time.Time
	Pulls       int
	// Rejected counts the images the candidate would have rejected;
	// Examples lists the first of them.
	Rejected int
	Examples []Record
	// NotChecked counts images the candidate could not judge; LiveRejected
	// those the live configuration rejects today (the pull it allowed then
	// would now fail: the live policy changed since).
	NotChecked, LiveRejected int
	// Starts counts the shadow runs summarized; CandidateSHA256 is the
	// candidate they soaked; OtherCandidates counts the earlier runs of
	// other candidates in the same log, which are not summarized.
	Starts          int
	CandidateSHA256 string
	OtherCandidates int
	// BadLines counts lines that were not records (a line cut by a crash).
	BadLines int
	// Stopped: the last run wrote its stop line (a running shadow has
	// not; nor has one that was killed).
	Stopped bool
}

// Add counts one record.
func (s *Summary) Add(r Record) {
	if !r.Time.IsZero() {
		if s.First.IsZero() || r.Time.Before(s.First) {
			s.First = r.Time
		}
		if r.Time.After(s.Last) {
			s.Last = r.Time
		}
	}
	s.Stopped = r.Event == EventStop
	switch r.Event {
	case EventStart:
		s.Starts++
		s.CandidateSHA256 = r.CandidateSHA256
	case EventImage:
		s.Pulls++
		switch r.Candidate {
		case Rejected:
			s.Rejected++
			if len(s.Examples) < maxListed {
				s.Examples = append(s.Examples, r)
			}
		case NotChecked:
			s.NotChecked++
		}
		if r.Live == Rejected {
			s.LiveRejected++
		}
	}
}

// ReadLog summarizes a shadow log read from r, line by line: the runs of
// the candidate the last run soaked (a log that outlived a change of
// candidate does not mix two policies' verdicts). each, when not nil, is
// called with every record and the SHA-256 of the candidate of the run it
// belongs to; a restarted shadow seeds its Seen set with it.
func ReadLog(r io.Reader, each func(candidateSHA256 string, rec Record)) (Summary, error) {
	l := NewLogReader(each)
	_, err := l.Read(r, true)
	return l.Summary(), err
}

// LogReader summarizes a log read in parts: the TUI reads only what a
// running shadow appended since its last look, not the whole soak again.
type LogReader struct {
	// One summary per candidate; a log holds few.
	per       map[string]*Summary
	cur       string
	bad, runs int
	each      func(string, Record)
}

// NewLogReader starts an empty summary; each is as for ReadLog.
func NewLogReader(each func(candidateSHA256 string, rec Record)) *LogReader {
	return &LogReader{per: map[string]*Summary{}, each: each}
}

func (l *LogReader) get(sha string) *Summary {
	if l.per[sha] == nil {
		l.per[sha] = &Summary{}
	}
	return l.per[sha]
}

// Read adds the lines of r and returns how many bytes it consumed. With
// final unset, a last line without its newline is not consumed (a writer
// may be in the middle of it): the next Read starts with it.
func (l *LogReader) Read(r io.Reader, final bool) (int64, error) {
	lines := &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: maxLine}
	var consumed int64
	for {
		line, size, tooLong, terminated, err := lines.next()
		if err == io.EOF {
			return consumed, nil
		}
		if err != nil {
			return consumed, fmt.Errorf("reading the shadow log: %w", err)
		}
		if !terminated && !final {
			return consumed, nil
		}
		consumed += size
		if tooLong {
			l.bad++
			continue
		}
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil || rec.Event == "" {
			l.bad++
			continue
		}
		if rec.Event == EventStart {
			l.cur = rec.CandidateSHA256
			l.runs++
		}
		l.get(l.cur).Add(rec)
		if l.each != nil {
			l.each(l.cur, rec)
		}
	}
}

// Summary is the summary of the lines read so far.
func (l *LogReader) Summary() Summary {
	s := *l.get(l.cur)
	s.Examples = append([]Record(nil), s.Examples...)
	s.BadLines, s.OtherCandidates = l.bad, l.runs-s.Starts
	return s
}

// maxLine bounds one log line: imgtrust writes lines of a few hundred
// bytes; a longer one (a log that was written into, a crash mid-write
// joined with the next line) is counted as bad and skipped without being
// held, so that one line cannot make a soak's whole log unreadable.
const maxLine = 4 << 20

// lineReader yields the lines of r with their newline; a line longer than
// max is read through and reported tooLong, its bytes not kept. size is
// the bytes the line took in r; terminated says it ended with a newline
// (not with the end of r).
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func (l *lineReader) next() (line []byte, size int64, tooLong, terminated bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		size += int64(len(chunk))
		if !tooLong {
			if len(l.buf)+len(chunk) > l.max {
				tooLong, l.buf = true, l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && size > 0:
			return l.buf, size, tooLong, false, nil
		case err != nil:
			return nil, 0, false, false, err
		}
		return l.buf, size, tooLong, true, nil
	}
}

// Duration is the time the log covers.
func (s Summary) Duration() time.Duration {
	if s.First.IsZero() {
		return 0
	}
	return s.Last.Sub(s.First)
}

// Headline is the one-line summary: "3 days, 241 pulls, 2 would have been
// rejected". Untrusted text (references) is not in it.
func (s Summary) Headline() string {
	return fmt.Sprintf("%s, %s, %s", HumanDuration(s.Duration()), plural(s.Pulls, "pull", "pulls"), rejectedPhrase(s.Rejected))
}

func rejectedPhrase(n int) string {
	switch n {
	case 0:
		return "none would have been rejected"
	case 1:
		return "1 would have been rejected"
	}
	return fmt.Sprintf("%d would have been rejected", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// HumanDuration says a soak's length the way a person would: the largest
// unit and, below two of it, the next one ("3 days", "1 day 4 hours",
// "12 minutes", "40 seconds").
func HumanDuration(d time.Duration) string {
	units := []struct {
		d         time.Duration
		one, many string
	}{{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}, {time.Second, "second", "seconds"}}
	for i, u := range units {
		if d < u.d && i < len(units)-1 {
			continue
		}
		n := int(d / u.d)
		out := plural(n, u.one, u.many)
		if n < 2 && i < len(units)-1 {
			if m := int((d % u.d) / units[i+1].d); m > 0 {
				out += " " + plural(m, units[i+1].one, units[i+1].many)
			}
		}
		return out
	}
	return "0 seconds"
}

// Text is the full summary, one line per example; the caller passes
// untrusted text through safe (termsafe.String on a terminal).
func (s Summary) Text(safe func(string) string) string {
	var b strings.Builder
	b.WriteString(s.Headline())
	if s.Rejected > 0 {
		b.WriteString(":")
	}
	b.WriteString("\n")
	ex := append([]Record(nil), s.Examples...)
	sort.SliceStable(ex, func(i, j int) bool { return ex[i].Reference < ex[j].Reference })
	for _, r := range ex {
		fmt.Fprintf(&b, "  %s: %s\n", safe(r.Reference), safe(r.Reason))
	}
	if more := s.Rejected - len(ex); more > 0 {
		fmt.Fprintf(&b, "  ... and %d more (see the log)\n", more)
	}
	if s.NotChecked > 0 {
		fmt.Fprintf(&b, "%s could not be checked under the candidate (not counted as rejected)\n", plural(s.NotChecked, "image", "images"))
	}
	if s.LiveRejected > 0 {
		fmt.Fprintf(&b, "%s the live configuration rejects today\n", plural(s.LiveRejected, "image", "images"))
	}
	if s.OtherCandidates > 0 {
		fmt.Fprintf(&b, "note: %s of the log soaked another candidate and %s not counted\n", plural(s.OtherCandidates, "earlier run", "earlier runs"), map[bool]string{true: "is", false: "are"}[s.OtherCandidates == 1])
	}
	if s.BadLines > 0 {
		fmt.Fprintf(&b, "note: %s of the log could not be read\n", plural(s.BadLines, "line", "lines"))
	}
	return b.String()
}
