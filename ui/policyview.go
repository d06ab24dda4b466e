package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/termsafe"
)

type rowKind int

const (
	rowDefault rowKind = iota
	rowTransport
	rowScope
)

type treeRow struct {
	kind rowKind
	ref  model.ScopeRef
	n    int // requirements in the list
	str  string
}

// policyView is the tree default → transports → scopes with the selected
// list's requirements beside it.
type policyView struct {
	rows      []treeRow
	cursor    int
	offset    int
	req       int
	focusReqs bool
	flt       filter
	// cut: the selected scope's name did not fit the tree; the rules pane
	// then shows it whole.
	cut bool
}

// rebuild recomputes the rows after a change, keeping the selection on
// the same list when it still exists.
func (v *policyView) rebuild(m *Model) {
	var keep model.ScopeRef
	had := v.cursor < len(v.rows)
	if had {
		keep = v.rows[v.cursor].ref
	}
	v.rows = v.rows[:0]
	p := m.deps.Policy.Policy()
	if p == nil {
		return
	}
	n := 1 + len(p.Transports)
	for _, t := range p.Transports {
		n += len(t.Scopes)
	}
	if cap(v.rows) < n {
		v.rows = make([]treeRow, 0, n) // one allocation, not twenty, at 10,000 scopes
	}
	if v.flt.match("default", m.strengthOf(p.Default)) {
		v.rows = append(v.rows, treeRow{kind: rowDefault, ref: model.ScopeRef{IsDefault: true}, n: len(p.Default), str: m.strengthOf(p.Default)})
	}
	for _, t := range p.Transports {
		head := len(v.rows)
		v.rows = append(v.rows, treeRow{kind: rowTransport, ref: model.ScopeRef{Transport: t.Name, Scope: "\x00"}})
		for _, s := range t.Scopes {
			// The filter matches what the row shows: the transport, the
			// scope as displayed and its strength (nothing to build
			// when there is no filter: 10,000 scopes, issue 15).
			str := m.strengthOf(s.Requirements)
			if v.flt.set() && !v.flt.match(t.Name+":"+displayScope(s.Name), str) {
				continue
			}
			v.rows = append(v.rows, treeRow{kind: rowScope, ref: model.ScopeRef{Transport: t.Name, Scope: s.Name}, n: len(s.Requirements), str: str})
		}
		if v.flt.set() && len(v.rows) == head+1 && !v.flt.match(t.Name) {
			v.rows = v.rows[:head] // no scope of it passes
		}
	}
	if had {
		v.selectRef(keep)
	}
	v.clamp()
}

func (v *policyView) selectRef(ref model.ScopeRef) bool {
	for i, r := range v.rows {
		if r.ref == ref {
			v.cursor = i
			return true
		}
	}
	return false
}

// reveal selects ref, clearing a filter that hides it (a jump from
// Problems must land on its scope).
func (v *policyView) reveal(m *Model, ref model.ScopeRef) bool {
	if v.selectRef(ref) {
		return true
	}
	if !v.flt.set() {
		return false
	}
	v.flt.clear()
	v.rebuild(m)
	return v.selectRef(ref)
}

// scopeCount is the number of scopes the tree shows and holds (the
// default and transport rows are not scopes).
func (v *policyView) scopeCount(m *Model) (shown, total int) {
	for _, r := range v.rows {
		if r.kind == rowScope {
			shown++
		}
	}
	if p := m.deps.Policy.Policy(); p != nil {
		for _, t := range p.Transports {
			total += len(t.Scopes)
		}
	}
	return shown, total
}

func (v *policyView) clamp() {
	if v.cursor >= len(v.rows) {
		v.cursor = len(v.rows) - 1
	}
	if v.cursor < 0 {
		v.cursor = 0
	}
	if n := len(v.selectedReqs(nil)); v.req >= n {
		v.req = n - 1
	}
	if v.req < 0 {
		v.req = 0
	}
}

func (v *policyView) selected() (treeRow, bool) {
	if v.cursor < len(v.rows) {
		return v.rows[v.cursor], true
	}
	return treeRow{}, false
}

func (v *policyView) selectedReqs(m *Model) model.Requirements {
	r, ok := v.selected()
	if !ok || r.kind == rowTransport || m == nil {
		return nil
	}
	return m.deps.Policy.Policy().Requirements(r.ref)
}

