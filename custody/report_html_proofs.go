package custody

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evidctl/evidctl/ledger"
)

// The per-event table of rules and the proofs section of the HTML report.

// ruleRowView is one row of the table of rules: one event, or a run of consecutive
// events whose checks all passed alike (the same type, actor, item and rules).
type ruleRowView struct {
	First, Last, Count int
	Type, Who, Item    string
	Time, LastTime     string // claimed
	Status             string // failed if any check failed, else not-checked if any was not made, else ok
	OK                 []string
	Other              []checkView // failed and not checked, with what was expected and found, or why
}

func ruleRows(r *Report) []ruleRowView {
	var out []ruleRowView
	var lastKey string
	for _, e := range r.Events {
		row := ruleRowOf(e)
		key := row.groupKey()
		if n := len(out); n > 0 && key != "" && key == lastKey && out[n-1].Last == e.Index-1 {
			out[n-1].Last, out[n-1].Count, out[n-1].LastTime = e.Index, out[n-1].Count+1, row.Time
			continue
		}
		out = append(out, row)
		lastKey = key
	}
	return out
}

func ruleRowOf(e EventReport) ruleRowView {
	row := ruleRowView{First: e.Index, Last: e.Index, Count: 1, Type: Escape(string(e.Type)), Who: Escape(who(e)), Item: Escape(shortItem(e.Item)),
		Time: htmlTime(e.Time), Status: statusOK}
	for _, c := range e.Checks {
		cv := checkOf(c)
		switch cv.Status {
		case statusOK:
			row.OK = append(row.OK, cv.Rule)
			continue
		case statusFailed:
			row.Status = statusFailed
		default:
			if row.Status == statusOK {
				row.Status = cv.Status
			}
		}
		row.Other = append(row.Other, cv)
	}
	return row
}

