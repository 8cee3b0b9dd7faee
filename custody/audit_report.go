package custody

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// AuditReport is the verdict of [Audit] or [AuditAll] and the evidence for it: the
// checkpoint the log was read up to, and every finding with the log indexes it names.
// Its JSON form is docs/schema/audit.schema.json.
type AuditReport struct {
	// Complete is the verdict: no finding. For a bundle, the log up to the checkpoint
	// holds no event of its items that the bundle does not show; for a whole log, no tag
	// is logged twice with different commitments.
	Complete bool `json:"complete"`
	// Scope is what was audited: ScopeBundle or ScopeLog.
	Scope string `json:"scope"`
	// Log is the log's origin.
	Log        string          `json:"log"`
	Checkpoint AuditCheckpoint `json:"checkpoint"`
	// Items are the bundle's items (ScopeBundle only).
	Items    []AuditItem `json:"items,omitempty"`
	Findings []Finding   `json:"findings"`
	// Notes say what the audit could not cover, or how it chose its checkpoint.
	Notes []string `json:"notes,omitempty"`
}

// What an audit covers.
const (
	ScopeBundle = "bundle" // one bundle's items ([Audit])
	ScopeLog    = "log"    // every entry of the log ([AuditAll])
)

// Where the checkpoint of an audit came from.
const (
	SourceLog    = "log"    // the log's latest checkpoint
	SourceBundle = "bundle" // a receipt of the bundle (newer than the log's, or the log gives none)
)

// AuditCheckpoint is the verified checkpoint an audit read the log up to: every entry
// below Size was read and they hash to RootHash.
type AuditCheckpoint struct {
	Size         uint64             `json:"size"`
	RootHash     tlog.Hash          `json:"rootHash"` // base64
	Source       string             `json:"source"`   // SourceLog or SourceBundle
	Cosignatures []AuditCosignature `json:"cosignatures"`
	Note         string             `json:"note"` // the signed checkpoint, verbatim
}

// AuditCosignature is a trusted witness's cosignature on the checkpoint: by then the
// witness had seen this checkpoint consistent with every one it cosigned before.
type AuditCosignature struct {
	Witness string    `json:"witness"` // its name in the trust policy
	Key     string    `json:"key"`     // the signature line's key: "name+hash"
	Time    time.Time `json:"time"`
}

// AuditItem is one item of the audited bundle.
type AuditItem struct {
	ID     string `json:"id"`
	Events int    `json:"events"`
	// Keyed is false for an item opened without an itemKey, which no audit can follow.
	Keyed bool `json:"keyed"`
	// LastEvent is the bundle event (1-based) of the item's custody head, its last event
	// that is not a note, and Head its commitment: the log must hold no successor of it.
	LastEvent int    `json:"lastEvent,omitempty"`
	Head      string `json:"head,omitempty"`
}

// FindingKind is what an audit found.
type FindingKind string

// The kinds of finding.
const (
	// FindingBranch: an entry with the tag of one of the bundle's events and another
	// commitment, or a successor of such an entry: a branch the bundle does not show.
	FindingBranch FindingKind = "branch"
	// FindingHidden: an entry following an item's custody head in the bundle, or a
	// successor of such an entry: an event hidden from the bundle.
	FindingHidden FindingKind = "hidden"
	// FindingMissing: one of the bundle's entries is not where its receipt puts it.
	FindingMissing FindingKind = "missing"
	// FindingUnkeyed: an item without an itemKey, which cannot be audited.
	FindingUnkeyed FindingKind = "unkeyed"
	// FindingDuplicate: a tag logged more than once with different commitments
	// (AuditAll).
	FindingDuplicate FindingKind = "duplicate"
)

// findingKinds is the order reports list findings in.
var findingKinds = []FindingKind{FindingBranch, FindingHidden, FindingMissing, FindingUnkeyed, FindingDuplicate}

// Finding is one thing an audit found, with the log entries that show it.
type Finding struct {
	Kind FindingKind `json:"kind"`
	Item string      `json:"item,omitempty"`
	// Event is the bundle's event (1-based) the finding concerns: the event a branch
	// shares its tag with, the last event a hidden one follows, the event whose entry
	// is missing; 0 when it follows an entry found in the log.
	Event int       `json:"event,omitempty"`
	Type  EventType `json:"type,omitempty"` // that event's type
	Tag   string    `json:"tag,omitempty"`  // hex
	// Entries are the log's entries found, in log order.
	Entries []AuditEntry `json:"entries,omitempty"`
	Detail  string       `json:"detail"`
}

