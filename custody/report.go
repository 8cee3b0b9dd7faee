package custody

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evidctl/evidctl/crypto/digest"
)

// Status is what became of a check: it passed, it failed, or it was not made (and
// the check's Detail says why).
type Status string

// The statuses of a check.
const (
	StatusOK         Status = "ok"
	StatusFailed     Status = "failed"
	StatusNotChecked Status = "not-checked"
)

// Check is one rule applied to an event or to the bundle: passed, failed with what was
// expected and found, or not checked and why.
type Check struct {
	Rule   Rule   `json:"rule"`
	Status Status `json:"status"`
	// OK is Status == StatusOK. It stays in the JSON for readers of the first report
	// format, which had no status; read Status.
	OK       bool   `json:"ok"`
	Subject  string `json:"subject,omitempty"` // for payload and evidence checks: which file (or item)
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
	Detail   string `json:"detail,omitempty"` // what failed; for a check not made, why
}

// Result is the check's status. A check made before statuses existed (Status empty)
// is StatusOK when OK, else StatusFailed.
func (c Check) Result() Status {
	switch {
	case c.Status != "":
		return c.Status
	case c.OK:
		return StatusOK
	}
	return StatusFailed
}

// Failed reports whether the check failed.
func (c Check) Failed() bool { return c.Result() == StatusFailed }

// settled is the check with Status and OK agreeing.
func (c Check) settled() Check {
	c.Status = c.Result()
	c.OK = c.Status == StatusOK
	return c
}

func passed(r Rule) Check { return Check{Rule: r, Status: StatusOK, OK: true} }

// notChecked is a check not made, and why.
func notChecked(r Rule, why string) Check {
	return Check{Rule: r, Status: StatusNotChecked, Detail: why}
}

// EventReport is what verification found for one event of the bundle.
type EventReport struct {
	Index        int       `json:"index"` // 1-based position in the bundle
	Type         EventType `json:"type,omitempty"`
	Item         string    `json:"item,omitempty"`
	Description  string    `json:"description,omitempty"`
	Time         time.Time `json:"time,omitzero"`
	Actor        string    `json:"actor,omitempty"`
	Organization string    `json:"organization,omitempty"`
	Jurisdiction string    `json:"jurisdiction,omitempty"`
	Counterparty string    `json:"counterparty,omitempty"`
	Legal        *Legal    `json:"legal,omitempty"`
	Purpose      string    `json:"purpose,omitempty"`
	Commitment   string    `json:"commitment"`
	Log          string    `json:"log,omitempty"`
	LogIndex     uint64    `json:"logIndex,omitempty"`
	Cosigners    []string  `json:"cosigners,omitempty"` // key names of the trusted witnesses that cosigned the receipt's checkpoint, sorted
	Checks       []Check   `json:"checks"`
	// Interval is the event's trusted time, from the evidence in the bundle (Time is
	// the time it claims).
	Interval *TimeInterval `json:"interval,omitempty"`
}

// ItemReport is the state of one item at the end of the chain.
type ItemReport struct {
	ID          string     `json:"id"`
	Description string     `json:"description,omitempty"`
	Digest      digest.Set `json:"digest"`
	Sealed      *Sealed    `json:"sealed,omitempty"`
	Custodian   string     `json:"custodian"`
	State       string     `json:"state"` // held, in transit to …, returned, disposed
	Events      int        `json:"events"`
}

// Failure is a check with the event it belongs to (0 for the bundle as a whole): a
// failed one in Report.Failures, one not made in Report.NotChecked.
type Failure struct {
	Event int `json:"event"`
	Check
}

// Where names the failure's place: "event N", or whole (for the bundle as a whole),
// followed by the file checked when there is one.
func (f Failure) Where(whole string) string {
	where := whole
	if f.Event > 0 {
		where = fmt.Sprintf("event %d", f.Event)
	}
	if f.Subject != "" {
		where += " (" + f.Subject + ")"
	}
	return where
}

// Report is the verdict on a bundle and the evidence for it.
type Report struct {
	Valid bool `json:"valid"`
	// Verdict is the verdict as one line: "VALID", "VALID (payload and plaintext
	// not checked: no payload given)", "INVALID (2 failed checks)".
	Verdict  string        `json:"verdict"`
	Events   []EventReport `json:"events"`
	Checks   []Check       `json:"checks"` // bundle-wide: consistency, payload, plaintext
	Items    []ItemReport  `json:"items"`
	Failures []Failure     `json:"failures"`
	// NotChecked lists every check that was not made, and why.
	NotChecked []Failure `json:"notChecked"`
	// Warnings are what a reader should know that breaks no rule: claims the policy
	// does not bind, look-alike names, a bundle spanning cases.
	Warnings []Warning `json:"warnings"`
}

func (er *EventReport) pass(r Rule) { er.Checks = append(er.Checks, passed(r)) }

func (er *EventReport) fail(r Rule, expected, found, detail string) {
	er.Checks = append(er.Checks, Check{Rule: r, Status: StatusFailed, Expected: expected, Found: found, Detail: detail})
}

