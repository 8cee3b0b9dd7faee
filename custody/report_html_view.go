package custody

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
)

// The view models of the HTML report: plain data, already made visible (visible),
// that html/template escapes. Each section of the page is built by one function
// from the Report's fields, so a new field of the report is wired in at one place.

// collapseAfter is the number of rows above which a long table starts collapsed.
const collapseAfter = 30

type htmlView struct {
	Expanded   bool
	Title, CSP string
	CSS        template.CSS
	Preface    []string
	Verdict    verdictView
	Failures   []failureView
	NotChecked []notCheckedView
	Warnings   []warningView
	Timeline   timelineView
	Items      []itemView
	Handovers  tableView[handoverView]
	Authority  tableView[handoverView] // other events under a stated legal authority
	Rules      tableView[ruleRowView]
	Bundle     []checkView
	Proofs     proofsView
	Meanings   []meaningView
}

// tableView is a table that starts collapsed when it is long.
type tableView[T any] struct {
	Rows []T
	Open bool
}

func newTable[T any](rows []T, cfg *htmlConfig) tableView[T] {
	return tableView[T]{Rows: rows, Open: cfg.expanded || len(rows) <= collapseAfter}
}

func (r *Report) htmlView(cfg *htmlConfig) *htmlView {
	v := &htmlView{Expanded: cfg.expanded, Title: visible(cfg.title), CSP: htmlCSP, CSS: template.CSS(htmlCSS)}
	for _, p := range cfg.preface {
		v.Preface = append(v.Preface, visible(p))
	}
	v.Failures = failureViews(r)
	v.NotChecked = notCheckedViews(r)
	v.Warnings = warningViews(r)
	v.Verdict = verdictOf(r, v)
	v.Timeline = timelineOf(r, cfg)
	v.Items = itemViews(r)
	hand, other := handoverViews(r)
	v.Handovers, v.Authority = newTable(hand, cfg), newTable(other, cfg)
	v.Rules = newTable(ruleRows(r), cfg)
	for _, c := range r.Checks {
		v.Bundle = append(v.Bundle, checkOf(c))
	}
	v.Proofs = proofsOf(r, cfg)
	for _, m := range rules {
		v.Meanings = append(v.Meanings, meaningView{Rule: string(m.rule), Meaning: m.rule.Meaning()})
	}
	return v
}

// Check statuses as the page names them (CSS classes and data-status values).
const (
	statusOK         = "ok"
	statusFailed     = "failed"
	statusNotChecked = "not-checked"
)

// statusOf is a check's status.
//
// TODO(issue 13): Check.Status (ok, failed, not checked); until it lands a check
// either passed or failed.
func statusOf(c Check) string {
	if c.OK {
		return statusOK
	}
	return statusFailed
}

// statusWords are the statuses as the page prints them.
var statusWords = map[string]string{statusOK: "ok", statusFailed: "FAILED", statusNotChecked: "not checked"}

type checkView struct {
	Rule, Status, Word               string
	Subject, Detail, Expected, Found string
}

func checkOf(c Check) checkView {
	st := statusOf(c)
	return checkView{Rule: string(c.Rule), Status: st, Word: statusWords[st], Subject: visible(c.Subject), Detail: visible(c.Detail),
		Expected: visible(c.Expected), Found: visible(c.Found)}
}

type verdictView struct {
	Valid          bool
	Word, Headline string
	Events         int
	Summary        []string // one line per fact: what failed, what was not checked, warnings
}

func verdictOf(r *Report, v *htmlView) verdictView {
	vv := verdictView{Valid: r.Valid, Word: "VALID", Events: len(r.Events)}
	switch {
	case r.Valid:
		vv.Headline = fmt.Sprintf("Every check made on the %d %s passed.", len(r.Events), plural(len(r.Events), "event", "events"))
	case len(r.Events) == 0:
		vv.Word, vv.Headline = "INVALID", "The bundle holds no event."
	default:
		vv.Word = "INVALID"
		vv.Headline = fmt.Sprintf("%d %s failed.", len(r.Failures), plural(len(r.Failures), "check", "checks"))
	}
	if len(v.Failures) > 0 {
		vv.Summary = append(vv.Summary, "Failed: "+failedRules(v.Failures)+".")
	}
	for _, nc := range v.NotChecked {
		vv.Summary = append(vv.Summary, "Not checked: "+nc.Rules+" ("+nc.Why+").")
	}
	if len(v.Warnings) > 0 {
		vv.Summary = append(vv.Summary, fmt.Sprintf("%d %s: see below.", len(v.Warnings), plural(len(v.Warnings), "warning", "warnings")))
	}
	return vv
}

// failedRules is "signature (event 2), payload (bundle)", at most five, then how many more.
func failedRules(fs []failureView) string {
	var parts []string
	for i, f := range fs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-i))
			break
		}
		parts = append(parts, f.Rule+" ("+f.Where+")")
	}
	return strings.Join(parts, ", ")
}

type failureView struct {
	Event                            int
	Where, Rule                      string
	Detail, Expected, Found, Meaning string
}

