package custody_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// appendPayload signs payload (any bytes) as p in a statement envelope, logs it on the
// case's log and adds it to b with a consistency proof: a validly signed, logged
// statement that only the parser can refuse.
func (c *caseFile) appendPayload(t *testing.T, b *custody.Bundle, p *testkit.Party, payload []byte) {
	t.Helper()
	ctx := context.Background()
	env, err := sign.SignEnvelope(ctx, custody.PayloadType, payload, p.Signer)
	require.NoError(t, err)
	commit := env.Commitment()
	unread := ledger.NewEntry(sha256.Sum256(commit[:]), commit) // a statement no reader parses has no entry to compute: any tag
	leaf := unread[:]
	if leaves, err := (&custody.Bundle{Events: append(slices.Clone(b.Events), custody.NewRecord(env, ""))}).Leaves(); err == nil {
		leaf = leaves[len(leaves)-1] // its entry, tag || commitment
	}
	l := c.d.Logs[0]
	rc, err := l.Append(ctx, leaf)
	require.NoError(t, err)
	text, err := rc.MarshalText()
	require.NoError(t, err)
	prev, err := b.Events[len(b.Events)-1].Receipt()
	require.NoError(t, err)
	older, err := ledger.ReadHeadUnverified(prev.Checkpoint)
	require.NoError(t, err)
	newer, err := ledger.ReadHeadUnverified(rc.Checkpoint)
	require.NoError(t, err)
	proof, err := l.ConsistencyProof(ctx, older.Size, newer.Size)
	require.NoError(t, err)
	b.Consistency = append(b.Consistency, custody.Consistency{Origin: newer.Origin, OldSize: older.Size, NewSize: newer.Size, Proof: proof})
	b.Events = append(b.Events, custody.NewRecord(env, string(text)))
}

// statementOf is the statement of a valid next access by the case's custodian, as
// bytes, with edit applied to its JSON text.
func (c *caseFile) statementOf(t *testing.T, b *custody.Bundle, edit func(string) string) []byte {
	t.Helper()
	ev := follow(t, b, custody.Access)
	ev.Actor = c.party("prosecutor").Actor
	last, _ := head(t, b)
	ev.Time = last.Time.Add(60e9)
	payload, err := custody.NewStatement(ev).Marshal()
	require.NoError(t, err)
	return []byte(edit(string(payload)))
}

// TestVerifyRefusesParserDifferentials: a signed statement that two JSON readers would
// read differently (the same member twice, or in two cases, of which encoding/json
// takes the last and others the first) is not a custody statement. Before the strict
// decoder these verified VALID.
func TestVerifyRefusesParserDifferentials(t *testing.T) {
	judge := `{"name":"Judge J. Dredd","organization":"Supreme Court","jurisdiction":"DE","keyId":"` + strings.Repeat("ab", 32) + `"}`
	cases := map[string]func(string) string{
		"actor and Actor": func(s string) string {
			return strings.Replace(s, `"actor":`, `"Actor":`+judge+`,"actor":`, 1)
		},
		"time and Time": func(s string) string {
			return strings.Replace(s, `"time":`, `"Time":"2020-01-01T00:00:00Z","time":`, 1)
		},
		"actor twice": func(s string) string {
			return strings.Replace(s, `"actor":`, `"actor":`+judge+`,"actor":`, 1)
		},
		"PREDICATE beside predicate": func(s string) string {
			return strings.Replace(s, `"predicate":`, `"PREDICATE":{},"predicate":`, 1)
		},
		"unknown member": func(s string) string {
			return strings.Replace(s, `"purpose":`, `"judge":"Dredd","purpose":`, 1)
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			c := newCase(t)
			b := c.b.Clone()
			c.appendPayload(t, b, c.party("prosecutor"), c.statementOf(t, b, edit))
			rep := c.verify(t, b)
			require.False(t, rep.Valid, "a statement with %s verified", name)
			require.True(t, rep.Failed(custody.RuleStatement, len(b.Events)), "%+v", rep.Failures)
		})
	}
	t.Run("control: the unedited statement verifies", func(t *testing.T) {
		c := newCase(t)
		b := c.b.Clone()
		c.appendPayload(t, b, c.party("prosecutor"), c.statementOf(t, b, func(s string) string { return s }))
		rep := c.verify(t, b)
		require.True(t, rep.Valid, "%+v", rep.Failures)
	})
}

// TestParseBundleStrict: bundles and policies are read with exact, unique member
// names and canonical base64. Before the strict decoder each of these parsed.
func TestParseBundleStrict(t *testing.T) {
	c := newCase(t)
	data, err := json.Marshal(c.b)
	require.NoError(t, err)
	good := string(data)
	_, err = custody.ParseBundle(data)
	require.NoError(t, err)
	hash := c.b.Consistency[0].Proof[0].String()
	cases := map[string]string{
		"EVENTS beside events":   strings.Replace(good, `"events":`, `"EVENTS":[],"events":`, 1),
		"events twice":           strings.Replace(good, `"events":`, `"events":[],"events":`, 1),
		"MediaType beside":       strings.Replace(good, `"mediaType":`, `"MediaType":"x","mediaType":`, 1),
		"Proof in a record":      strings.Replace(good, `"proof":`, `"Proof":"x","proof":`, 1),
		"oldsize in consistency": strings.Replace(good, `"oldSize":`, `"oldsize":1,"oldSize":`, 1),
		"non-canonical consistency hash": strings.Replace(good, `"`+hash+`"`,
			`"`+hash[:42]+string(hash[42]+1)+`="`, 1),
		"invalid UTF-8": strings.Replace(good, `"events":`, "\"ev\xffents\":", 1),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, good, in, "the edit did not apply")
			_, err := custody.ParseBundle([]byte(in))
			require.Error(t, err)
		})
	}
}

func TestParsePolicyStrict(t *testing.T) {
	c := newCase(t)
	data, err := json.Marshal(c.d.Policy)
	require.NoError(t, err)
	good := string(data)
	_, err = custody.ParsePolicy(data)
	require.NoError(t, err)
	for name, in := range map[string]string{
		"Signers beside signers": strings.Replace(good, `"signers":`, `"Signers":[],"signers":`, 1),
		"name twice":             strings.Replace(good, `"name":`, `"name":"Judge J. Dredd","name":`, 1),
		"Name beside name":       strings.Replace(good, `"name":`, `"Name":"Judge J. Dredd","name":`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, good, in)
			_, err := custody.ParsePolicy([]byte(in))
			require.Error(t, err)
		})
	}
}

// TestStrictErrorsSayWhere: a refused member is named with where it is.
func TestStrictErrorsSayWhere(t *testing.T) {
	c := newCase(t)
	payload := c.statementOf(t, c.b, func(s string) string {
		return strings.Replace(s, `"time":`, `"Time":"2020-01-01T00:00:00Z","time":`, 1)
	})
	_, err := custody.ParseStatement(payload)
	var fe *custody.FormatError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "/predicate", fe.Pointer)
	require.ErrorContains(t, err, `unknown member "Time" (at /predicate)`)
	_, err = custody.ParseStatement(bytes.Replace(payload, []byte(`"Time"`), []byte(`"time"`), 1))
	require.ErrorContains(t, err, `duplicate`)
}
