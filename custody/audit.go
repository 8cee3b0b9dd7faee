package custody

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/evidctl/evidctl/ledger"
)

// Audit: is a bundle complete? Verify proves what a bundle shows; Audit reads the whole
// log and finds what the bundle does not show (docs/TRUST.md):
//
//   - a branch: an entry whose tag is the tag of one of the bundle's events but whose
//     commitment is another's. It follows the same custody head: a copy of the bundle
//     was acted on (a double transfer, say) in a log that accepted it anyway;
//   - a hidden event: an entry whose tag is the successor tag of an item's last event
//     in the bundle (its last event that is not a note): the bundle was cut;
//   - a missing entry: the log does not hold one of the bundle's own entries where its
//     receipt puts it (the log read is not the one the receipts came from);
//   - an unkeyed item: an item opened before log entries had tags, which no audit can
//     follow.
//
// Both follow what they find: the successors of a branch or hidden entry are found too,
// so every entry of a hidden branch is named, with its log index. A hidden note after
// the last event cannot be found (its tag depends on its own content); notes move no
// custody. Neither can a derivation hidden from the bundle: the derived item is a new
// item with its own key.
//
// The log is read up to the newest checkpoint the trust policy accepts (witnessed where
// the policy asks) and proven, leaf by leaf, to hash to its root: nothing it says is
// acted on before the whole log has been read and checked.

// LogCheckpointer is a log that gives its latest signed checkpoint, unverified:
// posixlog.Reader, httplog.Log, trillianlog.Log. [Audit] verifies it with the policy.
type LogCheckpointer interface {
	Checkpoint(ctx context.Context) ([]byte, error)
}

// ErrNoCheckpoint: an audit found no checkpoint of the log that the trust policy
// accepts, so it cannot say up to where the log is complete.
var ErrNoCheckpoint = errors.New("no checkpoint of the log that the trust policy accepts")

// Audit reads the log r up to its newest checkpoint the policy accepts and reports what
// the bundle does not show: branches, hidden events, missing entries (see the package
// documentation). The checkpoint is r's own when r is a [LogCheckpointer] (or a newer
// one among the bundle's receipts of the same log), else the newest among the bundle's
// receipts, which must then all be of one log. Report.Complete is the verdict. An error
// means the audit could not run: no accepted checkpoint ([ErrNoCheckpoint]), an
// unreadable statement, a log that cannot be read or does not hash to the checkpoint's
// root (ledger.ErrRootMismatch).
func Audit(ctx context.Context, b *Bundle, p *Policy, r ledger.LeafReader) (*AuditReport, error) {
	if b == nil || p == nil || r == nil {
		return nil, argError("audit", "b", "a bundle, a policy and a log are required")
	}
	a, err := newBundleAudit(b)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	cp, rep, err := chooseCheckpoint(ctx, p, r, b)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rep.Scope, rep.Items = ScopeBundle, a.itemReports()
	a.initialTags()
	for more := true; more; { // at least once: the scan proves the checkpoint's root
		found, err := ledger.FindTags(ctx, r, cp, a.tags())
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		more = a.process(found)
	}
	a.missing(cp, rep, b)
	rep.Findings = append(rep.Findings, a.findings...)
	rep.finish()
	return rep, nil
}

// AuditAll reads the whole log r up to its latest checkpoint, which the policy must
// accept, and reports every tag logged more than once with different commitments: a
// monitor's check, which needs no bundle and no item key.
func AuditAll(ctx context.Context, p *Policy, r ledger.LeafReader) (*AuditReport, error) {
	if p == nil || r == nil {
		return nil, argError("audit", "p", "a policy and a log are required")
	}
	if _, ok := r.(LogCheckpointer); !ok {
		return nil, argError("audit", "r", "auditing a whole log needs the log's checkpoint (for a trillian:// log, the personality's note key)")
	}
	cp, rep, err := chooseCheckpoint(ctx, p, r, nil)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rep.Scope = ScopeLog
	conflicts, err := ledger.FindConflicts(ctx, r, cp)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	for _, c := range conflicts {
		rep.Findings = append(rep.Findings, Finding{Kind: FindingDuplicate, Tag: hex.EncodeToString(c.Tag[:]), Entries: auditEntries(c.Entries...),
			Detail: fmt.Sprintf("the tag is logged %d times with different commitments: two successors of one custody event", len(c.Entries))})
	}
	rep.finish()
	return rep, nil
}

