package custody_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
)

// TestUncheckedIsNotPresentedAsChecked: what was not checked says so, in every form
// of the report. On main, verify without a payload said only "VALID", and the
// Markdown report said every rule was checked for every event.
func TestUncheckedIsNotPresentedAsChecked(t *testing.T) {
	c := newCase(t)
	tests := []struct {
		name    string
		opts    []custody.VerifyOption
		verdict string
	}{
		{"no payload", nil, "VALID (payload, header and plaintext not checked: no payload given)"},
		{"payload without identity", []custody.VerifyOption{custody.WithPayload("case.age", bytes.NewReader(c.payload))},
			"VALID (plaintext not checked: no identity given to decrypt the payload)"},
		{"payload decrypted", []custody.VerifyOption{custody.WithPayload("case.age", bytes.NewReader(c.payload)),
			custody.WithIdentities(c.party("lab").Identity)}, "VALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := c.verify(t, c.b, tt.opts...)
			var text, md, js bytes.Buffer
			require.NoError(t, rep.WriteText(&text))
			require.NoError(t, rep.WriteMarkdown(&md, "case"))
			require.NoError(t, rep.WriteJSON(&js))
			require.Contains(t, text.String(), "custody bundle: "+tt.verdict+"\n")
			require.Contains(t, md.String(), "## Verdict: "+tt.verdict+"\n")
			require.NotContains(t, md.String(), "Every rule below was checked for every event")
			require.Contains(t, js.String(), `"verdict": "`+tt.verdict+`"`)
			if tt.verdict != "VALID" {
				require.Contains(t, text.String(), "\nnot checked:\n")
				require.Contains(t, md.String(), "\n## Not checked\n")
				require.Contains(t, js.String(), `"status": "not-checked"`)
			}
		})
	}
}

// TestEveryAppliedRuleHasAStatus: each event lists every rule that applies to it with
// a status; a receive lists recipient and transfer, a derive its parents.
func TestEveryAppliedRuleHasAStatus(t *testing.T) {
	c := newCase(t)
	rep := c.verify(t, c.b)
	rules := func(e custody.EventReport) []custody.Rule {
		var out []custody.Rule
		for _, ch := range e.Checks {
			require.Equal(t, custody.StatusOK, ch.Status, "event %d rule %s", e.Index, ch.Rule)
			require.True(t, ch.OK)
			out = append(out, ch.Rule)
		}
		return out
	}
	common := []custody.Rule{custody.RuleStatement, custody.RuleSignature, custody.RuleActor, custody.RuleInclusion,
		custody.RuleCheckpoint, custody.RuleDuplicate, custody.RuleOrder, custody.RuleChain}
	acquire := rules(rep.Events[0])
	require.Subset(t, acquire, common)
	require.NotContains(t, acquire, custody.RuleParent)
	receive := rules(rep.Events[3])
	require.Subset(t, receive, append(common, custody.RuleRecipient, custody.RuleTransfer, custody.RuleCounterparty,
		custody.RuleFork, custody.RuleTime, custody.RuleDigest, custody.RuleSealed, custody.RuleClosed))
	require.NotContains(t, receive, custody.RuleCustodian)
	access := rules(rep.Events[1])
	require.Contains(t, access, custody.RuleCustodian)

	// A failed signature leaves the actor not checked, and says why.
	b := c.b.Clone()
	env := *b.Events[1].Envelope
	env.Payload = bytes.Replace(env.Payload, []byte("triage"), []byte("triaga"), 1)
	b.Events[1] = custody.NewRecord(&env, b.Events[1].Proof)
	rep = c.verify(t, b)
	require.True(t, rep.Failed(custody.RuleSignature, 2))
	require.True(t, rep.Unchecked(custody.RuleActor, 2))
	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var doc struct {
		NotChecked []struct {
			Event  int    `json:"event"`
			Rule   string `json:"rule"`
			Status string `json:"status"`
			Detail string `json:"detail"`
		} `json:"notChecked"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc))
	found := false
	for _, n := range doc.NotChecked {
		if n.Event == 2 && n.Rule == "actor" {
			found = true
			require.Equal(t, "not-checked", n.Status)
			require.True(t, strings.Contains(n.Detail, "signature"), n.Detail)
		}
	}
	require.True(t, found, js.String())
}
