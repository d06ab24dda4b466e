package policyio

import "strings"

// The reference grammar's domain and path component, as loops: checking
// every scope of a large policy with the equivalent regular expressions
// cost 7% of a load. TestGrammarMatchesRegexps holds them to the
// expressions (domainRE, pathComponent), which stay the definition.

// validDomain reports whether s matches domainRE in full: host names of
// dot-separated alphanumeric labels (inner hyphens allowed) or a bracketed
// IPv6 address, then an optional :port.
func validDomain(s string) bool {
	var port string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 2 {
			return false
		}
		for i := 1; i < end; i++ {
			if !isHexDigit(s[i]) && s[i] != ':' {
				return false
			}
		}
		port = s[end+1:]
	} else {
		host := s
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i:]
		}
		for label := range strings.SplitSeq(host, ".") {
			if !validLabel(label) {
				return false
			}
		}
	}
	if port == "" {
		return true
	}
	if port[0] != ':' || len(port) == 1 {
		return false
	}
	for i := 1; i < len(port); i++ {
		if !isDigit(port[i]) {
			return false
		}
	}
	return true
}

// validLabel is domainComponent: alphanumerics, hyphens only inside.
func validLabel(l string) bool {
	if l == "" || !isAlnum(l[0]) || !isAlnum(l[len(l)-1]) {
		return false
	}
	for i := 1; i < len(l)-1; i++ {
		if !isAlnum(l[i]) && l[i] != '-' {
			return false
		}
	}
	return true
}

// validPathComponent reports whether s matches pathComponent in full:
// runs of lower-case alphanumerics joined by ".", "_", "__" or hyphens.
func validPathComponent(s string) bool {
	i := 0
	for {
		start := i
		for i < len(s) && (isDigit(s[i]) || 'a' <= s[i] && s[i] <= 'z') {
			i++
		}
		if i == start {
			return false
		}
		if i == len(s) {
			return true
		}
		switch s[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(s) && s[i] == '_' {
				i++
			}
		case '-':
			for i < len(s) && s[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isHexDigit(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