// chooseCheckpoint picks the newest checkpoint of the log that the policy accepts: the
// log's own when it gives one, or one of the bundle's receipts (b may be nil).
func chooseCheckpoint(ctx context.Context, p *Policy, r ledger.LeafReader, b *Bundle) (*ledger.Checkpoint, *AuditReport, error) {
	trust, rep := p.LedgerTrust(), &AuditReport{}
	var best *ledger.Checkpoint
	var logErr error
	origin, source := "", SourceBundle
	if lc, ok := r.(LogCheckpointer); ok {
		note, err := lc.Checkpoint(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the log's checkpoint: %w", err)
		}
		head, err := ledger.ReadHeadUnverified(note)
		if err != nil {
			return nil, nil, fmt.Errorf("the log's checkpoint: %w", err)
		}
		origin = head.Origin
		if best, logErr = trust.VerifyCheckpoint(note); logErr != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the log's checkpoint at size %d is not accepted by the trust policy (%v); the audit uses the newest accepted checkpoint among the bundle's receipts", head.Size, logErr))
		} else {
			source = SourceLog
		}
	}
	cands, err := receiptCheckpoints(b, origin)
	if err != nil {
		return nil, nil, err
	}
	for _, note := range cands {
		if cp, err := trust.VerifyCheckpoint(note); err == nil && (best == nil || cp.Size > best.Size) {
			best, source = cp, SourceBundle
		}
	}
	if best == nil {
		if origin == "" && len(cands) > 0 {
			origin = mustHead(cands[0]).Origin
		}
		if logErr != nil {
			return nil, nil, fmt.Errorf("log %s: %w: the log's own: %w", origin, ErrNoCheckpoint, logErr)
		}
		return nil, nil, fmt.Errorf("log %s: %w", origin, ErrNoCheckpoint)
	}
	rep.Log, rep.Checkpoint = best.Origin, auditCheckpoint(best, source)
	return best, rep, nil
}

// receiptCheckpoints are the checkpoints of the bundle's receipts of log origin (of
// every log when origin is ""; they must then be of one log).
func receiptCheckpoints(b *Bundle, origin string) ([][]byte, error) {
	if b == nil {
		return nil, nil
	}
	var out [][]byte
	origins := map[string]bool{}
	for _, rec := range b.Events {
		h, err := rec.logHead()
		if err != nil || (origin != "" && h.Origin != origin) {
			continue
		}
		origins[h.Origin] = true
		rc, _ := rec.Receipt()
		out = append(out, rc.Checkpoint)
	}
	if origin == "" && len(origins) > 1 {
		return nil, fmt.Errorf("the bundle's receipts are of %d logs and the log gives no checkpoint, so which log it is is unknown: %w", len(origins), ErrNoCheckpoint)
	}
	return out, nil
}

// mustHead reads a checkpoint already read once without error.
func mustHead(note []byte) ledger.Head {
	h, _ := ledger.ReadHeadUnverified(note)
	return h
}

// auditEntries lists found log entries for a report.
func auditEntries(fs ...ledger.Found) []AuditEntry {
	out := make([]AuditEntry, len(fs))
	for i, f := range fs {
		out[i] = AuditEntry{Index: f.Index, Commitment: commitmentText(f.Commitment)}
	}
	return out
}

// sortFindings orders findings by kind, then by the first log index they name.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Kind != b.Kind {
			return slices.Index(findingKinds, a.Kind) - slices.Index(findingKinds, b.Kind)
		}
		switch {
		case len(a.Entries) == 0 || len(b.Entries) == 0:
			return len(a.Entries) - len(b.Entries)
		case a.Entries[0].Index < b.Entries[0].Index:
			return -1
		case a.Entries[0].Index > b.Entries[0].Index:
			return 1
		}
		return 0
	})
}
