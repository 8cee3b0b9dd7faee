package ledger_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
)

// policyKeys returns cosignature/v1 signers and verifier keys for witnesses A, B, C, D.
func policyKeys(t testing.TB) (map[string]note.Signer, map[string]string) {
	signers, keys := map[string]note.Signer{}, map[string]string{}
	for _, n := range []string{"A", "B", "C", "D"} {
		signers[n], keys[n] = newWitness(t, "witness-"+strings.ToLower(n)+".example")
	}
	return signers, keys
}

func TestParseWitnessPolicy(t *testing.T) {
	_, k := policyKeys(t)
	_, plainA, err := note.GenerateKey(rand.Reader, "plain.example")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, text string
		line       int    // the line the error names; 0 for the policy as a whole
		err        string // part of the error; "" for a policy that parses
	}{
		{name: "one witness", text: "witness A " + k["A"] + " https://a.example/w\nquorum A\n"},
		{name: "no URL for a verifier", text: "witness A " + k["A"] + "\nquorum A\n"},
		{name: "quorum none", text: "# nobody\nquorum none\n"},
		{name: "groups and comments", text: "log " + k["D"] + " https://log.example # the log\nwitness A " + k["A"] + "\nwitness B " + k["B"] + "\n  witness C\t" + k["C"] + "  \ngroup AB any A B\ngroup everyone all AB C\nquorum everyone\n"},
		{name: "numeric threshold", text: "witness A " + k["A"] + "\nwitness B " + k["B"] + "\ngroup G 2 A B\nquorum G\n"},
		{name: "plain Ed25519 witness key", text: "witness P " + plainA + "\nquorum P\n"},
		{name: "CRLF line ends", text: "witness A " + k["A"] + "\r\nquorum A\r\n"},

		{name: "empty", text: "", err: "no quorum line"},
		{name: "unknown keyword", text: "witnes A " + k["A"] + "\nquorum none\n", line: 1, err: `unknown keyword "witnes"`},
		{name: "witness without key", text: "quorum none\nwitness A\n", line: 2, err: "got 2 fields"},
		{name: "witness with extra field", text: "witness A " + k["A"] + " https://a.example x\nquorum A\n", line: 1, err: "got 5 fields"},
		{name: "bad key", text: "witness A nope\nquorum A\n", line: 1, err: "not a witness verifier key"},
		{name: "private key", text: "witness A PRIVATE+KEY+a+00000000+AAAA\nquorum A\n", line: 1, err: "private signer key"},
		{name: "keyword as name", text: "witness none " + k["A"] + "\nquorum none\n", line: 1, err: "is a keyword"},
		{name: "name defined twice", text: "witness A " + k["A"] + "\nwitness A " + k["B"] + "\nquorum A\n", line: 2, err: "already defined"},
		{name: "one key two names", text: "witness A " + k["A"] + "\nwitness B " + k["A"] + "\nquorum A\n", line: 2, err: `same key as witness "A"`},
		{name: "URL not http", text: "witness A " + k["A"] + " ftp://a.example\nquorum A\n", line: 1, err: "http or https"},
		{name: "URL with credentials", text: "witness A " + k["A"] + " https://u:p@a.example\nquorum A\n", line: 1, err: "credentials"},
		{name: "URL with query", text: "witness A " + k["A"] + " https://a.example/?x=1\nquorum A\n", line: 1, err: "without query"},
		{name: "relative URL", text: "witness A " + k["A"] + " a.example/w\nquorum A\n", line: 1, err: "http or https"},
		{name: "group member undefined", text: "witness A " + k["A"] + "\ngroup G any A B\nquorum G\n", line: 2, err: `member "B" is not defined`},
		{name: "group member defined later", text: "group G any A\nwitness A " + k["A"] + "\nquorum G\n", line: 1, err: "earlier line"},
		{name: "group member twice", text: "witness A " + k["A"] + "\ngroup G 2 A A\nquorum G\n", line: 2, err: "listed twice"},
		{name: "group without members", text: "group G all\nquorum none\n", line: 1, err: "at least one member"},
		{name: "threshold zero", text: "witness A " + k["A"] + "\ngroup G 0 A\nquorum G\n", line: 2, err: "not between 1"},
		{name: "threshold above members", text: "witness A " + k["A"] + "\ngroup G 2 A\nquorum G\n", line: 2, err: "not between 1"},
		{name: "threshold not canonical", text: "witness A " + k["A"] + "\ngroup G 01 A\nquorum G\n", line: 2, err: "not any, all or a decimal"},
		{name: "threshold negative", text: "witness A " + k["A"] + "\ngroup G -1 A\nquorum G\n", line: 2, err: "not between 1"},
		{name: "quorum undefined", text: "quorum G\n", line: 1, err: "not a witness or group"},
		{name: "quorum before definition", text: "quorum A\nwitness A " + k["A"] + "\n", line: 1, err: "earlier line"},
		{name: "two quorums", text: "quorum none\nquorum none\n", line: 2, err: "second quorum line (the first is line 1)"},
		{name: "quorum with two names", text: "witness A " + k["A"] + "\nquorum A A\n", line: 2, err: "got 3 fields"},
		{name: "bare log line", text: "log\nquorum none\n", line: 1, err: "log KEY"},
		{name: "not UTF-8", text: "quorum none\n\xff\n", err: "not UTF-8"},
		{name: "control character in name", text: "witness A\x01 " + k["A"] + "\nquorum none\n", line: 1, err: "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ledger.ParseWitnessPolicy([]byte(tc.text))
			if tc.err == "" {
				require.NoError(t, err)
				require.Equal(t, tc.text, string(p.Text()))
				return
			}
			require.Nil(t, p)
			var pe *ledger.WitnessPolicyError
			require.True(t, errors.As(err, &pe), "%T %v", err, err)
			require.Equal(t, tc.line, pe.Line, "%v", err)
			require.Contains(t, err.Error(), tc.err)
			if tc.line > 0 {
				require.Contains(t, err.Error(), fmt.Sprintf("line %d:", tc.line))
			}
		})
	}
}