// groupKey is what events must share to be one row: "" (never grouped) for an event
// with a failed check.
func (row ruleRowView) groupKey() string {
	if row.Status == statusFailed {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s\x00%s", row.Type, row.Who, row.Item, strings.Join(row.OK, ","))
	for _, c := range row.Other {
		fmt.Fprintf(&b, "\x00%s=%s:%s", c.Rule, c.Status, c.Detail)
	}
	return b.String()
}

type proofsView struct {
	Logs        []logSummaryView
	Entries     tableView[entryRowView]
	Consistency []string
	Receipts    []receiptRowView // the receipts of the bundle, when given
	// PrintReceipts: the receipts appendix is printed (a short report); a long one
	// leaves them to the screen and the bundle.
	PrintReceipts bool
}

type logSummaryView struct {
	Origin                string
	Events, Checkpoints   int
	FirstIndex, LastIndex uint64
	Latest, Root          string
	Cosigners             []string
	checkpoints           map[string]bool
	latestSize            uint64
}

// proofRowView is the log proof of one event.
type proofRowView struct {
	Index     int
	Log       string
	LogIndex  uint64
	Cosigners []string
	Status    string // of rules inclusion and checkpoint
	Receipt   *receiptView
}

// entryRowView is a row of the table of log entries: one event's, or those of a run of
// events logged one after the other in one log, proven alike.
type entryRowView struct {
	First, Last, Count         int
	Log                        string
	FirstIndex, LastIndex      uint64
	Checkpoint, LastCheckpoint string
	Cosigners                  []string
	Status, Word               string
}

type receiptRowView struct {
	Index   int
	Receipt *receiptView
}

type receiptView struct {
	Checkpoint, Root string
	Path             []string
	Note             []string // the signed note's lines
	Extra            int      // opaque extra lines (an RFC 3161 token)
	Error            string
	size             uint64
}

func proofsOf(r *Report, cfg *htmlConfig) proofsView {
	var pv proofsView
	logs := map[string]*logSummaryView{}
	var order []string
	var entries []entryRowView
	for _, e := range r.Events {
		row := proofRowView{Index: e.Index, Log: Escape(e.Log), LogIndex: e.LogIndex, Status: proofStatus(e)}
		for _, c := range e.Cosigners {
			row.Cosigners = append(row.Cosigners, Escape(c))
		}
		row.Receipt = receiptOf(cfg.bundle, e)
		if row.Receipt != nil {
			pv.Receipts = append(pv.Receipts, receiptRowView{Index: e.Index, Receipt: row.Receipt})
		}
		entries = addEntry(entries, row)
		if e.Log == "" {
			continue
		}
		ls, ok := logs[e.Log]
		if !ok {
			ls = &logSummaryView{Origin: row.Log, FirstIndex: e.LogIndex, checkpoints: map[string]bool{}}
			logs[e.Log] = ls
			order = append(order, e.Log)
		}
		ls.add(row)
	}
	for _, o := range order {
		ls := logs[o]
		ls.Checkpoints = len(ls.checkpoints)
		pv.Logs = append(pv.Logs, *ls)
	}
	pv.Entries = newTable(entries, cfg)
	pv.PrintReceipts = len(pv.Receipts) <= collapseAfter
	if cfg.bundle != nil {
		for _, c := range cfg.bundle.Consistency {
			pv.Consistency = append(pv.Consistency, fmt.Sprintf("%s: size %d to %d, %d %s", Escape(c.Origin), c.OldSize, c.NewSize,
				len(c.Proof), plural(len(c.Proof), "hash", "hashes")))
		}
	}
	return pv
}

// addEntry adds the log entry of row to the table: to the last row when it continues
// that row's run (the next event, the next index of the same log, proven ok and
// cosigned alike), else as a row of its own.
func addEntry(rows []entryRowView, row proofRowView) []entryRowView {
	checkpoint := ""
	if row.Receipt != nil {
		checkpoint = row.Receipt.Checkpoint
	}
	if n := len(rows); n > 0 {
		last := &rows[n-1]
		if last.Status == statusOK && row.Status == statusOK && row.Log != "" && row.Log == last.Log && row.Index == last.Last+1 &&
			row.LogIndex == last.LastIndex+1 && slices.Equal(row.Cosigners, last.Cosigners) {
			last.Last, last.LastIndex, last.LastCheckpoint, last.Count = row.Index, row.LogIndex, checkpoint, last.Count+1
			return rows
		}
	}
	return append(rows, entryRowView{First: row.Index, Last: row.Index, Count: 1, Log: row.Log, FirstIndex: row.LogIndex, LastIndex: row.LogIndex,
		Checkpoint: checkpoint, LastCheckpoint: checkpoint, Cosigners: row.Cosigners, Status: row.Status, Word: statusWord(Status(row.Status))})
}

func (ls *logSummaryView) add(row proofRowView) {
	ls.Events++
	ls.FirstIndex, ls.LastIndex = min(ls.FirstIndex, row.LogIndex), max(ls.LastIndex, row.LogIndex)
	for _, c := range row.Cosigners {
		if !slices.Contains(ls.Cosigners, c) {
			ls.Cosigners = append(ls.Cosigners, c)
		}
	}
	if rc := row.Receipt; rc != nil && rc.Error == "" {
		ls.checkpoints[rc.Checkpoint+" "+rc.Root] = true
		if rc.size >= ls.latestSize {
			ls.latestSize, ls.Latest, ls.Root = rc.size, rc.Checkpoint, rc.Root
		}
	}
}

// proofStatus is the status of the event's log proof: rules inclusion and checkpoint.
func proofStatus(e EventReport) string {
	st := statusNotChecked
	for _, c := range e.Checks {
		if c.Rule != RuleInclusion && c.Rule != RuleCheckpoint {
			continue
		}
		switch s := statusOf(c); {
		case s == statusFailed:
			return statusFailed
		case s == statusOK:
			st = statusOK
		}
	}
	return st
}

// receiptOf shows the receipt of event e from the bundle, when the bundle holds it.
func receiptOf(b *Bundle, e EventReport) *receiptView {
	if b == nil || e.Index < 1 || e.Index > len(b.Events) {
		return nil
	}
	rec := b.Events[e.Index-1]
	if rec == nil || rec.Envelope == nil || rec.CommitmentString() != e.Commitment {
		return nil
	}
	rc, err := rec.Receipt()
	if err != nil {
		return &receiptView{Error: Escape(err.Error())}
	}
	rv := &receiptView{Extra: len(rc.Extra)}
	for _, h := range rc.Proof {
		rv.Path = append(rv.Path, h.String())
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(rc.Checkpoint), "\n"), "\n") {
		rv.Note = append(rv.Note, Escape(line))
	}
	head, err := ledger.ReadHeadUnverified(rc.Checkpoint)
	if err != nil {
		rv.Error = Escape(err.Error())
		return rv
	}
	rv.Checkpoint, rv.Root, rv.size = fmt.Sprintf("%s@%d", Escape(head.Origin), head.Size), head.Hash.String(), head.Size
	return rv
}
