package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// filter is the incremental "/" filter of a list view (scope tree,
// Problems, Keys, Look-aside): one component with its own key map, so the
// four lists behave alike. The view keeps its cursor on its full list and
// asks the filter which entries to show and where up/down lead.
type filter struct {
	in textinput.Model
	km filterKeyMap
}

// filterKeyMap is the filter's bindings; it is a help.KeyMap so the footer
// and the ? screen list them.
type filterKeyMap struct {
	Open, Done, Clear, Move key.Binding
}

func (k filterKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Done, k.Clear, k.Move} }

func (k filterKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Open, k.Done, k.Clear, k.Move}}
}

func newFilter() filter {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "type to filter"
	in.CharLimit = 256
	in.SetStyles(textinput.DefaultStyles(true))
	return filter{in: in, km: filterKeyMap{
		Open:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Done:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		Clear: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Move:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move")),
	}}
}

// focused: the query field has the keyboard (letters are the query's).
func (f *filter) focused() bool { return f.in.Focused() }

// set: a query is in force, typed or kept.
func (f *filter) set() bool { return f.in.Value() != "" }

// shown: the filter line takes a row of the list.
func (f *filter) shown() bool { return f.focused() || f.set() }

func (f *filter) clear() {
	f.in.Reset()
	f.in.Blur()
}

// bindings are the keys the view shows while the query is focused, or the
// one that opens it.
func (f *filter) bindings() []key.Binding {
	if f.focused() {
		return f.km.ShortHelp()
	}
	if f.set() {
		return []key.Binding{f.km.Open, f.km.Clear}
	}
	return []key.Binding{f.km.Open}
}

// update handles a key meant for the filter. handled says the view must
// not act on it; changed says the query changed (the view re-filters).
// Up and down are left to the view while typing, so the cursor can move
// through what is left.
func (f *filter) update(k tea.KeyPressMsg) (handled, changed bool, cmd tea.Cmd) {
	if !f.focused() {
		switch {
		case key.Matches(k, f.km.Open):
			return true, false, f.in.Focus()
		case key.Matches(k, f.km.Clear) && f.set():
			f.clear()
			return true, true, nil
		}
		return false, false, nil
	}
	switch {
	case key.Matches(k, f.km.Clear):
		f.clear()
		return true, true, nil
	case key.Matches(k, f.km.Done):
		f.in.Blur()
		return true, false, nil
	case key.Matches(k, f.km.Move):
		return false, false, nil
	}
	before := f.in.Value()
	f.in, cmd = f.in.Update(k)
	return true, f.in.Value() != before, cmd
}

// paste takes pasted text into a focused query.
func (f *filter) paste(p tea.PasteMsg) (changed bool) {
	if !f.focused() {
		return false
	}
	before := f.in.Value()
	f.in, _ = f.in.Update(p)
	return f.in.Value() != before
}

// match reports whether an entry described by texts passes: every word of
// the query occurs, case-insensitively, in one of them.
func (f *filter) match(texts ...string) bool {
	q := strings.Fields(strings.ToLower(f.in.Value()))
	if len(q) == 0 {
		return true
	}
	hay := strings.ToLower(strings.Join(texts, "\n"))
	for _, w := range q {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// visible lists the indexes of n entries that pass ok.
func visible(n int, ok func(i int) bool) []int {
	out := make([]int, 0, n)
	for i := range n {
		if ok(i) {
			out = append(out, i)
		}
	}
	return out
}

// step moves cur by d passing entries (negative: up), stopping at the
// last one that way; with nothing that way it stays at the nearest
// passing entry (nearest).
func step(n, cur, d int, ok func(i int) bool) int {
	dir := 1
	if d < 0 {
		dir, d = -1, -d
	}
	best := -1
	for i := cur + dir; i >= 0 && i < n && d > 0; i += dir {
		if ok(i) {
			best, d = i, d-1
		}
	}
	if best < 0 {
		return nearest(n, cur, ok)
	}
	return best
}

// nearest is cur when it passes, else the next passing entry below it,
// else the last one above it; cur when none passes.
func nearest(n, cur int, ok func(i int) bool) int {
	if cur >= 0 && cur < n && ok(cur) {
		return cur
	}
	for i := max(0, cur+1); i < n; i++ {
		if ok(i) {
			return i
		}
	}
	for i := min(n-1, cur-1); i >= 0; i-- {
		if ok(i) {
			return i
		}
	}
	return cur
}

// render is the filter line of a list of width w: the query (with its
// cursor while focused) and how many of total entries pass.
func (f *filter) render(m *Model, w, passing, total int) string {
	count := fmt.Sprintf(" %d of %d", passing, total)
	if passing == 0 {
		count = " nothing matches (esc clears)"
	}
	room := max(4, w-1-len(count))
	f.in.SetWidth(max(1, room-len(f.in.Prompt)-1))
	line := f.in.View()
	if !f.focused() {
		line = "/ " + safe(f.in.Value())
	}
	line = ansi.Truncate(showBidi(line), room, m.th.G.Ellipsis)
	line += strings.Repeat(" ", max(0, room-ansi.StringWidth(line)))
	st := m.th.Faint
	if passing == 0 {
		st = m.th.Warn
	}
	return " " + line + st.Render(count)
}

// initFilters gives each filterable view its filter.
func (m *Model) initFilters() {
	m.pol.flt, m.prob.flt, m.keys.flt, m.la.flt = newFilter(), newFilter(), newFilter(), newFilter()
}

// viewFilter is the active view's filter, nil for views without a list.
func (m *Model) viewFilter() *filter {
	switch m.view {
	case vPolicy:
		if !m.pol.focusReqs {
			return &m.pol.flt
		}
	case vProblems:
		return &m.prob.flt
	case vKeys:
		return &m.keys.flt
	case vLookaside:
		return &m.la.flt
	}
	return nil
}

// filterFocused: the active view's filter query has the keyboard.
func (m *Model) filterFocused() bool {
	f := m.viewFilter()
	return f != nil && f.focused()
}

// pasteFilter puts pasted text into a focused filter query.
func (m *Model) pasteFilter(p tea.PasteMsg) {
	if f := m.viewFilter(); f != nil && f.paste(p) && m.view == vPolicy {
		m.pol.rebuild(m)
	}
}

// firstShown is the first entry of vis (indexes into a list) to draw in
// room rows so that the cursor's entry is always among them.
func firstShown(vis []int, cursor, room int) int {
	for n, i := range vis {
		if i == cursor {
			return max(0, n-room+1)
		}
	}
	return 0
}
