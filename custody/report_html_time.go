package custody

import (
	"fmt"
	"strings"
	"time"
)

// Trusted time in the HTML report: each event's claimed time against the interval
// the evidence in the bundle gives it (docs/TRUST.md), drawn under the timeline's
// columns and listed in a table.

// The states of an event's trusted time (CSS classes and data-time values).
const (
	timeWithin  = "within"  // both bounds, and the claimed time between them
	timeOutside = "outside" // the claimed time lies outside a bound
	timePartial = "partial" // one bound only
	timeNone    = "none"    // no bound: the signer's word
)

// timeStates orders the states from best to worst; a run of events shows its worst.
var timeStates = []string{timeWithin, timePartial, timeNone, timeOutside}

// timeGlyphs are the marks drawn under a column, timeWords the states in words.
var (
	timeGlyphs = map[string]string{timeWithin: "✓", timeOutside: "✗", timePartial: "½", timeNone: "–"}
	timeWords  = map[string]string{timeWithin: "within", timeOutside: "OUTSIDE", timePartial: "one bound only", timeNone: "no trusted time"}
)

// intervalView is an event's trusted time as the page shows it.
type intervalView struct {
	Index                            int
	State, Glyph, Word               string
	Claimed, Earliest, Latest, Width string
	Sources                          []string
	Warning                          string
}

// newIntervalView is the trusted time of event index, which claims claimed, was signed
// no earlier than earliest and logged no later than latest (a zero time: no such
// bound), by the evidence of sources.
func newIntervalView(index int, claimed, earliest, latest time.Time, sources []string, warning string) *intervalView {
	iv := &intervalView{Index: index, Claimed: htmlTime(claimed), Earliest: htmlTime(earliest), Latest: htmlTime(latest), Warning: Escape(warning)}
	for _, s := range sources {
		iv.Sources = append(iv.Sources, Escape(s))
	}
	switch {
	case earliest.IsZero() && latest.IsZero():
		iv.State = timeNone
	case !earliest.IsZero() && claimed.Before(earliest), !latest.IsZero() && claimed.After(latest):
		iv.State = timeOutside
	case earliest.IsZero() || latest.IsZero():
		iv.State = timePartial
	default:
		iv.State = timeWithin
		iv.Width = latest.Sub(earliest).Round(time.Second).String()
	}
	iv.Glyph, iv.Word = timeGlyphs[iv.State], timeWords[iv.State]
	return iv
}

// title is the tooltip of the interval's glyph.
func (iv *intervalView) title() string {
	bound := func(s string) string {
		if s == "" {
			return "unbounded"
		}
		return s
	}
	t := fmt.Sprintf("#%d claimed %s; trusted time [%s, %s]", iv.Index, bound(iv.Claimed), bound(iv.Earliest), bound(iv.Latest))
	if iv.Width != "" {
		t += " (" + iv.Width + ")"
	}
	if len(iv.Sources) > 0 {
		t += "; sources: " + strings.Join(iv.Sources, "; ")
	}
	if iv.Warning != "" {
		t += "; " + iv.Warning
	}
	return t
}

// intervalOf is the trusted time of event e (EventReport.Interval), nil when the
// report has none.
func intervalOf(e EventReport) *intervalView {
	iv := e.Interval
	if iv == nil {
		return nil
	}
	var sources []string
	if len(iv.Sources) > 0 {
		sources = strings.Split(iv.sourcesText(), "; ") // one line per bound and checkpoint
	}
	return newIntervalView(e.Index, e.Time, iv.Earliest, iv.Latest, sources, iv.Warning)
}

// timeRowView is a row of the trusted-time table: one event, or a run of consecutive
// events that have no bound for the same reason.
type timeRowView struct {
	*intervalView
	Last, Count int
	LastClaimed string
}

// timeRows are the rows of the trusted-time table of the report's events.
func timeRows(r *Report) []timeRowView {
	var out []timeRowView
	for _, e := range r.Events {
		iv := intervalOf(e)
		if iv == nil {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if iv.State == timeNone && last.State == timeNone && iv.Warning == last.Warning && iv.Index == last.Last+1 {
				last.Last, last.Count, last.LastClaimed = iv.Index, last.Count+1, iv.Claimed
				continue
			}
		}
		out = append(out, timeRowView{intervalView: iv, Last: iv.Index, Count: 1, LastClaimed: iv.Claimed})
	}
	return out
}

// timeGlyph is the glyph under a column of events first..last: the worst state of
// their trusted times, or nil when none has one.
type timeGlyph struct {
	X, Y         int
	State, Glyph string
	Title        string
}

func columnTime(ivs []*intervalView, x, y int) *timeGlyph {
	worst, n := -1, 0
	var titles []string
	for _, iv := range ivs {
		if iv == nil {
			continue
		}
		n++
		for i, s := range timeStates {
			if s == iv.State && i > worst {
				worst = i
			}
		}
		if len(titles) < 3 {
			titles = append(titles, iv.title())
		}
	}
	if n == 0 {
		return nil
	}
	if n > len(titles) {
		titles = append(titles, fmt.Sprintf("… %d more", n-len(titles)))
	}
	st := timeStates[worst]
	return &timeGlyph{X: x, Y: y, State: st, Glyph: timeGlyphs[st], Title: strings.Join(titles, "\n")}
}