func (v *policyView) bindings(m *Model) []key.Binding {
	km := m.km
	if m.policyUnparsable() {
		return []key.Binding{km.RawEdit}
	}
	if !v.focusReqs && v.flt.focused() {
		return v.flt.bindings()
	}
	if v.focusReqs {
		add := km.Add
		add.SetHelp("a", "add rule")
		// undo is a global key (the help's "Everywhere" lists it).
		return []key.Binding{add, km.Edit, km.Delete, km.MoveUp, km.MoveDown, km.Left}
	}
	add := km.Add
	add.SetHelp("a", "add scope")
	right := km.Right
	right.SetHelp("→/enter", "rules")
	return append([]key.Binding{km.Up, km.Down, right}, append(v.flt.bindings(), add, km.Edit, km.Delete, km.RawEdit, firstLast(km))...)
}

// firstLast is the help line of Home and End, which take one line
// together on the help screen.
func firstLast(km keyMap) key.Binding {
	keys := append(append([]string{}, km.Home.Keys()...), km.End.Keys()...)
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp("g/G", "first/last"))
}

func (v *policyView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	km := m.km
	if !v.focusReqs && m.deps.Policy.Policy() != nil {
		if handled, changed, cmd := v.flt.update(k); handled {
			if changed {
				v.rebuild(m)
				if r, ok := v.selected(); ok && r.kind == rowTransport && v.flt.set() && v.cursor+1 < len(v.rows) {
					v.cursor++ // onto the first scope that passes
				}
			}
			return cmd
		}
	}
	if key.Matches(k, km.RawEdit) {
		return m.openRawEditor(m.firstTextError())
	}
	if m.policyUnparsable() {
		// The tree is empty because the file could not be read, not
		// because it holds nothing: an edit here would write over it.
		m.setStatus(true, "policy.json cannot be parsed: the tree cannot be edited; E opens the editor")
		return nil
	}
	row, ok := v.selected()
	if !ok {
		if key.Matches(k, km.Add) {
			return m.openScopeForm(nil)
		}
		return nil
	}
	if v.focusReqs {
		return v.updateReqs(m, k, row)
	}
	page := max(1, m.h-8)
	switch {
	case key.Matches(k, km.Up):
		v.cursor--
		v.req = 0
	case key.Matches(k, km.Down):
		v.cursor++
		v.req = 0
	case key.Matches(k, km.PgUp):
		v.cursor -= page
	case key.Matches(k, km.PgDown):
		v.cursor += page
	case key.Matches(k, km.Home):
		v.cursor = 0
	case key.Matches(k, km.End):
		v.cursor = len(v.rows) - 1
	case key.Matches(k, km.Right), key.Matches(k, km.Enter):
		if row.kind != rowTransport {
			v.focusReqs = true
		}
	case key.Matches(k, km.Add):
		return m.openScopeForm(nil)
	case key.Matches(k, km.Edit):
		if row.kind == rowScope {
			return m.openScopeForm(&row.ref)
		}
		if row.kind == rowDefault {
			v.focusReqs = true
		}
	case key.Matches(k, km.Delete):
		if row.kind == rowScope {
			ref := row.ref
			m.modal = &confirmDialog{
				title: "Delete scope " + safe(ref.String()) + "?", danger: true, yes: "delete",
				body: fmt.Sprintf("Its %d rule(s) go; images it matched fall back to the next broader scope or the default.", row.n),
				onYes: func(m *Model) tea.Cmd {
					m.edit("delete scope "+ref.String(), func(p *model.Policy) { p.RemoveScope(ref.Transport, ref.Scope) })
					return nil
				},
			}
		} else {
			m.setStatus(true, "the default cannot be deleted; edit its rules instead")
		}
	case key.Matches(k, km.MoveUp), key.Matches(k, km.MoveDown):
		if row.kind == rowScope {
			v.moveScope(m, row.ref, key.Matches(k, km.MoveUp))
		}
	}
	v.clamp()
	return nil
}

// moveScope changes the written order only: the runtime looks scopes up by
// exact name, so order never changes a verdict.
func (v *policyView) moveScope(m *Model, ref model.ScopeRef, up bool) {
	t := m.deps.Policy.Policy().Transport(ref.Transport)
	i := -1
	for j, s := range t.Scopes {
		if s.Name == ref.Scope {
			i = j
		}
	}
	j := i + 1
	if up {
		j = i - 1
	}
	if i < 0 || j < 0 || j >= len(t.Scopes) {
		return
	}
	m.edit("move scope "+ref.String(), func(p *model.Policy) {
		ss := p.Transport(ref.Transport).Scopes
		ss[i], ss[j] = ss[j], ss[i]
	})
}

