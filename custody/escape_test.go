package custody_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

const hostileText = "\x1b[2J\x1b[Hcustody bundle: VALID\n\u202eDILAV | `x` # <b>bold</b> [a](http://x)"

// hostileCase is a valid case whose last event, signed by the custodian, carries
// hostileText as its purpose and in its item's description: text a dishonest signer
// controls.
func hostileCase(t *testing.T) (*caseFile, *custody.Bundle) {
	c := newCase(t)
	b := c.b.Clone()
	payload := c.statementOf(t, b, func(s string) string { return s })
	st, err := custody.ParseStatement(payload)
	require.NoError(t, err)
	st.Predicate.Purpose = hostileText
	payload, err = custody.NewStatement(&st.Predicate).Marshal()
	require.NoError(t, err)
	c.appendPayload(t, b, c.party("prosecutor"), payload)
	return c, b
}

// TestReportsEscapeHostileText: no control or bidi character from a bundle reaches
// the text report, and Markdown markup in it stays text. On main the text report
// printed the escape sequences raw (clearing a terminal and printing a fake verdict).
func TestReportsEscapeHostileText(t *testing.T) {
	c, b := hostileCase(t)
	rep := c.verify(t, b)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	var text, md bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.NoError(t, rep.WriteMarkdown(&md, "case"))
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		require.NotContains(t, out, "\x1b", name)
		require.NotContains(t, out, "\u202e", name)
		require.NotContains(t, out, "\nDILAV", name)
	}
	require.Equal(t, 1, strings.Count(text.String(), "\ncustody bundle:")+boolInt(strings.HasPrefix(text.String(), "custody bundle:")),
		"only the real verdict starts a line:\n%s", text.String())
	require.Contains(t, text.String(), `\x1b[2J`)
	// Every timeline row of the Markdown table has its ten cells.
	for _, line := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(line, "| 7 |") {
			cells := regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1)
			require.Len(t, cells, 11, line)
			require.NotContains(t, line, "<b>")
			require.NotRegexp(t, `[^\\]\]\(`, line, "a link")
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"A. Examiner":          "A. Examiner",
		"José Ñúñez, Łódź":     "José Ñúñez, Łódź",
		"a\x1b[2Jb":            `a\x1b[2Jb`,
		"line\nbreak\ttab\r":   `line\x0abreak\x09tab\x0d`,
		"\u202eevil\u2066":     `\u202eevil\u2066`,
		"zero\u200bwidth":      `zero\u200bwidth`,
		"c1 \u009b":            `c1 \x9b`,
		"bad \xff utf8":        `bad \xff utf8`,
		`back\slash`:           `back\\slash`,
		"sep\u2028para\u2029x": `sep\u2028para\u2029x`,
	} {
		require.Equal(t, want, custody.Escape(in), "%q", in)
	}
}

// TestUnsafeTextIsRefusedAtEntry: events and policy entries with control or bidi
// characters are refused before anything is signed.
func TestUnsafeTextIsRefusedAtEntry(t *testing.T) {
	d := testkit.New(t, "lab")
	lab := d.Parties["lab"]
	bad := lab.Actor
	bad.Name = "Evil\x1b[2J"
	_, err := custody.NewCustodian(lab.Signer, bad, d.Logs[0])
	require.ErrorIs(t, err, custody.ErrUnsafeText)
	var ae *custody.ArgumentError
	require.ErrorAs(t, err, &ae)
	require.NotContains(t, err.Error(), "\x1b")

	b, _ := d.Acquire(t, "lab", []byte("disk"))
	_, err = lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage\u202e"})
	require.ErrorIs(t, err, custody.ErrUnsafeText)
	_, err = lab.Custodian.Note(context.Background(), b, "", "a note\non two lines", custody.Details{})
	require.NoError(t, err, "a note may span lines")

	pol := &custody.Policy{}
	s := lab.TrustedSigner()
	s.Organization = "Lab\n"
	require.ErrorIs(t, pol.AddSigner(s), custody.ErrUnsafeText)
}

// TestNamesCompareInNFC: a name typed decomposed (e + combining accent) is the name the
// policy holds composed. On main it failed rule actor.
func TestNamesCompareInNFC(t *testing.T) {
	d := testkit.New(t)
	composed := custody.Party{Name: "José Pérez", Organization: "Fiscalía", Jurisdiction: "ES"}
	p, err := testkit.MakeParty(composed, d.Logs[0], d.Policy)
	require.NoError(t, err)
	decomposed := p.Actor
	decomposed.Name, decomposed.Organization = norm.NFD.String(composed.Name), norm.NFD.String(composed.Organization)
	require.NotEqual(t, composed.Name, decomposed.Name)
	cust, err := custody.NewCustodian(p.Signer, decomposed, d.Logs[0])
	require.NoError(t, err)
	var sealed bytes.Buffer
	b, err := cust.Acquire(context.Background(), custody.Evidence{Source: strings.NewReader("disk"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{p.Recipient}}, custody.Details{})
	require.NoError(t, err)
	rep, err := custody.Verify(context.Background(), b, d.Policy)
	require.NoError(t, err)
	require.True(t, rep.Valid, "%+v", rep.Failures)
}

// TestMixedScriptNamesAreFlagged: a Cyrillic "О" in a Latin name is a warning.
func TestMixedScriptNamesAreFlagged(t *testing.T) {
	d := testkit.New(t)
	p, err := testkit.MakeParty(custody.Party{Name: "B. Оfficer", Organization: "Central Authority", Jurisdiction: "DE"}, d.Logs[0], d.Policy)
	require.NoError(t, err)
	var sealed bytes.Buffer
	b, err := p.Custodian.Acquire(context.Background(), custody.Evidence{Source: strings.NewReader("disk"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{p.Recipient}}, custody.Details{})
	require.NoError(t, err)
	rep, err := custody.Verify(context.Background(), b, d.Policy)
	require.NoError(t, err)
	require.True(t, rep.Valid)
	warnings := otherWarnings(rep.Warnings)
	require.Len(t, warnings, 1)
	require.Equal(t, custody.WarnMixedScript, warnings[0].Kind)
	require.Contains(t, warnings[0].Detail, "Оfficer")

	q, err := testkit.MakeParty(custody.Party{Name: "Владимир Petrov", Jurisdiction: "DE"}, d.Logs[0], d.Policy)
	require.NoError(t, err)
	b, err = q.Custodian.Acquire(context.Background(), custody.Evidence{Source: strings.NewReader("disk 2"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{q.Recipient}}, custody.Details{})
	require.NoError(t, err)
	rep, err = custody.Verify(context.Background(), b, d.Policy)
	require.NoError(t, err)
	require.Empty(t, otherWarnings(rep.Warnings), "words each in one script are no look-alike")
}
