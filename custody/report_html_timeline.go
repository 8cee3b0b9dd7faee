package custody

import "fmt"

// The custody timeline of the HTML report, laid out here and drawn by the template as
// SVG: one lane per custodian (per jurisdiction when there are too many custodians),
// one column per event in bundle order, hand-overs as arrows from the transfer to the
// receive that completed it. Runs of accesses and notes by one custodian on one item
// share a column; the columns are cut into segments that start collapsed when the
// timeline is long.

// Geometry of the timeline, in SVG user units (CSS pixels at scale 1).
const (
	tlLabelWidth = 176 // the lane labels, left
	tlColWidth   = 50
	tlLaneHeight = 38
	tlTop        = 10
	tlRight      = 40 // room for an in-transit arrow after the last column
	tlLabelRows  = 44 // event number, time, date under the lanes
	tlPerSegment = 16 // columns per segment (one SVG)
	tlOpenFirst  = 2  // segments shown open at the top of a long timeline
	tlMaxLanes   = 10 // above this many custodians, one lane per jurisdiction
	tlPalette    = 8  // jurisdiction colours (CSS classes j0 … j7)
)

type timelineView struct {
	Events, Columns, Lanes int
	ByJurisdiction         bool
	Trusted                bool // some events have a trusted time (a row of glyphs)
	Grouped                int  // events drawn in shared columns
	Legend                 []legendView
	Segments               []segmentView
}

type legendView struct{ Class, Label string }

type segmentView struct {
	First, Last        int // event indices
	Open               bool
	Failed             int
	Width, Height      int
	LineFrom, LineTo   int // x of the lane lines
	NumY, TimeY, DateY int // baselines of the column labels
	TrustY             int // baseline of the trusted-time glyphs, when there are any
	Times              []*timeGlyph
	Lanes              []laneView
	Cols               []colView
	Marks              []markView
	Arrows             []arrowView
}

type laneView struct {
	Y, Top, Height, LabelY, SubY int
	Label, Sub, Title            string
	Class                        string
}

type colView struct {
	X            int
	Number, Time string
	Date         string // shown where the date changes
}

type markView struct {
	X, Y                 int
	LabelY, FailX, FailY int
	RunX, RunY, RunTextY int
	Kind, Shape, Class   string
	Points               string // polygon shapes
	Label                string // text drawn on or beside the mark (×8 for a run)
	First, Last, Count   int
	Failed               bool
	Title                string
}

type arrowView struct {
	Path, Head string
	Transit    bool
	LabelX     int
	LabelY     int
	Title      string
}

// tlColumn is one column: events first..last (positions in Report.Events) on a lane.
type tlColumn struct{ first, last, lane int }

type tlLayout struct {
	r        *Report
	lanes    []laneView
	laneOf   []int // per event position
	cols     []tlColumn
	colOf    []int // per event position
	received map[int]int
	times    []*intervalView // per event position; nil without trusted time
	anyTime  bool
	byJur    bool
	legend   []legendView
}

func timelineOf(r *Report, cfg *htmlConfig) timelineView {
	l := &tlLayout{r: r, received: receivesOf(r)}
	for _, e := range r.Events {
		iv := intervalOf(e)
		l.times = append(l.times, iv)
		l.anyTime = l.anyTime || iv != nil
	}
	l.assignLanes()
	l.assignColumns()
	tv := timelineView{Events: len(r.Events), Columns: len(l.cols), Lanes: len(l.lanes), ByJurisdiction: l.byJur, Legend: l.legend, Trusted: l.anyTime}
	tv.Grouped = len(r.Events) - len(l.cols)
	for start := 0; start < len(l.cols); start += tlPerSegment {
		seg := l.segment(start, min(start+tlPerSegment, len(l.cols)))
		seg.Open = cfg.expanded || start/tlPerSegment < tlOpenFirst || seg.Failed > 0
		tv.Segments = append(tv.Segments, seg)
	}
	return tv
}

// assignLanes gives each event a lane: its custodian's, or its jurisdiction's when
// there are more than tlMaxLanes custodians.
func (l *tlLayout) assignLanes() {
	custodians := map[string]bool{}
	for _, e := range l.r.Events {
		custodians[who(e)] = true
	}
	l.byJur = len(custodians) > tlMaxLanes
	colour := map[string]string{}
	index := map[string]int{}
	for _, e := range l.r.Events {
		jur := e.Jurisdiction
		if _, ok := colour[jur]; !ok {
			colour[jur] = fmt.Sprintf("j%d", len(colour)%tlPalette)
			l.legend = append(l.legend, legendView{Class: colour[jur], Label: jurisdictionLabel(jur)})
		}
		key := who(e)
		if l.byJur {
			key = jur
		}
		i, ok := index[key]
		if !ok {
			i = len(l.lanes)
			index[key] = i
			l.lanes = append(l.lanes, l.newLane(e, colour[jur]))
		}
		l.laneOf = append(l.laneOf, i)
	}
}