func (er *EventReport) describe(ev *Event) {
	er.Type, er.Item, er.Description, er.Time = ev.Type, ev.Item.ID, ev.Item.Description, ev.Time
	er.Actor, er.Organization, er.Jurisdiction = ev.Actor.Name, ev.Actor.Organization, ev.Actor.Jurisdiction
	er.Legal, er.Purpose = ev.Legal, ev.Purpose
	if ev.Counterparty != nil {
		er.Counterparty = ev.Counterparty.String()
	}
}

func (v *verifier) items() []ItemReport {
	var out []ItemReport
	for _, id := range v.chain.order {
		st := v.chain.items[id]
		state := "held"
		switch {
		case st.pending != nil:
			state = "in transit to " + st.pending.to.String()
		case st.closedBy == Return:
			state = "returned"
		case st.closedBy == Dispose:
			state = "disposed"
		}
		out = append(out, ItemReport{ID: id, Description: st.item.Description, Digest: st.digest, Sealed: st.sealed,
			Custodian: st.custodian.String(), State: state, Events: st.events})
	}
	return out
}

// finish settles every check's status and fills in Failures, NotChecked, Valid and
// Verdict.
func (r *Report) finish() {
	r.Failures, r.NotChecked = []Failure{}, []Failure{}
	add := func(event int, cs []Check) {
		for i, c := range cs {
			c = c.settled()
			cs[i] = c
			switch c.Status {
			case StatusFailed:
				r.Failures = append(r.Failures, Failure{Event: event, Check: c})
			case StatusNotChecked:
				r.NotChecked = append(r.NotChecked, Failure{Event: event, Check: c})
			}
		}
	}
	for _, e := range r.Events {
		add(e.Index, e.Checks)
	}
	add(0, r.Checks)
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	if r.Warnings == nil {
		r.Warnings = []Warning{}
	}
	r.Valid = len(r.Failures) == 0 && len(r.Events) > 0
	r.Verdict = r.verdict()
}

// verdict is the verdict line: VALID or INVALID, then what failed and what was not
// checked, grouped by why: "VALID (payload and plaintext not checked: no payload
// given)".
func (r *Report) verdict() string {
	var notes []string
	if !r.Valid && len(r.Failures) > 0 {
		notes = append(notes, fmt.Sprintf("%d failed %s", len(r.Failures), plural(len(r.Failures), "check", "checks")))
	}
	var whys []string
	rulesBy := map[string][]string{}
	for _, f := range r.NotChecked {
		if f.Event > 0 {
			continue // an event's checks not made follow from its failures
		}
		if _, ok := rulesBy[f.Detail]; !ok {
			whys = append(whys, f.Detail)
		}
		if !slices.Contains(rulesBy[f.Detail], string(f.Rule)) {
			rulesBy[f.Detail] = append(rulesBy[f.Detail], string(f.Rule))
		}
	}
	for _, why := range whys {
		notes = append(notes, andList(rulesBy[why])+" not checked: "+why)
	}
	v := "VALID"
	if !r.Valid {
		v = "INVALID"
	}
	if len(notes) == 0 {
		return v
	}
	return v + " (" + strings.Join(notes, "; ") + ")"
}

// andList is "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// Failed reports whether rule failed anywhere (for event 0, anywhere at all; else in
// that event).
func (r *Report) Failed(rule Rule, event int) bool {
	return slices.ContainsFunc(r.Failures, func(f Failure) bool { return f.Rule == rule && (event == 0 || f.Event == event) })
}

// Unchecked reports whether rule was not checked anywhere (for event 0, anywhere at
// all; else in that event).
func (r *Report) Unchecked(rule Rule, event int) bool {
	return slices.ContainsFunc(r.NotChecked, func(f Failure) bool { return f.Rule == rule && (event == 0 || f.Event == event) })
}

// WriteJSON writes the report as indented JSON (docs/schema/report.schema.json).
// Characters that could rewrite a terminal are \u escapes (EscapeJSON).
func (r *Report) WriteJSON(w io.Writer) error {
	js, err := json.MarshalIndent(r.settled(), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(EscapeJSON(js), '\n'))
	return err
}

// settled is a copy of the report with every check's status settled and the lists
// non-nil, as written: a report built by hand reads like one Verify made.
func (r *Report) settled() *Report {
	c := *r
	c.Events = slices.Clone(r.Events)
	for i := range c.Events {
		c.Events[i].Checks = settleAll(c.Events[i].Checks)
	}
	c.Checks = settleAll(r.Checks)
	if c.Checks == nil {
		c.Checks = []Check{}
	}
	c.Failures, c.NotChecked = settleFailures(r.Failures), settleFailures(r.NotChecked)
	if c.Warnings == nil {
		c.Warnings = []Warning{}
	}
	if c.Verdict == "" {
		c.Verdict = c.verdict()
	}
	return &c
}

func settleFailures(fs []Failure) []Failure {
	out := make([]Failure, len(fs))
	for i, f := range fs {
		out[i] = Failure{Event: f.Event, Check: f.settled()}
	}
	return out
}

func settleAll(cs []Check) []Check {
	out := slices.Clone(cs)
	for i := range out {
		out[i] = out[i].settled()
	}
	return out
}

