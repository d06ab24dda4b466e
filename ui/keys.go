package ui

import "charm.land/bubbles/v2/key"

// keyMap holds every binding. Each action has a plain-letter or arrow key
// because the Linux console and many SSH clients cannot send shift/ctrl
// combinations reliably.
type keyMap struct {
	Quit, ForceQuit, Help, NextView, PrevView, Save, Undo, Wizard key.Binding
	Reload                                                        key.Binding
	// ReloadInField is Reload while a text field has the keyboard (R is
	// a letter there).
	ReloadInField key.Binding
	Views         [numViews]key.Binding

	Up, Down, PgUp, PgDown, Home, End, Enter, Back, Left, Right key.Binding
	Add, Edit, Delete, MoveUp, MoveDown, Fix                    key.Binding
	Import, Explain, Refresh                                    key.Binding
	RawEdit                                                     key.Binding
	SwitchPolicy                                                key.Binding
	// KeepTrial keeps a trial change (Overview, while one runs).
	KeepTrial key.Binding
	// StopShadow stops the running shadow soak (Overview, while one runs).
	StopShadow key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, h string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, h))
	}
	km := keyMap{
		Quit:          b([]string{"q"}, "q", "quit"),
		ForceQuit:     b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:          b([]string{"?"}, "?", "help"),
		NextView:      b([]string{"tab"}, "tab", "next view"),
		PrevView:      b([]string{"shift+tab"}, "shift+tab", "prev view"),
		Save:          b([]string{"ctrl+s"}, "ctrl+s", "save"),
		Undo:          b([]string{"u", "ctrl+z"}, "u", "undo"),
		Wizard:        b([]string{"w"}, "w", "guided setup"),
		Reload:        b([]string{"ctrl+r", "R"}, "R/ctrl+r", "reload all files"),
		ReloadInField: b([]string{"ctrl+r"}, "ctrl+r", "reload all files"),
		Up:            b([]string{"up", "k"}, "↑/k", "up"),
		Down:          b([]string{"down", "j"}, "↓/j", "down"),
		PgUp:          b([]string{"pgup"}, "pgup", "page up"),
		PgDown:        b([]string{"pgdown"}, "pgdn", "page down"),
		Home:          b([]string{"home", "g"}, "g/home", "first"),
		End:           b([]string{"end", "G"}, "G/end", "last"),
		Enter:         b([]string{"enter"}, "enter", "open"),
		Back:          b([]string{"esc"}, "esc", "back"),
		Left:          b([]string{"left", "h"}, "←", "tree"),
		Right:         b([]string{"right", "l"}, "→", "rules"),
		Add:           b([]string{"a"}, "a", "add"),
		Edit:          b([]string{"e"}, "e", "edit"),
		Delete:        b([]string{"d"}, "d", "delete"),
		MoveUp:        b([]string{"K"}, "K", "move up"),
		MoveDown:      b([]string{"J"}, "J", "move down"),
		Fix:           b([]string{"f"}, "f", "quick fix"),
		Import:        b([]string{"i"}, "i", "import"),
		Explain:       b([]string{"x"}, "x", "explain"),
		Refresh:       b([]string{"r"}, "r", "reload"),
		RawEdit:       b([]string{"E"}, "E", "edit raw"),
		// A namespace's CRI-O policy instead of the global one.
		SwitchPolicy: b([]string{"P"}, "P", "policy file"),
		KeepTrial:    b([]string{"c"}, "c", "keep the trial change"),
		StopShadow:   b([]string{"x"}, "x", "stop the shadow soak"),
	}
	for i := range numViews {
		d := string(rune('1' + i))
		km.Views[i] = b([]string{d}, d, viewNames[i])
	}
	return km
}
