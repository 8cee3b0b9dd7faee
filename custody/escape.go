package custody

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text from a bundle — names, organisations, descriptions, purposes — is written by
// whoever signed it, and is printed to terminals and documents. Escape is the one
// function every output path runs it through; CheckText refuses the same characters
// when they enter (an event being made, a policy entry being added).

// Escape makes text safe to print on one line of a terminal or document: control
// characters (newlines, ESC and the rest of C0 and C1), Unicode format characters
// (the bidirectional overrides and isolates, zero-width characters), line and
// paragraph separators and invalid UTF-8 are written as visible escapes (\x1b,
// \u202e), and a backslash as \\, so that what is printed is what was signed and
// cannot move the cursor, clear the screen or reorder the line.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x100 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r == '\\' || unsafeRune(r) {
			return true
		}
	}
	return false
}

// EscapeJSON rewrites JSON text so that no character Escape would escape appears
// raw: each is written as a \uXXXX escape (a surrogate pair above U+FFFF). The JSON
// means the same; printed on a terminal it cannot rewrite the screen. encoding/json
// already escapes C0 controls and U+2028/U+2029, but not C1 controls or format
// (bidi) characters.
func EscapeJSON(js []byte) []byte {
	if !needsEscape(string(js)) {
		return js
	}
	out := make([]byte, 0, len(js)+32)
	for i := 0; i < len(js); {
		r, size := utf8.DecodeRune(js[i:])
		switch {
		case r >= 0x80 && unsafeRune(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		case r >= 0x80 && unsafeRune(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, js[i:i+size]...)
		}
		i += size
	}
	return out
}

// unsafeRune reports whether r must not reach a terminal or document as it is:
// controls, format characters (bidi controls among them) and line separators.
func unsafeRune(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

// ErrUnsafeText is wrapped by CheckText's errors: text holds a character that could
// disguise what it says when printed.
var ErrUnsafeText = errors.New("control, format or bidi character")

// CheckText refuses text that holds invalid UTF-8, a control character (a newline,
// ESC…), a Unicode format character (a bidi override or isolate, a zero-width
// character) or a line separator: such text can rewrite a terminal or a document
// when printed. field names the text in the error, which quotes the text with Go's
// escapes (%q: \x1b, \u202e), so that it shows where the character is.
func CheckText(field, text string) error {
	return checkText(field, text, false)
}

// checkText is CheckText; multiline also allows newlines and tabs (a note's text).
func checkText(field, text string, multiline bool) error {
	if !utf8.ValidString(text) {
		return fmt.Errorf("%s %q is not valid UTF-8: %w", field, text, ErrUnsafeText)
	}
	for _, r := range text {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unsafeRune(r) {
			return fmt.Errorf("%s %q holds the character %U: %w (refused: it could disguise what is printed)", field, text, r, ErrUnsafeText)
		}
	}
	return nil
}

// sameName reports whether two names are the same once both are in Unicode
// normalisation form C: "é" typed as one code point or as "e" and a combining accent
// is the same name.
func sameName(a, b string) bool {
	return a == b || norm.NFC.String(a) == norm.NFC.String(b)
}

// mixedScript returns the first word of s that mixes letters of several scripts (a
// Cyrillic "О" in a Latin name), or "".
func mixedScript(s string) string {
	for word := range strings.FieldsSeq(s) {
		var first *unicode.RangeTable
		for _, r := range word {
			t := scriptOf(r)
			if t == nil {
				continue
			}
			if first == nil {
				first = t
			} else if t != first {
				return word
			}
		}
	}
	return ""
}

// confusableScripts are the scripts whose letters pass for Latin ones (and for each
// other's): the look-alikes that matter in names.
var confusableScripts = []*unicode.RangeTable{unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Armenian, unicode.Cherokee}

func scriptOf(r rune) *unicode.RangeTable {
	if !unicode.IsLetter(r) {
		return nil
	}
	for _, t := range confusableScripts {
		if unicode.Is(t, r) {
			return t
		}
	}
	return nil
}

// checkText refuses a party whose name, organisation or role holds unsafe text.
func (p Party) checkText() error {
	for _, f := range []struct{ name, text string }{{"name", p.Name}, {"organization", p.Organization}, {"role", p.Role}, {"jurisdiction", p.Jurisdiction}} {
		if err := CheckText(f.name, f.text); err != nil {
			return err
		}
	}
	return nil
}

// checkText refuses an event being made whose text fields hold characters that could
// disguise what is printed (see [CheckText]); a note's text may span lines.
func (e *Event) checkText() error {
	fields := []struct{ name, text string }{
		{"item id", e.Item.ID}, {"description", e.Item.Description}, {"media type", e.Item.MediaType},
		{"case", e.Case}, {"location", e.Location}, {"purpose", e.Purpose},
	}
	if e.Legal != nil {
		fields = append(fields, []struct{ name, text string }{{"legal basis", e.Legal.Basis}, {"legal reference", e.Legal.Reference},
			{"requesting authority", e.Legal.Requesting}, {"requested authority", e.Legal.Requested}}...)
	}
	if e.Tool != nil {
		fields = append(fields, []struct{ name, text string }{{"tool", e.Tool.Name}, {"tool version", e.Tool.Version}}...)
	}
	for _, f := range fields {
		if err := CheckText(f.name, f.text); err != nil {
			return err
		}
	}
	if err := checkText("note", e.Note, true); err != nil {
		return err
	}
	if err := e.Actor.Party.checkText(); err != nil {
		return fmt.Errorf("actor: %w", err)
	}
	if e.Counterparty != nil {
		if err := e.Counterparty.Party.checkText(); err != nil {
			return fmt.Errorf("counterparty: %w", err)
		}
	}
	return nil
}