// TestParseWitnessPolicyNeverQuotesKeys: a private key pasted by mistake does not end up
// in an error message, whatever the mistake around it.
func TestParseWitnessPolicyNeverQuotesKeys(t *testing.T) {
	const secret = "PRIVATE+KEY+w.example+01234567+AeH0secretsecretsecretsecretsecretsecret0="
	for _, text := range []string{
		"witness A " + secret + "\nquorum A\n",
		"witness A " + strings.TrimPrefix(secret, "PRIVATE+KEY+") + "\nquorum A\n",
		"log " + secret + "\n",
	} {
		_, err := ledger.ParseWitnessPolicy([]byte(text))
		require.Error(t, err)
		require.NotContains(t, err.Error(), "secretsecret")
	}
}

func TestWitnessPolicySatisfied(t *testing.T) {
	_, k := policyKeys(t)
	// Q: A or B, together with C; or D alone.
	text := fmt.Sprintf("witness A %s\nwitness B %s\nwitness C %s\nwitness D %s\n"+
		"group AB any A B\ngroup both all AB C\ngroup Q any both D\nquorum Q\n", k["A"], k["B"], k["C"], k["D"])
	p, err := ledger.ParseWitnessPolicy([]byte(text))
	require.NoError(t, err)
	for _, tc := range []struct {
		cosigned []string
		want     bool
	}{
		{nil, false},
		{[]string{"A"}, false},
		{[]string{"A", "B"}, false},
		{[]string{"A", "C"}, true},
		{[]string{"B", "C"}, true},
		{[]string{"D"}, true},
		{[]string{"C", "stranger"}, false},
		{[]string{"AB", "both"}, false}, // group names are not cosigners
	} {
		require.Equal(t, tc.want, p.Satisfied(tc.cosigned...), "%v", tc.cosigned)
	}
	require.Equal(t, `group "Q": 1 of both, D`, p.QuorumString())
	var names []string
	for _, w := range p.Endpoints() {
		names = append(names, w.Name)
	}
	require.Equal(t, []string{"A", "B", "C", "D"}, names)
	require.Error(t, p.CheckLogUse(), "no URLs")

	none, err := ledger.ParseWitnessPolicy([]byte("witness A " + k["A"] + "\nquorum none\n"))
	require.NoError(t, err)
	require.True(t, none.Satisfied())
	require.Empty(t, none.Endpoints())
}

