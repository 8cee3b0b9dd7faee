package custody

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The trusted-time part of a report: per event, the time it claims, its trusted
// interval, the interval's width and its sources; and, as warnings, what bounds are
// missing.

// WarnUnanchoredTime: events whose time lacks a trusted bound (no witness or TSA the
// policy trusts on the anchor or on the receipt's checkpoint), or whose trusted-time
// evidence was set aside (a token of a TSA the policy does not list): their time is,
// in part, only what the signer claims. A policy with RequireAnchoredTime makes the
// missing bound a failure of RuleTime.
const WarnUnanchoredTime WarningKind = "unanchored-time"

// timeWarnings are the warnings of the events' trusted times, one per reason, naming the
// events it concerns: "events 1-3, 5: time unanchored: ...".
func timeWarnings(events []EventReport) []Warning {
	var order []string
	byWhy := map[string][]int{}
	for _, e := range events {
		if e.Interval == nil || e.Interval.Warning == "" {
			continue
		}
		w := e.Interval.Warning
		if _, ok := byWhy[w]; !ok {
			order = append(order, w)
		}
		byWhy[w] = append(byWhy[w], e.Index)
	}
	out := make([]Warning, len(order))
	for i, w := range order {
		ns := byWhy[w]
		out[i] = Warning{Kind: WarnUnanchoredTime, Subject: eventList(ns), Detail: eventList(ns) + ": " + w}
		if len(ns) == 1 {
			out[i].Event, out[i].Detail = ns[0], w
		}
	}
	return out
}

// eventList is "event 4" or "events 1-3, 5".
func eventList(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		} else {
			parts = append(parts, strconv.Itoa(ns[i]))
		}
		i = j + 1
	}
	return plural(len(ns), "event ", "events ") + strings.Join(parts, ", ")
}

// boundText is a bound of an interval, or "unbounded".
func boundText(t time.Time) string {
	if t.IsZero() {
		return "unbounded"
	}
	return stamp(t)
}

// widthText is the interval's width, or "" when it has not both bounds.
func (iv *TimeInterval) widthText() string {
	if !iv.Anchored() {
		return ""
	}
	return iv.Latest.Sub(iv.Earliest).Round(time.Second).String()
}

// sourcesText names the interval's sources, by bound and checkpoint: "earliest from
// O@3: witness w1 at 2026-...Z, TSA t at 2026-...Z; latest from O@4: ...".
func (iv *TimeInterval) sourcesText() string {
	if len(iv.Sources) == 0 {
		return "none"
	}
	var groups []string
	for i := 0; i < len(iv.Sources); {
		s := iv.Sources[i]
		var names []string
		for ; i < len(iv.Sources) && iv.Sources[i].Bound == s.Bound && iv.Sources[i].Checkpoint == s.Checkpoint; i++ {
			o := iv.Sources[i]
			kind := o.Kind
			if kind == "tsa" {
				kind = "TSA"
			}
			names = append(names, fmt.Sprintf("%s %s at %s", kind, o.Name, stamp(o.Time)))
		}
		groups = append(groups, fmt.Sprintf("%s from %s: %s", s.Bound, s.Checkpoint, strings.Join(names, ", ")))
	}
	return strings.Join(groups, "; ")
}

// hasIntervals reports whether any event has a trusted interval: a report made by
// Verify; one built by hand may have none, and then no trusted-time section.
func (r *Report) hasIntervals() bool {
	return slices.ContainsFunc(r.Events, func(e EventReport) bool { return e.Interval != nil })
}

// anyBound reports whether any event's interval has a bound.
func (r *Report) anyBound() bool {
	return slices.ContainsFunc(r.Events, func(e EventReport) bool {
		return e.Interval != nil && (!e.Interval.Earliest.IsZero() || !e.Interval.Latest.IsZero())
	})
}

// writeTimeText writes the trusted-time section and the warnings of the text report.
func (r *Report) writeTimeText(b *strings.Builder) {
	if !r.hasIntervals() {
		return
	}
	b.WriteString("\ntrusted time (claimed; interval from the evidence the policy trusts):\n")
	if !r.anyBound() {
		b.WriteString("  none: no event's time is bounded by a witness or a time-stamp the policy trusts (see the warnings)\n")
		return
	}
	r.timeLines(b)
}

// timeLines writes each event's claimed time, interval and sources, for the text report.
func (r *Report) timeLines(b *strings.Builder) {
	for _, e := range r.Events {
		iv := e.Interval
		switch {
		case iv == nil:
			continue
		case iv.Earliest.IsZero() && iv.Latest.IsZero():
			fmt.Fprintf(b, "  %d  claimed %s  no trusted time\n", e.Index, stamp(e.Time))
			continue
		}
		width := ""
		if w := iv.widthText(); w != "" {
			width = " width " + w
		}
		fmt.Fprintf(b, "  %d  claimed %s  within [%s, %s]%s\n", e.Index, stamp(e.Time), boundText(iv.Earliest), boundText(iv.Latest), width)
		fmt.Fprintf(b, "     sources: %s\n", Escape(iv.sourcesText()))
	}
}

// mdTime writes the trusted-time section and the warnings of the Markdown report.
func (r *Report) mdTime(b *strings.Builder) {
	if !r.hasIntervals() {
		return
	}
	b.WriteString("\n## Trusted time\n\nEach event's claimed time, and the interval within which the evidence in the bundle that the policy trusts (witness cosignatures, RFC 3161 time-stamps) places it: signed no earlier than the first bound, logged no later than the second.\n\n")
	if !r.anyBound() {
		b.WriteString("None: no event's time is bounded by a witness cosignature or a time-stamp the policy trusts; each is only what its signer claims.\n")
	} else {
		b.WriteString("| # | claimed (UTC) | earliest (UTC) | latest (UTC) | width | sources |\n| ---: | --- | --- | --- | --- | --- |\n")
		for _, e := range r.Events {
			if iv := e.Interval; iv != nil {
				fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s |\n", e.Index, stamp(e.Time), boundText(iv.Earliest), boundText(iv.Latest),
					iv.widthText(), mdCell(iv.sourcesText()))
			}
		}
	}
}
