package custody

import (
	"fmt"
	"math"
	"strings"
)

// The marks and arrows of the custody timeline: each event type has a shape (the
// page's legend names them), re-seals, derivations and the end of custody carry a
// word above their mark, and a run of accesses shows how many it holds.

// markShape is how an event type is drawn: a circle of radius r, or a polygon of
// sides corners and radius r (rotated by turn of a full circle).
type markShape struct {
	circle bool
	r      float64
	sides  int
	turn   float64
	hollow bool
	label  string
}

var markShapes = map[EventType]markShape{
	Acquire:  {r: 9, sides: 4, turn: 0.125},
	Disclose: {r: 9, sides: 4, turn: 0.125},
	Preserve: {r: 9, sides: 4, turn: 0.125, hollow: true},
	Transfer: {circle: true, r: 8, hollow: true},
	Receive:  {circle: true, r: 8},
	Access:   {circle: true, r: 5},
	Note:     {circle: true, r: 5, hollow: true},
	Derive:   {r: 10, sides: 4, label: "derive"},
	Reseal:   {r: 9, sides: 6, label: "re-seal"},
	Return:   {r: 9, sides: 3, turn: 0.25, label: "return"},
	Dispose:  {r: 9, sides: 3, turn: 0.25, label: "dispose"},
}

func (l *tlLayout) mark(col tlColumn, x, y int) markView {
	first, last := l.r.Events[col.first], l.r.Events[col.last]
	m := markView{X: x, Y: y, Kind: "unknown", First: first.Index, Last: last.Index, Count: col.last - col.first + 1,
		Class: l.lanes[col.lane].Class, Failed: eventFailed(first), LabelY: y - 13, FailX: x + 9, FailY: y - 7}
	if m.Count > 1 {
		m.Shape, m.Kind, m.Label = "run", "run", fmt.Sprintf("×%d", m.Count)
		m.RunX, m.RunY, m.RunTextY = x-18, y-8, y+4
		m.Title = l.runTitle(col)
		return m
	}
	m.Title = eventTitle(first)
	sh, ok := markShapes[first.Type]
	if ok {
		m.Kind = string(first.Type) // a CSS class: only a known type
	} else {
		sh = markShape{circle: true, r: 6, hollow: true} // an unreadable statement
	}
	m.Label = sh.label
	if sh.hollow {
		m.Class += " hollow"
	}
	if sh.circle {
		m.Shape, m.Points = "circle", fmt.Sprint(sh.r)
		return m
	}
	m.Shape, m.Points = "poly", polygon(float64(x), float64(y), sh.r, sh.sides, sh.turn)
	return m
}

// polygon is the points attribute of a regular polygon around (cx, cy).
func polygon(cx, cy, r float64, sides int, turn float64) string {
	pts := make([]string, sides)
	for i := range sides {
		a := 2*math.Pi*(float64(i)/float64(sides)+turn) - math.Pi/2
		pts[i] = fmt.Sprintf("%.1f,%.1f", cx+r*math.Cos(a), cy+r*math.Sin(a))
	}
	return strings.Join(pts, " ")
}

// eventTitle is the tooltip of an event's mark: everything the timeline cannot print.
func eventTitle(e EventReport) string {
	parts := []string{fmt.Sprintf("#%d %s", e.Index, e.Type)}
	if t := htmlTime(e.Time); t != "" {
		parts = append(parts, t)
	}
	by := who(e)
	if e.Counterparty != "" {
		by += " → " + e.Counterparty
		if e.Type == Receive {
			by = who(e) + " from " + e.Counterparty
		}
	}
	parts = append(parts, by, "item "+shortItem(e.Item))
	if e.Legal != nil {
		parts = append(parts, e.Legal.String())
	}
	if e.Purpose != "" {
		parts = append(parts, "purpose: "+e.Purpose)
	}
	var failed []string
	for _, c := range e.Checks {
		if statusOf(c) == statusFailed {
			failed = append(failed, string(c.Rule))
		}
	}
	if len(failed) > 0 {
		parts = append(parts, "FAILED: "+strings.Join(failed, ", "))
	}
	return Escape(strings.Join(parts, " · "))
}

