package custody_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

// TestCounterpartyMustMatchThePolicy: a transfer to a trusted key under another name
// fails. On main it verified VALID and the report showed the false name.
func TestCounterpartyMustMatchThePolicy(t *testing.T) {
	c := newCase(t)
	b := c.b.Clone()
	judge := c.party("defence").Actor
	judge.Name, judge.Organization = "Judge J. Dredd", "Supreme Court"
	_, err := c.party("prosecutor").Custodian.Transfer(context.Background(), b, "", judge, custody.Details{Purpose: "to the court"})
	require.NoError(t, err)
	rep := c.verify(t, b)
	require.False(t, rep.Valid, "a transfer naming a trusted key under another name verified")
	require.True(t, rep.Failed(custody.Rule("counterparty"), len(b.Events)), "%+v", rep.Failures)
}

func TestCounterpartyChecked(t *testing.T) {
	c := newCase(t)
	rep := c.verify(t, c.b)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	for _, i := range []int{3, 4, 5, 6} { // transfers and receives
		require.Contains(t, rep.Events[i-1].Checks, custody.Check{Rule: custody.RuleCounterparty, Status: custody.StatusOK, OK: true}, "event %d", i)
	}
	require.Empty(t, otherWarnings(rep.Warnings))
}

// TestUncheckedClaimsAreReported: fields the policy leaves empty are claims nobody
// vouches for; a counterparty key the policy does not know is not checked.
func TestUncheckedClaimsAreReported(t *testing.T) {
	c := newCase(t)
	for i, s := range c.d.Policy.Signers {
		if s.Name == "authority" {
			c.d.Policy.Signers[i].Organization, c.d.Policy.Signers[i].Role = "", ""
		}
	}
	b := c.b.Clone()
	owner := testkit.NewParty(t, "owner", "NL")
	_, err := c.party("prosecutor").Custodian.Return(context.Background(), b, "", &owner.Actor, custody.Details{Purpose: "case closed"})
	require.NoError(t, err)
	rep := c.verify(t, b)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	var claims []string
	for _, w := range otherWarnings(rep.Warnings) {
		require.Equal(t, custody.WarnUncheckedClaim, w.Kind)
		claims = append(claims, w.Subject)
	}
	// The authority acts in events 4 and 5 and is the counterparty of 3 and 6.
	require.Contains(t, claims, "actor organization")
	require.Contains(t, claims, "counterparty role")
	require.Contains(t, claims, "counterparty owner")
	require.True(t, rep.Unchecked(custody.RuleCounterparty, len(b.Events)))
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "\nwarnings:\n")
	require.Contains(t, text.String(), `the actor's organization "authority org" is not checked`)
}
