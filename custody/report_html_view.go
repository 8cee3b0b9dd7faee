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
	Times      tableView[timeRowView] // the events' trusted times, when the report has them
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
	v := &htmlView{Expanded: cfg.expanded, Title: Escape(cfg.title), CSP: htmlCSP, CSS: template.CSS(htmlCSS)}
	for _, p := range cfg.preface {
		v.Preface = append(v.Preface, Escape(p))
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
	v.Times = newTable(timeRows(r), cfg)
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
	statusOK         = string(StatusOK)
	statusFailed     = string(StatusFailed)
	statusNotChecked = string(StatusNotChecked)
)

// statusOf is a check's status.
func statusOf(c Check) string { return string(c.Result()) }

type checkView struct {
	Rule, Status, Word               string
	Subject, Detail, Expected, Found string
}

func checkOf(c Check) checkView {
	return checkView{Rule: string(c.Rule), Status: statusOf(c), Word: statusWord(c.Result()), Subject: Escape(c.Subject), Detail: Escape(c.Detail),
		Expected: Escape(c.Expected), Found: Escape(c.Found)}
}

type verdictView struct {
	Valid                bool
	Word, Line, Headline string
	Summary              []string // what failed where, how many warnings (the line names what was not checked)
}

func verdictOf(r *Report, v *htmlView) verdictView {
	vv := verdictView{Valid: r.Valid, Word: "VALID", Line: Escape(r.Verdict)}
	switch {
	case len(r.Events) == 0:
		vv.Word, vv.Headline = "INVALID", "The bundle holds no event."
	case !r.Valid:
		vv.Word = "INVALID"
		vv.Headline = fmt.Sprintf("%d %s failed; each is listed under Failures.", len(r.Failures), plural(len(r.Failures), "check", "checks"))
	case len(r.NotChecked) == 0:
		vv.Headline = fmt.Sprintf("Every rule that applies to each of the %d %s, and every check of the bundle as a whole, was checked, and none failed.",
			len(r.Events), plural(len(r.Events), "event", "events"))
	default:
		vv.Headline = fmt.Sprintf("No check failed, but %d %s not made; each is listed under Not checked, with why.",
			len(r.NotChecked), plural(len(r.NotChecked), "check was", "checks were"))
	}
	if len(v.Failures) > 0 {
		vv.Summary = append(vv.Summary, "Failed: "+failedRules(v.Failures)+".")
	}
	if len(v.Warnings) > 0 {
		vv.Summary = append(vv.Summary, fmt.Sprintf("%d %s, listed under Warnings.", len(v.Warnings), plural(len(v.Warnings), "warning", "warnings")))
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
		out = append(out, failureView{Event: f.Event, Where: Escape(f.Where("bundle")), Rule: string(f.Rule), Detail: Escape(f.Detail),
			Expected: Escape(f.Expected), Found: Escape(f.Found), Meaning: f.Rule.Meaning()})
	}
	return out
}

// notCheckedView is the checks not made for one reason: which rules, where.
type notCheckedView struct {
	Rules, Why, Where string
}

// notCheckedViews groups Report.NotChecked by why, in the order the reasons first
// appear.
func notCheckedViews(r *Report) []notCheckedView {
	var out []notCheckedView
	type group struct {
		rules  []string
		events []int
		bundle bool
	}
	groups := map[string]*group{}
	var whys []string
	for _, f := range r.NotChecked {
		g, ok := groups[f.Detail]
		if !ok {
			g = &group{}
			groups[f.Detail] = g
			whys = append(whys, f.Detail)
		}
		if !slices.Contains(g.rules, string(f.Rule)) {
			g.rules = append(g.rules, string(f.Rule))
		}
		if f.Event == 0 {
			g.bundle = true
		} else if !slices.Contains(g.events, f.Event) {
			g.events = append(g.events, f.Event)
		}
	}
	for _, why := range whys {
		g := groups[why]
		var where []string
		if g.bundle {
			where = append(where, "the bundle")
		}
		if len(g.events) > 0 {
			where = append(where, eventList(g.events))
		}
		out = append(out, notCheckedView{Rules: andList(g.rules), Why: Escape(why), Where: strings.Join(where, "; ")})
	}
	return out
}

type warningView struct {
	Where, Kind, Subject, Detail string
}

// warningViews are the report's warnings.
//
// TODO(issue 11): the trusted-time warnings (unanchored time), when they land.
func warningViews(r *Report) []warningView {
	var out []warningView
	for _, w := range r.Warnings {
		out = append(out, warningView{Where: Escape(w.where()), Kind: Escape(string(w.Kind)), Subject: Escape(w.Subject), Detail: Escape(w.Detail)})
	}
	return out
}

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
		iv := itemView{ID: Escape(it.ID), Description: Escape(it.Description), State: Escape(it.State),
			Custodian: Escape(it.Custodian), Events: it.Events}
		for _, d := range it.Digest {
			iv.Digests = append(iv.Digests, digestView{Algorithm: string(d.Algorithm), Hex: d.Hex()})
		}
		if it.Sealed != nil {
			for _, d := range it.Sealed.Digest {
				iv.Sealed = append(iv.Sealed, digestView{Algorithm: string(d.Algorithm), Hex: d.Hex()})
			}
			iv.SealedSize = it.Sealed.Size
			for _, rc := range it.Sealed.Recipients {
				iv.Recipients = append(iv.Recipients, Escape(rc))
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
	return &legalView{Kind: Escape(string(l.Kind)), Basis: Escape(l.Basis), Reference: Escape(l.Reference),
		Requesting: Escape(l.Requesting), Requested: Escape(l.Requested)}
}

// handoverViews are the transfers (each with the receive that completed it) and,
// apart, the other events that state a legal authority.
func handoverViews(r *Report) (hand, other []handoverView) {
	received := receivesOf(r)
	for i, e := range r.Events {
		if e.Type != Transfer && e.Legal == nil {
			continue
		}
		h := handoverView{Index: e.Index, Type: Escape(string(e.Type)), Item: Escape(e.Item), From: Escape(who(e)), To: Escape(e.Counterparty),
			Time: htmlTime(e.Time), Legal: legalOf(e.Legal), Purpose: Escape(e.Purpose), Failed: eventFailed(e)}
		if e.Type != Transfer {
			other = append(other, h)
			continue
		}
		if j, ok := received[i]; ok {
			rc := r.Events[j]
			h.Received = fmt.Sprintf("event %d by %s, %s", rc.Index, Escape(who(rc)), htmlTime(rc.Time))
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
