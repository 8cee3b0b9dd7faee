package custody_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

func TestValidJurisdiction(t *testing.T) {
	for code, want := range map[string]bool{
		"FR": true, "DE": true, "BR": true, "KE": true, "EU": true,
		"fr": false, "France": false, "F": false, "XX": false, "ZZ": false, "AA": false, "": false, "001": false,
	} {
		require.Equal(t, want, custody.ValidJurisdiction(code), code)
	}
}

func TestEventValidate(t *testing.T) {
	key := strings.Repeat("ab", 32)
	commit := "sha256:" + strings.Repeat("cd", 32)
	valid := func() custody.Event {
		return custody.Event{Type: custody.Access, Prev: commit, Time: time.Now(),
			Item:  custody.Item{ID: "item-1", Digest: sha256Set(strings.Repeat("ef", 32))},
			Actor: custody.Actor{Party: custody.Party{Name: "A. Examiner", Jurisdiction: "FR"}, KeyID: key}}
	}
	e := valid()
	require.NoError(t, e.Validate())
	for name, mutate := range map[string]func(e *custody.Event){
		"unknown type": func(e *custody.Event) { e.Type = "steal" },
		"no item id":   func(e *custody.Event) { e.Item.ID = "" },
		"no sha256":    func(e *custody.Event) { e.Item.Digest = digest.Set{md5Of("x")} },
		"sealed without sha256": func(e *custody.Event) {
			e.Item.Sealed = &custody.Sealed{Digest: digest.Set{md5Of("x")}, Recipients: []string{"age1x"}}
		},
		"no time":                    func(e *custody.Event) { e.Time = time.Time{} },
		"no actor name":              func(e *custody.Event) { e.Actor.Name = " " },
		"bad jurisdiction":           func(e *custody.Event) { e.Actor.Jurisdiction = "France" },
		"bad key id":                 func(e *custody.Event) { e.Actor.KeyID = "abc" },
		"follow-up without prev":     func(e *custody.Event) { e.Prev = "" },
		"acquire with prev":          func(e *custody.Event) { e.Type = custody.Acquire },
		"malformed prev":             func(e *custody.Event) { e.Prev = "sha256:xyz" },
		"transfer without recipient": func(e *custody.Event) { e.Type = custody.Transfer },
		"receive citing nothing":     func(e *custody.Event) { e.Type = custody.Receive },
		"bad legal kind":             func(e *custody.Event) { e.Legal = &custody.Legal{Kind: "whim"} },
		"bad counterparty": func(e *custody.Event) {
			e.Counterparty = &custody.Actor{Party: custody.Party{Name: "B"}, KeyID: "nope"}
		},
		"derive without parents": func(e *custody.Event) { e.Type, e.Prev = custody.Derive, "" },
		"parent without sha256": func(e *custody.Event) {
			e.Type, e.Prev = custody.Derive, ""
			e.Parents = []custody.Parent{{ID: "item-0", Digest: digest.Set{md5Of("x")}, Event: commit}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := valid()
			mutate(&e)
			require.Error(t, e.Validate())
		})
	}
}

func TestParseStatementRejectsMalformedItemDigests(t *testing.T) {
	e := custody.Event{Type: custody.Acquire, Time: time.Now().UTC(),
		Item:  custody.Item{ID: "item-1", Digest: sha256Set(strings.Repeat("ab", 32))},
		Actor: custody.Actor{Party: custody.Party{Name: "A. Examiner"}, KeyID: strings.Repeat("ab", 32)}}
	good, err := custody.NewStatement(&e).Marshal()
	require.NoError(t, err)
	_, err = custody.ParseStatement(good)
	require.NoError(t, err)
	digestJSON := `{"sha256":"` + strings.Repeat("ab", 32) + `"}`
	require.Equal(t, 2, strings.Count(string(good), digestJSON), "the subject's and the item's digest")
	for name, d := range map[string]string{
		"uppercase hex":     `{"sha256":"` + strings.Repeat("AB", 32) + `"}`,
		"short sha256":      `{"sha256":"` + strings.Repeat("ab", 31) + `"}`,
		"unknown algorithm": `{"sha256":"` + strings.Repeat("ab", 32) + `","sha3":"` + strings.Repeat("ab", 32) + `"}`,
		"short md5":         `{"sha256":"` + strings.Repeat("ab", 32) + `","md5":"abc"}`,
		"repeated sha256":   `{"sha256":"` + strings.Repeat("ab", 32) + `","sha256":"` + strings.Repeat("cd", 32) + `"}`,
		"null":              `null`,
		"no sha256":         `{}`,
	} {
		_, err = custody.ParseStatement([]byte(strings.ReplaceAll(string(good), digestJSON, d)))
		require.Error(t, err, name)
	}
}

func sha256Set(hexSum string) digest.Set {
	d, err := digest.Parse("sha256:" + hexSum)
	if err != nil {
		panic(err)
	}
	return digest.Set{d}
}

func md5Of(s string) digest.Digest {
	set, _, err := digest.Reader(strings.NewReader(s), digest.MD5)
	if err != nil {
		panic(err)
	}
	d, _ := set.Get(digest.MD5)
	return d
}