func TestVerifyCheckpointWitnessPolicy(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 4)
	s, k := policyKeys(t)
	policy, err := ledger.ParseWitnessPolicy(fmt.Appendf(nil,
		"witness A %s\nwitness B %s\nwitness C %s\ngroup AB any A B\ngroup Q all AB C\nquorum Q\n", k["A"], k["B"], k["C"]))
	require.NoError(t, err)
	entry := m.entry()
	entry.WitnessPolicy = policy
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}

	before := time.Now().Add(-time.Second).UTC()
	cp, err := trust.VerifyCheckpoint(m.checkpoint(t, 4, s["B"], s["D"], s["C"]))
	require.NoError(t, err)
	require.Equal(t, []string{"witness-b.example", "witness-c.example"}, cp.Cosigners, "D is not in the policy")
	require.Len(t, cp.Cosignatures, 2)
	for i, name := range []string{"B", "C"} {
		c := cp.Cosignatures[i]
		require.Equal(t, name, c.Witness)
		require.Equal(t, s[name].Name(), c.KeyName)
		require.Equal(t, s[name].KeyHash(), c.KeyHash)
		require.Equal(t, k[name], c.VerifierKey)
		require.False(t, c.Time.Before(before.Truncate(time.Second)), "timestamp %v", c.Time)
		require.False(t, c.Time.After(time.Now()), "timestamp %v", c.Time)
		require.Equal(t, time.UTC, c.Time.Location())
	}

	for name, signers := range map[string][]note.Signer{
		"group AB missing": {s["C"]},
		"C missing":        {s["A"], s["B"]},
		"only strangers":   {s["D"]},
	} {
		_, err := trust.VerifyCheckpoint(m.checkpoint(t, 4, signers...))
		require.ErrorIs(t, err, ledger.ErrQuorum, name)
		require.Contains(t, err.Error(), `group "Q": 2 of AB, C`, name)
	}

	both := entry
	both.Witnesses, both.Quorum = []string{k["A"]}, 1
	_, err = (&ledger.Trust{Logs: []ledger.Log{both}}).VerifyCheckpoint(m.checkpoint(t, 4, s["A"]))
	require.ErrorContains(t, err, "either a witness policy or witnesses and a quorum")
	require.Error(t, (&ledger.Trust{Logs: []ledger.Log{both}}).Validate())
}

func TestSimpleWitnessPolicy(t *testing.T) {
	_, k := policyKeys(t)
	p, err := ledger.SimpleWitnessPolicy([]string{k["A"], k["B"], k["C"]}, 2)
	require.NoError(t, err)
	require.True(t, p.Satisfied("witness-a.example", "witness-c.example"))
	require.False(t, p.Satisfied("witness-a.example"))
	reparsed, err := ledger.ParseWitnessPolicy(p.Text())
	require.NoError(t, err, "%s", p.Text())
	require.True(t, reparsed.Satisfied("witness-a.example", "witness-c.example"))

	_, err = ledger.SimpleWitnessPolicy([]string{k["A"], "nope"}, 1)
	require.ErrorContains(t, err, "witness 2:")
	_, err = ledger.SimpleWitnessPolicy([]string{k["A"]}, 2)
	require.ErrorContains(t, err, "quorum 2")
	none, err := ledger.SimpleWitnessPolicy(nil, 0)
	require.NoError(t, err)
	require.False(t, none.RequiresCosignature())
}

// FuzzParseWitnessPolicy: any text yields a policy or a *WitnessPolicyError, never a
// panic; what parses keeps its text and evaluates without panicking.
func FuzzParseWitnessPolicy(f *testing.F) {
	_, k := policyKeys(f)
	f.Add([]byte("witness A " + k["A"] + " https://a.example\nwitness B " + k["B"] + "\ngroup G any A B\nquorum G\n"))
	f.Add([]byte("log x\n# c\nquorum none\n"))
	f.Add([]byte("group G all\nquorum G\n"))
	f.Add([]byte("witness A " + k["A"] + "\ngroup G 1 A\ngroup H 1 G A\nquorum H\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := ledger.ParseWitnessPolicy(text)
		if err != nil {
			var pe *ledger.WitnessPolicyError
			if !errors.As(err, &pe) || p != nil {
				t.Fatalf("want a *WitnessPolicyError and no policy, got %T %v", err, err)
			}
			return
		}
		if string(p.Text()) != string(text) {
			t.Fatal("text not kept")
		}
		var names []string
		for _, w := range p.Witnesses() {
			names = append(names, w.Name)
		}
		_ = p.Satisfied(names...)
		_ = p.QuorumString()
		_ = p.Endpoints()
		_ = p.CheckLogUse()
	})
}
