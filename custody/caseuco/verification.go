package caseuco

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/evidctl/evidctl/custody"
)

// investigationOf is one case of the bundle (the events' case field) as a
// case-investigation:Investigation gathering its actions, records and items.
type investigationOf struct {
	node    node
	objects []string
	auths   []string
}

// investigation files an event's nodes under its case. A case is named after its
// reference and the commitment of its first event in the bundle, so that two agencies'
// "2026-17" stay apart.
func (x *exporter) investigation(name, commitment, auth string, ids ...string) {
	if name == "" {
		return
	}
	inv, ok := x.cases[name]
	if !ok {
		inv = &investigationOf{node: node{"@id": iri("investigation", name, commitment), "@type": "case-investigation:Investigation",
			"uco-core:name": name, "case-investigation:investigationForm": "case"}}
		x.cases[name] = inv
		x.g.add(inv.node)
	}
	inv.objects = append(inv.objects, ids...)
	inv.auths = append(inv.auths, auth)
}

// finishInvestigations writes each case's gathered references.
func (x *exporter) finishInvestigations() {
	for _, inv := range x.cases {
		inv.node.set("uco-core:object", refs(inv.objects...))
		inv.node.set("case-investigation:relevantAuthorization", refs(inv.auths...))
	}
}

// verification adds the verification as an InvestigativeAction of the verifying tool
// on every event's action, whose results are annotations: the verdict, and one per
// failed check naming the rule, what was expected and what was found. It is named
// after the report (and the verification time, when given), so a different verdict is
// a different node.
func (x *exporter) verification() error {
	rep, err := json.Marshal(x.rep)
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	sum := sha256.Sum256(rep)
	at := ""
	if !x.cfg.verifiedAt.IsZero() {
		at = x.cfg.verifiedAt.UTC().Format("2006-01-02T15:04:05.999999999Z")
	}
	id := iri("investigative-action", "verification", hex.EncodeToString(sum[:]), at)
	var actions []string
	for _, rec := range x.b.Events {
		actions = append(actions, actionID(rec.CommitmentString()))
	}
	results := []string{x.verdict(id, actions)}
	for k, f := range x.rep.Failures {
		results = append(results, x.failure(id, k, f))
	}
	var passed []string
	for _, c := range x.rep.Checks {
		if c.Result() == custody.StatusOK {
			passed = append(passed, string(c.Rule))
		}
	}
	n := node{"@id": id, "@type": "case-investigation:InvestigativeAction", "uco-core:name": "verify custody bundle",
		"uco-core:description": "verification of the custody bundle under a trust policy: integrity, authenticity, continuity and existence in time of every event",
		"uco-action:object":    refs(actions...), "uco-action:result": refs(results...), "evidctl:valid": x.rep.Valid}
	if x.cfg.toolName != "" {
		n.set("uco-action:instrument", refs(x.tool(&custody.Tool{Name: x.cfg.toolName, Version: x.cfg.toolVersion})))
	}
	if at != "" {
		n["uco-action:startTime"] = dateTime(x.cfg.verifiedAt)
		n["uco-action:endTime"] = dateTime(x.cfg.verifiedAt)
	}
	n.set("evidctl:passedRule", strs(passed...))
	x.g.add(n)
	return nil
}

// verdict adds the annotation stating the verdict on every event's action.
func (x *exporter) verdict(verification string, actions []string) string {
	text := fmt.Sprintf("custody bundle VALID: %d %s, every check passed", len(x.rep.Events), plural(len(x.rep.Events), "event", "events"))
	if !x.rep.Valid {
		text = fmt.Sprintf("custody bundle INVALID: %d failed %s", len(x.rep.Failures), plural(len(x.rep.Failures), "check", "checks"))
	}
	return x.g.add(node{"@id": iri("annotation", verification, "verdict"), "@type": "uco-core:Annotation",
		"uco-core:object": refs(actions...), "uco-core:statement": text, "uco-core:tag": []string{"verdict"},
		"evidctl:valid": x.rep.Valid})
}

// failure adds the annotation of one failed check, on its event's action (or on the
// verification itself for a check of the whole bundle).
func (x *exporter) failure(verification string, k int, f custody.Failure) string {
	on := verification
	if f.Event > 0 && f.Event <= len(x.b.Events) {
		on = actionID(x.b.Events[f.Event-1].CommitmentString())
	}
	n := node{"@id": iri("annotation", verification, "failure", strconv.Itoa(k)), "@type": "uco-core:Annotation",
		"uco-core:object": refs(on), "uco-core:statement": failureText(f), "uco-core:tag": strs("failure", string(f.Rule)),
		"evidctl:rule": string(f.Rule)}
	if f.Event > 0 {
		n["evidctl:eventIndex"] = integer(f.Event)
	}
	n.set("evidctl:subject", f.Subject)
	n.set("evidctl:expected", f.Expected)
	n.set("evidctl:found", f.Found)
	n.set("evidctl:detail", f.Detail)
	return x.g.add(n)
}

// failureText is a failure in one sentence: "event 3: rule signature failed: …;
// expected …; found …".
func failureText(f custody.Failure) string {
	parts := []string{fmt.Sprintf("%s: rule %s failed", f.Where("bundle"), f.Rule)}
	if f.Detail != "" {
		parts[0] += ": " + f.Detail
	}
	if f.Expected != "" {
		parts = append(parts, "expected "+f.Expected)
	}
	if f.Found != "" {
		parts = append(parts, "found "+f.Found)
	}
	return strings.Join(parts, "; ")
}

// plural is one or many as n says.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
