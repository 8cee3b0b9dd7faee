package custody

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions that isLowerHex, isCommitment and isAlpha2 replace: the
// tests hold the hand-written checks to them.
var (
	alpha2RE     = regexp.MustCompile(`^[A-Z]{2}$`)
	keyIDRE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	commitmentRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

var hex64 = strings.Repeat("0123456789abcdef", 4)

func TestFormatChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
	}{
		{"empty", ""},
		{"64 lowercase hex", hex64},
		{"63 hex digits", hex64[1:]},
		{"65 hex digits", hex64 + "0"},
		{"an uppercase hex digit", "A" + hex64[1:]},
		{"a g", "g" + hex64[1:]},
		{"a slash (just below 0)", "/" + hex64[1:]},
		{"a colon (just above 9)", ":" + hex64[1:]},
		{"a backquote (just below a)", "`" + hex64[1:]},
		{"a multi-byte rune", "é" + hex64[2:]},
		{"a trailing newline", hex64[1:] + "\n"},
		{"commitment", "sha256:" + hex64},
		{"commitment in capitals", "SHA256:" + hex64},
		{"commitment with 63 digits", "sha256:" + hex64[1:]},
		{"commitment of another algorithm", "sha512:" + hex64},
		{"commitment without its colon", "sha256" + hex64},
		{"commitment with a space", "sha256: " + hex64[1:]},
		{"country", "FR"},
		{"lowercase country", "fr"},
		{"one letter", "F"},
		{"three letters", "FRA"},
		{"a digit", "F1"},
		{"letters just outside A-Z", "@["},
		{"fullwidth capitals", "ＦＲ"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkFormats(t, tc.s) })
	}
}

func FuzzFormatChecks(f *testing.F) {
	for _, s := range []string{"", hex64, "sha256:" + hex64, "FR", "EU", "fr", "sha256:" + strings.ToUpper(hex64)} {
		f.Add(s)
	}
	f.Fuzz(checkFormats)
}

func checkFormats(t *testing.T, s string) {
	if got, want := isLowerHex(s, 64), keyIDRE.MatchString(s); got != want {
		t.Errorf("isLowerHex(%q, 64) = %v, the expression says %v", s, got, want)
	}
	if got, want := isCommitment(s), commitmentRE.MatchString(s); got != want {
		t.Errorf("isCommitment(%q) = %v, the expression says %v", s, got, want)
	}
	if got, want := isAlpha2(s), alpha2RE.MatchString(s); got != want {
		t.Errorf("isAlpha2(%q) = %v, the expression says %v", s, got, want)
	}
}