func TestPartyAndActorString(t *testing.T) {
	key := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name string
		a    custody.Actor
		want string
	}{
		{"all", custody.Actor{Party: custody.Party{Name: "A. Examiner", Organization: "Lab", Role: "examiner", Jurisdiction: "FR"}, KeyID: key},
			"A. Examiner (Lab, examiner, FR) key 0123456789abcdef"},
		{"no organisation", custody.Actor{Party: custody.Party{Name: "B", Jurisdiction: "DE"}, KeyID: key}, "B (DE) key 0123456789abcdef"},
		{"name only", custody.Actor{Party: custody.Party{Name: "C"}, KeyID: key}, "C key 0123456789abcdef"},
		{"no key", custody.Actor{Party: custody.Party{Name: "D", Organization: "Court"}}, "D (Court)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.a.String())
			require.True(t, strings.HasPrefix(tc.a.String(), tc.a.Party.String()), "the actor is its party and its key")
		})
	}
}

func TestRefusedErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *custody.RefusedError
		want string
	}{
		{"no violation", &custody.RefusedError{Type: custody.Access, Item: "item-1"}, "refusing access of item item-1"},
		{"one", &custody.RefusedError{Type: custody.Access, Item: "item-1", Violations: []custody.Violation{{Rule: custody.RuleClosed, Detail: "after return"}}},
			"refusing access of item item-1: closed: after return"},
		{"the first of two", &custody.RefusedError{Type: custody.Receive, Item: "x", Violations: []custody.Violation{
			{Rule: custody.RuleTransfer, Detail: "no open transfer", Expected: "a transfer", Found: "none"}, {Rule: custody.RuleTime, Detail: "late"}}},
			"refusing receive of item x: transfer: no open transfer (expected a transfer; found none)"},
		{"found only", &custody.RefusedError{Type: custody.Receive, Item: "x", Violations: []custody.Violation{
			{Rule: custody.RulePlaintext, Detail: "does not decrypt", Found: "truncated"}}},
			"refusing receive of item x: plaintext: does not decrypt (found truncated)"},
		{"expected only", &custody.RefusedError{Type: custody.Receive, Item: "x", Violations: []custody.Violation{
			{Rule: custody.RulePayload, Detail: "no payload", Expected: "sha256:ab"}}},
			"refusing receive of item x: payload: no payload (expected sha256:ab)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestRuleMeaning(t *testing.T) {
	rules := []custody.Rule{custody.RuleStatement, custody.RuleSignature, custody.RuleActor, custody.RuleInclusion, custody.RuleCheckpoint,
		custody.RuleConsistency, custody.RuleDuplicate, custody.RuleOrder, custody.RuleChain, custody.RuleFork, custody.RuleCustodian,
		custody.RuleRecipient, custody.RuleTransfer, custody.RuleTime, custody.RuleAnchor, custody.RuleKey, custody.RuleDigest, custody.RuleSealed, custody.RuleClosed,
		custody.RuleParent, custody.RulePayload, custody.RulePlaintext}
	seen := map[string]bool{}
	for _, r := range rules {
		m := r.Meaning()
		require.NotEmpty(t, m, "rule %s has no meaning", r)
		require.False(t, seen[m], "rule %s shares its meaning", r)
		seen[m] = true
	}
	require.Equal(t, "only the item's current custodian acts on it", custody.RuleCustodian.Meaning())
	require.Empty(t, custody.Rule("steal").Meaning())
}

func TestArgumentErrors(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab")
	lab := d.Parties["lab"]
	b, _ := d.Acquire(t, "lab", []byte("image"))
	_, err := custody.NewCustodian(nil, lab.Actor, d.Logs[0])
	var argErr *custody.ArgumentError
	require.ErrorAs(t, err, &argErr)
	require.Equal(t, "custodian", argErr.Op)
	for _, tc := range []struct {
		name, op, arg string
		call          func() error
	}{
		{"access without purpose", "access", "d.Purpose", func() error {
			_, err := lab.Custodian.Access(ctx, b, "", custody.Details{})
			return err
		}},
		{"unknown item", "access", "itemID", func() error {
			_, err := lab.Custodian.Access(ctx, b, "no-such-item", custody.Details{Purpose: "x"})
			return err
		}},
		{"acquire without recipients", "acquire", "s.Recipients", func() error {
			_, err := lab.Custodian.Acquire(ctx, custody.Evidence{Source: strings.NewReader("x"), Sealed: io.Discard}, custody.Sealing{}, custody.Details{})
			return err
		}},
		{"transfer to an invalid recipient", "transfer", "to", func() error {
			_, err := lab.Custodian.Transfer(ctx, b, "", custody.Actor{Party: custody.Party{Name: "B"}, KeyID: "nope"}, custody.Details{})
			return err
		}},
		{"verify without policy", "verify", "b", func() error {
			_, err := custody.Verify(ctx, b, nil)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var argErr *custody.ArgumentError
			require.ErrorAs(t, err, &argErr)
			require.Equal(t, tc.op, argErr.Op)
			require.Equal(t, tc.arg, argErr.Arg)
			require.True(t, strings.HasPrefix(err.Error(), tc.op+": "), err.Error())
		})
	}
	_, err = lab.Custodian.Access(ctx, b, "no-such-item", custody.Details{Purpose: "x"})
	require.ErrorIs(t, err, custody.ErrUnknownItem)
	require.Len(t, b.Events, 1, "nothing was logged")
}