func (v *policyView) updateReqs(m *Model, k tea.KeyPressMsg, row treeRow) tea.Cmd {
	km := m.km
	reqs := v.selectedReqs(m)
	switch {
	case key.Matches(k, km.Left), key.Matches(k, km.Back):
		v.focusReqs = false
	case key.Matches(k, km.Up):
		v.req--
	case key.Matches(k, km.Down):
		v.req++
	case key.Matches(k, km.Add):
		return m.openRequirementForm(row.ref, -1)
	case key.Matches(k, km.Edit), key.Matches(k, km.Enter):
		if len(reqs) > 0 {
			return m.openRequirementForm(row.ref, v.req)
		}
	case key.Matches(k, km.Delete):
		if len(reqs) == 0 {
			break
		}
		ref, i := row.ref, v.req
		body := "Rule: " + safe(reqs[i].Describe(m.keyLabel))
		if len(reqs) == 1 {
			body += "\nThis is the only rule: an empty list is an error the runtime refuses; add another rule first."
		}
		m.modal = &confirmDialog{
			title: fmt.Sprintf("Delete rule %d of %s?", i+1, safe(ref.String())), danger: true, yes: "delete", body: body,
			onYes: func(m *Model) tea.Cmd {
				m.edit(fmt.Sprintf("delete rule %d of %s", i+1, ref), func(p *model.Policy) {
					setReqs(p, ref, deleteAt(p.Requirements(ref), i))
				})
				return nil
			},
		}
	case key.Matches(k, km.MoveUp), key.Matches(k, km.MoveDown):
		i, j := v.req, v.req+1
		if key.Matches(k, km.MoveUp) {
			j = v.req - 1
		}
		if j < 0 || j >= len(reqs) {
			break
		}
		ref := row.ref
		m.edit(fmt.Sprintf("move rule %d of %s", i+1, ref), func(p *model.Policy) {
			rs := p.Requirements(ref)
			rs[i], rs[j] = rs[j], rs[i]
		})
		v.req = j
	}
	v.clamp()
	return nil
}

func deleteAt(rs model.Requirements, i int) model.Requirements {
	out := append(model.Requirements{}, rs[:i]...)
	return append(out, rs[i+1:]...)
}

// setReqs replaces the list ref names (creating the scope if needed).
func setReqs(p *model.Policy, ref model.ScopeRef, rs model.Requirements) {
	if ref.IsDefault {
		p.Default = rs
		return
	}
	p.SetScope(ref.Transport, ref.Scope, rs)
}

func (v *policyView) render(m *Model, w, h int) string {
	if m.policyUnparsable() || m.deps.Policy.Policy() == nil {
		return v.renderUnparsable(m, w, h)
	}
	leftW := 36
	if w >= 120 {
		leftW = 44
	}
	rightW := w - leftW
	left := v.renderTree(m, leftW, h)
	right := v.renderDetail(m, rightW, h)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, right)
}

func (v *policyView) renderTree(m *Model, w, h int) string {
	style := m.th.PaneFocused
	if v.focusReqs {
		style = m.th.Pane
	}
	innerW, innerH := w-2, h-2
	lines := make([]string, 0, innerH)
	if v.flt.shown() {
		shown, total := v.scopeCount(m)
		lines = append(lines, v.flt.render(m, innerW, shown, total))
		innerH--
	}
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+innerH {
		v.offset = v.cursor - innerH + 1
	}
	if v.offset > 0 && v.offset > len(v.rows)-innerH {
		v.offset = max(0, len(v.rows)-innerH)
	}
	v.cut = false
	for i := v.offset; i < len(v.rows) && len(lines) < cap(lines); i++ {
		r := v.rows[i]
		var label, tag string
		switch r.kind {
		case rowDefault:
			label, tag = "default", r.str
		case rowTransport:
			label = safe(r.ref.Transport)
		case rowScope:
			label, tag = "  "+safe(displayScope(r.ref.Scope)), r.str
		}
		tag = strings.ToUpper(tag)
		if room := innerW - len(tag) - 2; lipgloss.Width(label) > room {
			label = ansi.Truncate(label, room, m.th.G.Ellipsis)
			v.cut = v.cut || i == v.cursor
		}
		pad := innerW - lipgloss.Width(label) - len(tag) - 1
		text := " " + label + strings.Repeat(" ", max(0, pad)) + tag
		if i == v.cursor {
			if v.focusReqs {
				text = m.th.SelectedBlur.Render(text)
			} else {
				text = m.th.Selected.Render(text)
			}
		} else if r.kind == rowTransport {
			text = m.th.Bold.Render(text)
		}
		lines = append(lines, text)
	}
	shown, total := v.scopeCount(m)
	title := fmt.Sprintf(" Scopes (%d) ", total)
	if v.flt.set() {
		title = fmt.Sprintf(" Scopes (%d of %d) ", shown, total)
	}
	return boxed(style, title, strings.Join(lines, "\n"), w, h)
}

