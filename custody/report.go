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

// Check is one rule checked: passed, or failed with what was expected and found.
type Check struct {
	Rule     Rule   `json:"rule"`
	OK       bool   `json:"ok"`
	Subject  string `json:"subject,omitempty"` // for payload and evidence checks: which file
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
	Detail   string `json:"detail,omitempty"`
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

// Failure is a failed check with the event it belongs to (0 for the bundle as a whole).
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
	Valid    bool          `json:"valid"`
	Events   []EventReport `json:"events"`
	Checks   []Check       `json:"checks"` // bundle-wide: consistency, payload, plaintext
	Items    []ItemReport  `json:"items"`
	Failures []Failure     `json:"failures"`
}

func (er *EventReport) pass(r Rule) { er.Checks = append(er.Checks, Check{Rule: r, OK: true}) }

func (er *EventReport) fail(r Rule, expected, found, detail string) {
	er.Checks = append(er.Checks, Check{Rule: r, Expected: expected, Found: found, Detail: detail})
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

func (r *Report) finish() {
	r.Failures = []Failure{}
	for _, e := range r.Events {
		for _, c := range e.Checks {
			if !c.OK {
				r.Failures = append(r.Failures, Failure{Event: e.Index, Check: c})
			}
		}
	}
	for _, c := range r.Checks {
		if !c.OK {
			r.Failures = append(r.Failures, Failure{Event: 0, Check: c})
		}
	}
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	r.Valid = len(r.Failures) == 0 && len(r.Events) > 0
}

// Failed reports whether rule failed anywhere (for event 0, anywhere at all; else in
// that event).
func (r *Report) Failed(rule Rule, event int) bool {
	for _, f := range r.Failures {
		if f.Rule == rule && (event == 0 || f.Event == event) {
			return true
		}
	}
	return false
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person: the verdict, the timeline, the items, and
// every failure with the rule, what was expected and what was found.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	verdict := "VALID"
	if !r.Valid {
		verdict = fmt.Sprintf("INVALID (%d failed %s)", len(r.Failures), plural(len(r.Failures), "check", "checks"))
	}
	fmt.Fprintf(&b, "custody bundle: %s\n\ntimeline:\n", verdict)
	tw := tabwriter.NewWriter(&b, 0, 2, 2, ' ', 0)
	for _, e := range r.Events {
		passed := !slices.ContainsFunc(e.Checks, func(c Check) bool { return !c.OK })
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Index, mark(passed, "ok", "FAIL"), e.Time.UTC().Format(time.RFC3339), e.Type,
			shortItem(e.Item), who(e), timelineNote(e))
	}
	tw.Flush()
	b.WriteString("\nitems:\n")
	for _, it := range r.Items {
		fmt.Fprintf(&b, "  %s %s\n    sha256:%s  %s; custodian %s; %d %s\n", it.ID, quoteIf(it.Description), it.Digest.SHA256().Hex(), it.State, it.Custodian,
			it.Events, plural(it.Events, "event", "events"))
		for _, d := range extraDigests(it.Digest) {
			fmt.Fprintf(&b, "    %s\n", d)
		}
	}
	if len(r.Checks) > 0 {
		b.WriteString("\nbundle checks:\n")
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %s  %s %s\n", mark(c.OK, "ok  ", "FAIL"), c.Rule, c.text())
	}
	if len(r.Failures) > 0 {
		b.WriteString("\nfailures:\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "  %s: rule %s: %s\n", f.Where("bundle"), f.Rule, f.Detail)
			if f.Expected != "" {
				fmt.Fprintf(&b, "      expected: %s\n", f.Expected)
			}
			if f.Found != "" {
				fmt.Fprintf(&b, "      found:    %s\n", f.Found)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
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
func (c Check) text() string { return strings.TrimSpace(c.Subject + " " + c.Detail) }