// AuditEntry is one entry of the log: its index and commitment ("sha256:<hex>").
type AuditEntry struct {
	Index      uint64 `json:"index"`
	Commitment string `json:"commitment"`
}

func auditCheckpoint(cp *ledger.Checkpoint, source string) AuditCheckpoint {
	ac := AuditCheckpoint{Size: cp.Size, RootHash: cp.Hash, Source: source, Note: string(cp.Note), Cosignatures: []AuditCosignature{}}
	for _, c := range cp.Cosignatures {
		ac.Cosignatures = append(ac.Cosignatures, AuditCosignature{Witness: c.Witness, Key: fmt.Sprintf("%s+%08x", c.KeyName, c.KeyHash), Time: c.Time})
	}
	return ac
}

func (r *AuditReport) finish() {
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	sortFindings(r.Findings)
	r.Complete = len(r.Findings) == 0
}

// WriteJSON writes the report as indented JSON. Characters that could rewrite a
// terminal are \u escapes (EscapeJSON).
func (r *AuditReport) WriteJSON(w io.Writer) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(EscapeJSON(js), '\n'))
	return err
}

// WriteText writes the report for a person: what was audited, the checkpoint and its
// cosignatures, every finding with its log indexes, and the verdict on the last line.
// Every string from the bundle or the log is escaped for the terminal.
func (r *AuditReport) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Scope == ScopeLog {
		fmt.Fprintf(&b, "audit of every entry of log %s\n", Escape(r.Log))
	} else {
		fmt.Fprintf(&b, "audit of %d %s against log %s\n", len(r.Items), plural(len(r.Items), "item", "items"), Escape(r.Log))
	}
	cp := r.Checkpoint
	fmt.Fprintf(&b, "checkpoint %d, root %s (%s), %s\n", cp.Size, cp.RootHash, sourceText(cp.Source), cp.cosigned())
	fmt.Fprintf(&b, "read %d %s: they hash to the checkpoint's root\n", cp.Size, plural(int(min(cp.Size, 2)), "entry", "entries"))
	for _, it := range r.Items {
		fmt.Fprintf(&b, "  item %s: %d %s", Escape(it.ID), it.Events, plural(it.Events, "event", "events"))
		if it.LastEvent > 0 {
			fmt.Fprintf(&b, ", custody head event %d", it.LastEvent)
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", Escape(n))
	}
	if len(r.Findings) > 0 {
		b.WriteString("\nfindings:\n")
	}
	for _, f := range r.Findings {
		f.writeText(&b)
	}
	b.WriteString("\n" + r.verdict() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (f Finding) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "  %-9s", f.Kind)
	if f.Item != "" {
		fmt.Fprintf(b, " item %s", Escape(f.Item))
	}
	if f.Event > 0 {
		fmt.Fprintf(b, " event %d (%s)", f.Event, Escape(string(f.Type)))
	}
	fmt.Fprintf(b, ": %s\n", Escape(f.Detail))
	if f.Tag != "" {
		fmt.Fprintf(b, "            tag %s\n", f.Tag)
	}
	for _, e := range f.Entries {
		fmt.Fprintf(b, "            log index %d: %s\n", e.Index, Escape(e.Commitment))
	}
}

// verdict is the report's last line.
func (r *AuditReport) verdict() string {
	at := fmt.Sprintf("checkpoint %d of %s", r.Checkpoint.Size, Escape(r.Log))
	n := len(r.Findings)
	switch {
	case r.Scope == ScopeLog && r.Complete:
		return fmt.Sprintf("no duplicate tag as of %s, %s", at, r.Checkpoint.cosigned())
	case r.Scope == ScopeLog:
		return fmt.Sprintf("DUPLICATE TAGS: %d as of %s", n, at)
	case r.Complete:
		return fmt.Sprintf("complete as of %s, %s", at, r.Checkpoint.cosigned())
	}
	return fmt.Sprintf("INCOMPLETE: %d %s as of %s", n, plural(n, "finding", "findings"), at)
}

// cosigned says when and by whom the checkpoint was cosigned.
func (c AuditCheckpoint) cosigned() string {
	if len(c.Cosignatures) == 0 {
		return "not cosigned by any witness"
	}
	parts := make([]string, len(c.Cosignatures))
	for i, s := range c.Cosignatures {
		parts[i] = fmt.Sprintf("%s at %s", Escape(s.Witness), s.Time.UTC().Format(time.RFC3339))
	}
	return "cosigned by " + strings.Join(parts, ", ")
}

func sourceText(source string) string {
	if source == SourceLog {
		return "the log's latest"
	}
	return "from the bundle's receipts"
}
