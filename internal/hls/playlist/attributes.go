package playlist

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Attr is one attribute of an attribute list (RFC 8216bis §4.2), as
// written: Value is without the quotes of a quoted-string.
type Attr struct {
	Name   string
	Value  string
	Quoted bool
}

// attrList is a parsed attribute list with typed accessors that report
// errors in terms of the tag they belong to.
type attrList struct {
	tag   string
	attrs []Attr
}

// parseAttrs parses an attribute list: NAME=VALUE pairs separated by
// commas; names are [A-Z0-9-]; values are quoted strings (no quote, CR or
// LF inside) or unquoted tokens up to the next comma. Whitespace around
// names and commas is tolerated. A repeated name keeps its first value.
func parseAttrs(tag, s string) (attrList, error) {
	l := attrList{tag: tag}
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && isAttrNameByte(s[i]) {
			i++
		}
		name := s[start:i]
		if name == "" {
			return l, fmt.Errorf("%s: attribute name expected at %q", tag, clip(s[start:]))
		}
		if i == len(s) || s[i] != '=' {
			return l, fmt.Errorf("%s: attribute %s has no value (want %s=VALUE)", tag, name, name)
		}
		i++
		a := Attr{Name: name}
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return l, fmt.Errorf("%s: attribute %s: quoted string is not closed", tag, name)
			}
			a.Value, a.Quoted = s[i+1:i+1+end], true
			i += end + 2
		} else {
			end := strings.IndexByte(s[i:], ',')
			if end < 0 {
				end = len(s) - i
			}
			a.Value = strings.TrimRight(s[i:i+end], " \t")
			i += end
		}
		if _, dup := l.lookup(name); !dup {
			if len(l.attrs) == MaxAttributes {
				return l, errTooLarge("%s: more than %d attributes", tag, MaxAttributes)
			}
			l.attrs = append(l.attrs, a)
		}
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		if s[i] != ',' {
			return l, fmt.Errorf("%s: attribute %s: unexpected %q after the value", tag, name, clip(s[i:]))
		}
		i++
	}
	return l, nil
}

func isAttrNameByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c >= 'a' && c <= 'z' || c == '_'
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (l attrList) lookup(name string) (Attr, bool) {
	for _, a := range l.attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// str returns a quoted-string or enumerated-string value ("" if absent).
func (l attrList) str(name string) string {
	a, _ := l.lookup(name)
	return a.Value
}

// required returns the value of an attribute that must be present.
func (l attrList) required(name string) (string, error) {
	a, ok := l.lookup(name)
	if !ok || a.Value == "" {
		return "", fmt.Errorf("%s: required attribute %s is missing", l.tag, name)
	}
	return a.Value, nil
}

// quoted returns a value that must be a quoted-string.
func (l attrList) quoted(name string) (string, error) {
	a, ok := l.lookup(name)
	if ok && !a.Quoted {
		return "", fmt.Errorf("%s: %s=%s must be a quoted string", l.tag, name, clip(a.Value))
	}
	return a.Value, nil
}

// integer returns a decimal-integer value, 0 if absent.
func (l attrList) integer(name string) (int64, error) {
	a, ok := l.lookup(name)
	if !ok {
		return 0, nil
	}
	v, err := parseDecimalInteger(a.Value)
	if err != nil {
		return 0, fmt.Errorf("%s: %s %q is not a decimal integer", l.tag, name, clip(a.Value))
	}
	return v, nil
}

// float returns a decimal-floating-point value (signed allowed), 0 if absent.
func (l attrList) float(name string) (float64, bool, error) {
	a, ok := l.lookup(name)
	if !ok {
		return 0, false, nil
	}
	v, err := parseFloat(a.Value)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %s %q is not a number", l.tag, name, clip(a.Value))
	}
	return v, true, nil
}

// yesNo returns an enumerated YES/NO value, false if absent.
func (l attrList) yesNo(name string) (bool, error) {
	a, ok := l.lookup(name)
	if !ok {
		return false, nil
	}
	switch a.Value {
	case "YES":
		return true, nil
	case "NO":
		return false, nil
	}
	return false, fmt.Errorf("%s: %s=%s, want YES or NO", l.tag, name, clip(a.Value))
}

// resolution returns a decimal-resolution value (WIDTHxHEIGHT), zeros if absent.
func (l attrList) resolution(name string) (w, h int, err error) {
	a, ok := l.lookup(name)
	if !ok {
		return 0, 0, nil
	}
	ws, hs, found := strings.Cut(a.Value, "x")
	if !found {
		ws, hs, found = strings.Cut(a.Value, "X")
	}
	wv, err1 := parseDecimalInteger(ws)
	hv, err2 := parseDecimalInteger(hs)
	if !found || err1 != nil || err2 != nil || wv > math.MaxInt32 || hv > math.MaxInt32 {
		return 0, 0, fmt.Errorf("%s: %s %q is not a resolution (want WIDTHxHEIGHT)", l.tag, name, clip(a.Value))
	}
	return int(wv), int(hv), nil
}

// parseDecimalInteger parses a decimal-integer (0 to 2^63-1 here; HLS
// allows 2^64-1 but no attribute Boxcar reads needs it).
func parseDecimalInteger(s string) (int64, error) {
	if s == "" || len(s) > 20 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// parseUint parses a decimal-integer up to 2^64-1 (media sequence numbers).
func parseUint(s string) (uint64, error) {
	if s == "" || len(s) > 20 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// parseFloat parses a (signed-)decimal-floating-point: digits with an
// optional fraction, no exponent, no hex, no Inf/NaN.
func parseFloat(s string) (float64, error) {
	t := strings.TrimPrefix(s, "-")
	if t == "" || len(s) > 64 {
		return 0, strconv.ErrSyntax
	}
	dot := false
	digits := 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return 0, strconv.ErrSyntax
		}
	}
	if digits == 0 {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}