// runTitle is the tooltip of a run of accesses or notes: who, how many, and the first
// purposes.
func (l *tlLayout) runTitle(col tlColumn) string {
	first, last := l.r.Events[col.first], l.r.Events[col.last]
	n := col.last - col.first + 1
	var purposes []string
	for i := col.first; i <= col.last && len(purposes) < 3; i++ {
		if p := l.r.Events[i].Purpose; p != "" {
			purposes = append(purposes, p)
		}
	}
	s := fmt.Sprintf("#%d–%d: %d %s by %s on item %s, %s to %s", first.Index, last.Index, n, eventNoun(first.Type, n),
		who(first), shortItem(first.Item), htmlTime(first.Time), htmlTime(last.Time))
	if len(purposes) > 0 {
		s += "; purposes: " + strings.Join(purposes, "; ")
		if n > len(purposes) {
			s += " …"
		}
	}
	return Escape(s)
}

// eventNoun is "access", "3 accesses", "notes": the event type as a noun for n events.
func eventNoun(t EventType, n int) string {
	if n == 1 {
		return string(t)
	}
	if t == Access {
		return "accesses"
	}
	return string(t) + "s"
}

// arrows are the hand-overs of the segment of columns [from, to): from each transfer
// to the receive that completed it, cut at the segment's edges; a transfer not yet
// received gets a dashed arrow into the void.
func (l *tlLayout) arrows(from, to int, x func(int) int) []arrowView {
	var out []arrowView
	left, right := float64(tlLabelWidth), float64(tlLabelWidth+(to-from)*tlColWidth)
	for i, e := range l.r.Events {
		if e.Type != Transfer {
			continue
		}
		ct, y1 := l.colOf[i], float64(l.lanes[l.laneOf[i]].Y)
		j, ok := l.received[i]
		if !ok {
			if ct >= from && ct < to {
				out = append(out, transitArrow(float64(x(ct)), y1, e))
			}
			continue
		}
		cr, y2 := l.colOf[j], float64(l.lanes[l.laneOf[j]].Y)
		if cr < from || ct >= to {
			continue
		}
		x1, x2, r1, r2 := left, right, 0.0, 0.0
		if ct >= from {
			x1, r1 = float64(x(ct)), 9
		}
		if cr < to {
			x2, r2 = float64(x(cr)), 10
		}
		a := arrow(x1, y1, x2, y2, r1, r2)
		a.Title = Escape(fmt.Sprintf("hand-over: #%d transfer by %s, #%d receive by %s", e.Index, who(e), l.r.Events[j].Index, who(l.r.Events[j])))
		out = append(out, a)
	}
	return out
}

// arrow goes from (x1, y1) to (x2, y2), starting r1 after the first point and ending
// r2 before the second (the radii of the marks there).
func arrow(x1, y1, x2, y2, r1, r2 float64) arrowView {
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	if n < r1+r2+1 {
		n = r1 + r2 + 1
	}
	ux, uy := dx/n, dy/n
	sx, sy, ex, ey := x1+ux*r1, y1+uy*r1, x2-ux*r2, y2-uy*r2
	bx, by := ex-ux*8, ey-uy*8
	return arrowView{
		Path: fmt.Sprintf("M%.1f %.1f L%.1f %.1f", sx, sy, bx, by),
		Head: fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", ex, ey, bx-uy*4, by+ux*4, bx+uy*4, by-ux*4),
	}
}

func transitArrow(x, y float64, e EventReport) arrowView {
	a := arrow(x, y, x+tlColWidth*0.8, y, 9, 0)
	a.Transit, a.LabelX, a.LabelY = true, int(x)+6, int(y)-10
	a.Title = Escape(fmt.Sprintf("#%d transfer to %s: not received", e.Index, e.Counterparty))
	return a
}