// WriteText writes the report for a person: the verdict, the timeline, the items,
// the bundle checks, every failure with the rule, what was expected and what was
// found, what was not checked and why, and the warnings. Every text from the bundle
// is escaped (see [Escape]): no control or bidi character reaches the terminal.
func (r *Report) WriteText(w io.Writer) error {
	r = r.settled()
	var b strings.Builder
	fmt.Fprintf(&b, "custody bundle: %s\n\ntimeline:\n", Escape(r.Verdict))
	tw := tabwriter.NewWriter(&b, 0, 2, 2, ' ', 0)
	for _, e := range r.Events {
		failed := slices.ContainsFunc(e.Checks, Check.Failed)
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Index, mark(!failed, "ok", "FAIL"), e.Time.UTC().Format(time.RFC3339), e.Type,
			Escape(shortItem(e.Item)), Escape(who(e)), Escape(timelineNote(e)))
	}
	tw.Flush()
	r.writeTimeText(&b)
	b.WriteString("\nitems:\n")
	for _, it := range r.Items {
		fmt.Fprintf(&b, "  %s %s\n    sha256:%s  %s; custodian %s; %d %s\n", Escape(it.ID), quoteIf(it.Description), it.Digest.SHA256().Hex(),
			Escape(it.State), Escape(it.Custodian), it.Events, plural(it.Events, "event", "events"))
		for _, d := range extraDigests(it.Digest) {
			fmt.Fprintf(&b, "    %s\n", d)
		}
	}
	writeSection(&b, "\nbundle checks:\n", r.Checks, func(b *strings.Builder, c Check) {
		fmt.Fprintf(b, "  %-11s %s %s\n", statusWord(c.Status), c.Rule, Escape(c.text()))
	})
	writeSection(&b, "\nfailures:\n", r.Failures, textFailure)
	writeSection(&b, "\nnot checked:\n", r.NotChecked, textFinding)
	writeSection(&b, "\nwarnings:\n", r.Warnings, textWarning)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSection writes header, then each item with line; nothing at all when there
// are no items.
func writeSection[T any](b *strings.Builder, header string, items []T, line func(*strings.Builder, T)) {
	if len(items) == 0 {
		return
	}
	b.WriteString(header)
	for _, it := range items {
		line(b, it)
	}
}

// textFinding is a failure's or an unchecked rule's line in the text report.
func textFinding(b *strings.Builder, f Failure) {
	fmt.Fprintf(b, "  %s: rule %s: %s\n", Escape(f.Where("bundle")), f.Rule, Escape(f.Detail))
}

// textFailure is a failure in the text report: its line, then what was expected and
// what was found.
func textFailure(b *strings.Builder, f Failure) {
	textFinding(b, f)
	if f.Expected != "" {
		fmt.Fprintf(b, "      expected: %s\n", Escape(f.Expected))
	}
	if f.Found != "" {
		fmt.Fprintf(b, "      found:    %s\n", Escape(f.Found))
	}
}

func textWarning(b *strings.Builder, w Warning) {
	fmt.Fprintf(b, "  %s: %s: %s\n", Escape(w.where()), w.Kind, Escape(w.Detail))
}

// statusWord is how a report prints a status.
func statusWord(s Status) string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusNotChecked:
		return "not checked"
	}
	return "FAIL"
}

// extraDigests are the digests of s other than SHA-256 (those requested with
// Sealing.Digests or Preserve's algorithms), which reports show below it.
func extraDigests(s digest.Set) []digest.Digest {
	var out []digest.Digest
	for _, d := range s {
		if d.Algorithm != digest.SHA256 {
			out = append(out, d)
		}
	}
	return out
}

// who is the event's actor as the report names it.
func who(e EventReport) string {
	return Party{Name: e.Actor, Organization: e.Organization, Jurisdiction: e.Jurisdiction}.String()
}

func timelineNote(e EventReport) string {
	var parts []string
	if e.Counterparty != "" {
		dir := "to "
		if e.Type == Receive {
			dir = "from "
		}
		parts = append(parts, dir+e.Counterparty)
	}
	if e.Legal != nil {
		parts = append(parts, e.Legal.String())
	}
	if e.Purpose != "" {
		parts = append(parts, "purpose: "+e.Purpose)
	}
	if e.Log != "" {
		parts = append(parts, fmt.Sprintf("log %s #%d", e.Log, e.LogIndex))
	}
	if len(e.Cosigners) > 0 {
		parts = append(parts, "cosigned by "+strings.Join(e.Cosigners, ", "))
	}
	return strings.Join(parts, "; ")
}

func shortItem(id string) string {
	if strings.HasPrefix(id, "urn:uuid:") && len(id) > 17 {
		return id[9:17]
	}
	return id
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("(%q)", s)
}

// mark is pass when ok, else fail.
func mark(ok bool, pass, fail string) string {
	if ok {
		return pass
	}
	return fail
}

// text is what a bundle check says: the file checked and the detail.
func (c Check) text() string {
	if c.Subject != "" && c.Detail != "" {
		return c.Subject + ": " + c.Detail
	}
	return c.Subject + c.Detail
}