func (l *tlLayout) newLane(e EventReport, class string) laneView {
	y := tlTop + len(l.lanes)*tlLaneHeight
	lv := laneView{Top: y, Y: y + tlLaneHeight/2, Height: tlLaneHeight, LabelY: y + tlLaneHeight/2 - 2, SubY: y + tlLaneHeight/2 + 11, Class: class}
	if l.byJur {
		lv.Label, lv.Title = jurisdictionLabel(e.Jurisdiction), "custodians of "+jurisdictionLabel(e.Jurisdiction)
		return lv
	}
	name := e.Actor
	if name == "" {
		name = "(unreadable statement)"
	}
	sub := e.Organization
	if e.Jurisdiction != "" && sub != "" {
		sub += ", "
	}
	sub += e.Jurisdiction
	lv.Label, lv.Sub, lv.Title = Escape(shortened(name, 22)), Escape(shortened(sub, 27)), Escape(who(e))
	return lv
}

func jurisdictionLabel(j string) string {
	if j == "" {
		return "no jurisdiction"
	}
	return Escape(j)
}

// assignColumns puts each event in a column; a run of accesses (or notes) by one
// custodian on one item, none failed, shares one.
func (l *tlLayout) assignColumns() {
	for i := range l.r.Events {
		if n := len(l.cols); n > 0 && l.joins(l.cols[n-1], i) {
			l.cols[n-1].last = i
		} else {
			l.cols = append(l.cols, tlColumn{first: i, last: i, lane: l.laneOf[i]})
		}
		l.colOf = append(l.colOf, len(l.cols)-1)
	}
}

func (l *tlLayout) joins(c tlColumn, i int) bool {
	prev, e := l.r.Events[c.first], l.r.Events[i]
	if e.Type != Access && e.Type != Note {
		return false
	}
	return c.last == i-1 && e.Type == prev.Type && e.Item == prev.Item && who(e) == who(prev) && l.laneOf[i] == c.lane &&
		!eventFailed(e) && !eventFailed(prev)
}

// segment lays out columns [from, to).
func (l *tlLayout) segment(from, to int) segmentView {
	n := to - from
	seg := segmentView{First: l.r.Events[l.cols[from].first].Index, Last: l.r.Events[l.cols[to-1].last].Index,
		Width: tlLabelWidth + n*tlColWidth + tlRight, Height: tlTop + len(l.lanes)*tlLaneHeight + tlLabelRows, Lanes: l.lanes,
		LineFrom: tlLabelWidth, LineTo: tlLabelWidth + n*tlColWidth}
	seg.NumY = tlTop + len(l.lanes)*tlLaneHeight + 14
	seg.TimeY, seg.DateY = seg.NumY+13, seg.NumY+26
	if l.anyTime {
		seg.TrustY = seg.DateY + 18
		seg.Height += 18
	}
	x := func(c int) int { return tlLabelWidth + (c-from)*tlColWidth + tlColWidth/2 }
	prevDate := ""
	for c := from; c < to; c++ {
		col := l.cols[c]
		first, last := l.r.Events[col.first], l.r.Events[col.last]
		cv := colView{X: x(c), Number: fmt.Sprintf("#%d", first.Index)}
		if col.last > col.first {
			cv.Number = fmt.Sprintf("#%d–%d", first.Index, last.Index)
		}
		if ts := htmlTime(first.Time); ts != "" {
			cv.Time = ts[11:19]
			if d := ts[:10]; d != prevDate {
				cv.Date, prevDate = d, d
			}
		}
		seg.Cols = append(seg.Cols, cv)
		if g := columnTime(l.times[col.first:col.last+1], x(c), seg.TrustY); g != nil {
			seg.Times = append(seg.Times, g)
		}
		m := l.mark(col, x(c), l.lanes[col.lane].Y)
		if m.Failed {
			seg.Failed++
		}
		seg.Marks = append(seg.Marks, m)
	}
	seg.Arrows = l.arrows(from, to, x)
	return seg
}

// shortened shortens s to n characters, marking the cut with an ellipsis.
func shortened(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}
