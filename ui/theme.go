package ui

import (
	"charm.land/lipgloss/v2"
)

// Glyphs are the symbols the screens use. The Linux console font lacks
// many of the Unicode ones, so there is an ASCII set too.
type Glyphs struct {
	OK, Fail, Warn, Info, Cursor, Ellipsis, Arrow, Dot string
	Spinner                                            []string
}

var unicodeGlyphs = Glyphs{OK: "✓", Fail: "✗", Warn: "!", Info: "i", Cursor: "›", Ellipsis: "…", Arrow: "→", Dot: "·",
	Spinner: []string{"|", "/", "-", "\\"}}

var asciiGlyphs = Glyphs{OK: "+", Fail: "x", Warn: "!", Info: "i", Cursor: ">", Ellipsis: "...", Arrow: "->", Dot: "-",
	Spinner: []string{"|", "/", "-", "\\"}}

// Theme holds every style the TUI draws with, so that colours and glyphs
// are decided in one place. Colours are from the 16 ANSI ones: Bubble Tea
// downsamples at output (and drops them under NO_COLOR), and meaning never
// rests on colour alone: each verdict and severity also has a word/glyph.
type Theme struct {
	G      Glyphs
	ASCII  bool
	Border lipgloss.Border

	Title, TabActive, TabInactive, Header, Faint, Bold   lipgloss.Style
	Selected, SelectedBlur                               lipgloss.Style
	OK, Fail, Warn, Info                                 lipgloss.Style
	Pane, PaneFocused, Dialog, DialogDanger              lipgloss.Style
	DiffAdd, DiffDel, DiffHunk, Key, Status, StatusError lipgloss.Style
	Input                                                lipgloss.Style
}

// NewTheme builds the theme; ascii selects plain glyphs and borders.
func NewTheme(ascii bool) Theme {
	g := unicodeGlyphs
	b := lipgloss.NormalBorder()
	if ascii {
		g = asciiGlyphs
		b = lipgloss.ASCIIBorder()
	}
	s := lipgloss.NewStyle
	t := Theme{G: g, ASCII: ascii, Border: b}
	t.Title = s().Bold(true)
	t.TabActive = s().Bold(true).Reverse(true)
	t.TabInactive = s()
	t.Header = s().Bold(true).Foreground(lipgloss.Cyan)
	t.Faint = s().Faint(true)
	t.Bold = s().Bold(true)
	t.Selected = s().Reverse(true)
	t.SelectedBlur = s().Underline(true)
	t.OK = s().Foreground(lipgloss.Green).Bold(true)
	t.Fail = s().Foreground(lipgloss.Red).Bold(true)
	t.Warn = s().Foreground(lipgloss.Yellow).Bold(true)
	t.Info = s().Foreground(lipgloss.Blue)
	t.Pane = s().Border(b).BorderForeground(lipgloss.BrightBlack)
	t.PaneFocused = s().Border(b).BorderForeground(lipgloss.Cyan)
	t.Dialog = s().Border(b).BorderForeground(lipgloss.Cyan).Padding(0, 1)
	t.DialogDanger = s().Border(b).BorderForeground(lipgloss.Red).Padding(0, 1)
	t.DiffAdd = s().Foreground(lipgloss.Green)
	t.DiffDel = s().Foreground(lipgloss.Red)
	t.DiffHunk = s().Foreground(lipgloss.Cyan)
	t.Key = s().Bold(true)
	t.Status = s().Foreground(lipgloss.Green)
	t.StatusError = s().Foreground(lipgloss.Red).Bold(true)
	t.Input = s()
	return t
}
