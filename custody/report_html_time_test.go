package custody

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewIntervalView(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name              string
		earliest, latest  time.Time
		state, glyph, wid string
	}{
		{"within both bounds", at.Add(-time.Minute), at.Add(time.Minute), timeWithin, "✓", "2m0s"},
		{"before the earliest bound", at.Add(time.Minute), at.Add(2 * time.Minute), timeOutside, "✗", ""},
		{"after the latest bound", at.Add(-2 * time.Minute), at.Add(-time.Minute), timeOutside, "✗", ""},
		{"only a latest bound", time.Time{}, at.Add(time.Minute), timePartial, "½", ""},
		{"only an earliest bound, outside", at.Add(time.Hour), time.Time{}, timeOutside, "✗", ""},
		{"no bound", time.Time{}, time.Time{}, timeNone, "–", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iv := newIntervalView(3, at, tc.earliest, tc.latest, []string{"latest: witness w1\u202e"}, "")
			require.Equal(t, tc.state, iv.State)
			require.Equal(t, tc.glyph, iv.Glyph)
			require.Equal(t, tc.wid, iv.Width)
			require.Equal(t, []string{`latest: witness w1\u202e`}, iv.Sources, "sources escaped")
		})
	}
}

// TestHTMLTrustedTime: events with a trusted time get a glyph under their column (a
// run shows its worst) and a row in the trusted-time table; a report without any has
// neither.
func TestHTMLTrustedTime(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &Report{Events: []EventReport{
		{Index: 1, Type: Acquire, Item: "i", Actor: "lab", Time: at},
		{Index: 2, Type: Access, Item: "i", Actor: "lab", Time: at.Add(time.Second)},
		{Index: 3, Type: Access, Item: "i", Actor: "lab", Time: at.Add(2 * time.Second)},
	}}
	var page bytes.Buffer
	require.NoError(t, r.WriteHTML(&page))
	require.NotContains(t, page.String(), `id="time"`)
	require.NotContains(t, page.String(), `class="time-glyph`)

	for i := range r.Events {
		e := &r.Events[i]
		e.Interval = &TimeInterval{Earliest: e.Time.Add(-time.Minute), Latest: e.Time.Add(time.Minute),
			Sources: []TimeSource{{Bound: boundLatest, Kind: "witness", Name: "w1", Time: e.Time.Add(time.Minute), Checkpoint: "log@3"}}}
		if e.Index == 3 {
			e.Interval.Latest = e.Time.Add(-time.Second) // claims a time after it was logged
		}
	}
	page.Reset()
	require.NoError(t, r.WriteHTML(&page))
	out := page.String()
	require.Equal(t, 2, strings.Count(out, `class="time-glyph`), "one glyph per column (events 2 and 3 share one)")
	require.Contains(t, out, `<text class="time-glyph t-outside" x="`, "the run shows its worst")
	require.Equal(t, 3, strings.Count(out, `<tr class="time-`), "one row per event")
	require.Contains(t, out, `<tr class="time-outside" data-first="3" data-last="3" data-time="outside">`)
	require.Contains(t, out, `<a href="#time">trusted time</a>`)
	require.Contains(t, out, "latest from log@3: witness w1 at 2026-03-01T09:01:02Z")

	for i := range r.Events { // no bound, one reason: one row
		r.Events[i].Interval = &TimeInterval{Warning: "time unanchored"}
	}
	page.Reset()
	require.NoError(t, r.WriteHTML(&page))
	require.Equal(t, 1, strings.Count(page.String(), `<tr class="time-`))
	require.Contains(t, page.String(), `<tr class="time-none" data-first="1" data-last="3" data-time="none">`)
}