func (v *policyView) renderDetail(m *Model, w, h int) string {
	style := m.th.Pane
	if v.focusReqs {
		style = m.th.PaneFocused
	}
	innerW := w - 2
	row, ok := v.selected()
	if !ok {
		return boxed(style, " Rules ", "", w, h)
	}
	var b strings.Builder
	if row.kind == rowTransport {
		fmt.Fprintf(&b, "Transport %q.\nImages of this transport are matched against its scopes,\nthen its \"\" scope, then the default.", row.ref.Transport)
		return boxed(style, " "+safe(row.ref.Transport)+" ", wrap(b.String(), innerW), w, h)
	}
	reqs := m.deps.Policy.Policy().Requirements(row.ref)
	if name := safe(row.ref.String()); v.cut || lipgloss.Width(name)+3 > innerW {
		// Cut in the tree or in this pane's title: here it is whole.
		b.WriteString(wrap(name, innerW) + "\n")
	}
	fmt.Fprintf(&b, "%s %s\n", m.strengthLabel(reqs), m.deps.Rules.Strength(reqs))
	if len(reqs) == 0 {
		b.WriteString(m.th.Fail.Render("no rules: the runtime refuses an empty list") + "\n")
	}
	for i, r := range reqs {
		mark := "  "
		line := fmt.Sprintf("%d. %s", i+1, safe(r.Describe(m.keyLabel)))
		wrapped := wrap(line, innerW-2)
		if v.focusReqs && i == v.req {
			mark = m.th.G.Cursor + " "
			wrapped = m.th.Selected.Render(wrapped)
		}
		for j, l := range strings.Split(wrapped, "\n") {
			if j == 0 {
				b.WriteString(mark + l + "\n")
			} else {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	if js := listJSON(m.deps.Rules, row.ref, reqs); js != "" {
		b.WriteString("\n" + m.th.Faint.Render("policy.json:") + "\n")
		// JSON as written (encoding/json leaves C1 and bidi raw).
		b.WriteString(m.th.Faint.Render(termsafe.Text(js)))
	}
	return boxed(style, " "+safe(row.ref.String())+" ", b.String(), w, h)
}

// listJSON renders one requirement list exactly as policyio writes it.
func listJSON(rules Rules, ref model.ScopeRef, reqs model.Requirements) string {
	data, err := rules.MarshalPolicy(&model.Policy{Default: reqs})
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 3 {
		return ""
	}
	lines = lines[1 : len(lines)-1] // drop the outer braces
	name := "default"
	if !ref.IsDefault {
		name = ref.Scope
	}
	for i := range lines {
		lines[i] = strings.TrimPrefix(lines[i], "  ")
	}
	lines[0] = strings.Replace(lines[0], `"default"`, fmt.Sprintf("%q", clipShown(name)), 1)
	return strings.Join(lines, "\n")
}

// boxed draws content in a bordered box of exactly w x h with a title in
// the top border.
func boxed(style lipgloss.Style, title, content string, w, h int) string {
	innerW, innerH := w-style.GetHorizontalFrameSize(), h-style.GetVerticalFrameSize()
	body := fitLines(content, innerW, innerH)
	for i, l := range body {
		if d := innerW - lipgloss.Width(l); d > 0 {
			body[i] = l + strings.Repeat(" ", d)
		}
	}
	innerW = w - 2
	rest := style.BorderTop(false).Width(w).Height(h - 1).Render(strings.Join(body, "\n"))
	b := style.GetBorderStyle()
	// Titles are plain text that often names a scope or a file.
	t := ansi.Truncate(safe(title), max(0, innerW-1), "")
	fill := max(0, innerW-1-lipgloss.Width(t))
	bc := lipgloss.NewStyle().Foreground(style.GetBorderTopForeground())
	top := bc.Render(b.TopLeft+b.Top) + lipgloss.NewStyle().Bold(true).Render(t) + bc.Render(strings.Repeat(b.Top, fill)+b.TopRight)
	return top + "\n" + rest
}

// wrap breaks text at spaces to width w (cells).
func wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	return lipgloss.NewStyle().Width(w).Render(s)
}