func failureViews(r *Report) []failureView {
	var out []failureView
	for _, f := range r.Failures {
		out = append(out, failureView{Event: f.Event, Where: visible(f.Where("bundle")), Rule: string(f.Rule), Detail: visible(f.Detail),
			Expected: visible(f.Expected), Found: visible(f.Found), Meaning: f.Rule.Meaning()})
	}
	return out
}

type notCheckedView struct {
	Rules, Why string
}

// notCheckedViews groups the rules not checked by why.
//
// TODO(issue 13): Report.NotChecked lists every check not made and why. Until it
// lands, only the bundle checks of payloads and evidence are known not to have been
// made: when the report has none (the rules of the chain report only what breaks
// them, so their absence says nothing).
func notCheckedViews(r *Report) []notCheckedView {
	if len(r.Events) == 0 {
		return nil
	}
	var out []notCheckedView
	for _, nc := range []notCheckedView{{string(RulePayload), "no sealed payload was given"}, {string(RulePlaintext), "no identity to decrypt a payload, nor an evidence file, was given"}} {
		if !slices.ContainsFunc(r.Checks, func(c Check) bool { return string(c.Rule) == nc.Rules }) {
			out = append(out, nc)
		}
	}
	return out
}

type warningView struct {
	Where, Kind, Subject, Detail string
}

// warningViews are the report's warnings.
//
// TODO(issue 13): Report.Warnings (unchecked claims, look-alike names, several cases);
// TODO(issue 11): the trusted-time warnings (unanchored time). Neither is on main yet.
func warningViews(*Report) []warningView { return nil }

type itemView struct {
	ID, Description, State, Custodian string
	Events                            int
	Digests                           []digestView
	Sealed                            []digestView
	SealedSize                        int64
	Recipients                        []string
}

type digestView struct{ Algorithm, Hex string }

func itemViews(r *Report) []itemView {
	var out []itemView
	for _, it := range r.Items {
		iv := itemView{ID: visible(it.ID), Description: visible(it.Description), State: visible(it.State),
			Custodian: visible(it.Custodian), Events: it.Events}
		for _, d := range it.Digest {
			iv.Digests = append(iv.Digests, digestView{Algorithm: string(d.Algorithm), Hex: d.Hex()})
		}
		if it.Sealed != nil {
			for _, d := range it.Sealed.Digest {
				iv.Sealed = append(iv.Sealed, digestView{Algorithm: string(d.Algorithm), Hex: d.Hex()})
			}
			iv.SealedSize = it.Sealed.Size
			for _, rc := range it.Sealed.Recipients {
				iv.Recipients = append(iv.Recipients, visible(rc))
			}
		}
		out = append(out, iv)
	}
	return out
}

type handoverView struct {
	Index                int
	Type, Item, From, To string
	Received             string // "event 5 by …", or "" while in transit
	Time                 string
	Legal                *legalView
	Purpose              string
	Failed               bool
}

type legalView struct{ Kind, Basis, Reference, Requesting, Requested string }

func legalOf(l *Legal) *legalView {
	if l == nil {
		return nil
	}
	return &legalView{Kind: visible(string(l.Kind)), Basis: visible(l.Basis), Reference: visible(l.Reference),
		Requesting: visible(l.Requesting), Requested: visible(l.Requested)}
}

// handoverViews are the transfers (each with the receive that completed it) and,
// apart, the other events that state a legal authority.
func handoverViews(r *Report) (hand, other []handoverView) {
	received := receivesOf(r)
	for i, e := range r.Events {
		if e.Type != Transfer && e.Legal == nil {
			continue
		}
		h := handoverView{Index: e.Index, Type: string(e.Type), Item: visible(e.Item), From: visible(who(e)), To: visible(e.Counterparty),
			Time: htmlTime(e.Time), Legal: legalOf(e.Legal), Purpose: visible(e.Purpose), Failed: eventFailed(e)}
		if e.Type != Transfer {
			other = append(other, h)
			continue
		}
		if j, ok := received[i]; ok {
			rc := r.Events[j]
			h.Received = fmt.Sprintf("event %d by %s, %s", rc.Index, visible(who(rc)), htmlTime(rc.Time))
		}
		hand = append(hand, h)
	}
	return hand, other
}

// receivesOf maps the position of each transfer to the position of the receive of the
// same item that follows it (before any other transfer of that item).
func receivesOf(r *Report) map[int]int {
	open := map[string]int{} // item → position of its open transfer
	out := map[int]int{}
	for i, e := range r.Events {
		switch e.Type {
		case Transfer:
			open[e.Item] = i
		case Receive:
			if t, ok := open[e.Item]; ok {
				out[t] = i
				delete(open, e.Item)
			}
		}
	}
	return out
}

func eventFailed(e EventReport) bool {
	return slices.ContainsFunc(e.Checks, func(c Check) bool { return statusOf(c) == statusFailed })
}

// htmlTime is a time as the report prints it: RFC 3339 in UTC, or "" for none.
func htmlTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type meaningView struct{ Rule, Meaning string }
