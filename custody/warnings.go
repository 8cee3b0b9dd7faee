package custody

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// WarningKind names what a [Warning] is about.
type WarningKind string

// The kinds of warning a report carries.
const (
	// WarnUncheckedClaim: a field an event claims about a party (organisation, role,
	// jurisdiction) that the policy's entry for its key leaves empty, or a
	// counterparty whose key the policy does not know: the bundle says it, nobody
	// vouches for it.
	WarnUncheckedClaim WarningKind = "unchecked-claim"
	// WarnMixedScript: a name mixing look-alike scripts in one word (a Cyrillic "О"
	// in a Latin name), as an impersonation would.
	WarnMixedScript WarningKind = "mixed-script"
	// WarnSeveralCases: the bundle holds events of more than one case.
	WarnSeveralCases WarningKind = "several-cases"
	// WarnSameEvidence: the same evidence (by SHA-256) entered custody under more than
	// one item id.
	WarnSameEvidence WarningKind = "same-evidence"
	// WarnUnkeyedItem: an item opened without an itemKey, before log entries had
	// successor tags (its events were logged as 32-byte commitments). Its events verify,
	// but no audit of the log can show a second successor or events left out of the
	// bundle: its completeness cannot be audited.
	WarnUnkeyedItem WarningKind = "unkeyed-item"
)

// Warning is something a reader of a report should know that breaks no rule (or no
// rule the policy asks for).
type Warning struct {
	Event   int         `json:"event"` // 1-based event index; 0 for the bundle as a whole
	Kind    WarningKind `json:"kind"`
	Subject string      `json:"subject,omitempty"` // the field, name or item concerned
	Detail  string      `json:"detail"`
}

// where names the warning's place: "event N" or "bundle".
func (w Warning) where() string {
	if w.Event > 0 {
		return fmt.Sprintf("event %d", w.Event)
	}
	return "bundle"
}

// claimWarnings are the fields of party p (the actor or counterparty of event i, as
// role says) that entry leaves empty: claims the policy does not check.
func claimWarnings(i int, role string, p Party, entry Party) []Warning {
	type field struct{ name, want, got string }
	var out []Warning
	for _, f := range []field{
		{"organization", entry.Organization, p.Organization},
		{"role", entry.Role, p.Role},
		{"jurisdiction", entry.Jurisdiction, p.Jurisdiction},
	} {
		if f.want == "" && f.got != "" {
			out = append(out, Warning{Event: i, Kind: WarnUncheckedClaim, Subject: role + " " + f.name,
				Detail: fmt.Sprintf("the %s's %s %q is not checked: the policy's entry for %s leaves it empty", role, f.name, f.got, p.Name)})
		}
	}
	return out
}

// scriptWarnings flags names and organisations that mix look-alike scripts.
func scriptWarnings(i int, role string, p Party) []Warning {
	var out []Warning
	for _, s := range []string{p.Name, p.Organization} {
		if w := mixedScript(s); w != "" {
			out = append(out, Warning{Event: i, Kind: WarnMixedScript, Subject: role + " " + s,
				Detail: fmt.Sprintf("the %s's %q mixes scripts in %q (a look-alike letter from another alphabet)", role, s, w)})
		}
	}
	return out
}

// scope checks what the bundle spans: how many cases, and whether one piece of
// evidence entered custody under several item ids. What the policy forbids is a
// failed check (RuleCase, RuleEvidence); otherwise a warning.
func (v *verifier) scope() ([]Check, []Warning) {
	var checks []Check
	var warns []Warning
	cases := slices.Sorted(maps.Keys(v.cases))
	quoted := make([]string, len(cases))
	for i, c := range cases {
		quoted[i] = fmt.Sprintf("%q", c)
	}
	switch {
	case len(cases) > 1 && v.policy.Scope.SingleCase:
		checks = append(checks, Check{Rule: RuleCase, Status: StatusFailed, Expected: "one case",
			Found: strings.Join(quoted, ", "), Detail: fmt.Sprintf("the bundle holds events of %d cases", len(cases))})
	case len(cases) > 1:
		warns = append(warns, Warning{Kind: WarnSeveralCases, Subject: strings.Join(quoted, ", "),
			Detail: fmt.Sprintf("the bundle holds events of %d cases: %s", len(cases), strings.Join(quoted, ", "))})
	case v.policy.Scope.SingleCase:
		checks = append(checks, Check{Rule: RuleCase, Status: StatusOK, OK: true})
	}
	ok := true
	firstWith := map[string]string{} // sha256 → the first item with it
	for _, id := range v.chain.order {
		sum := v.chain.items[id].digest.SHA256()
		first, seen := firstWith[sum.String()]
		if !seen {
			firstWith[sum.String()] = id
			continue
		}
		ok = false
		detail := fmt.Sprintf("items %s and %s have the same content (%s)", first, id, sum)
		if v.policy.Scope.UniqueEvidence {
			checks = append(checks, Check{Rule: RuleEvidence, Status: StatusFailed, Expected: "one item per piece of evidence",
				Found: first + " and " + id, Detail: detail})
		} else {
			warns = append(warns, Warning{Kind: WarnSameEvidence, Subject: first + ", " + id, Detail: detail})
		}
	}
	if ok && v.policy.Scope.UniqueEvidence {
		checks = append(checks, Check{Rule: RuleEvidence, Status: StatusOK, OK: true})
	}
	return checks, warns
}
