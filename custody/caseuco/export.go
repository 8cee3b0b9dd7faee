package caseuco

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evidctl/evidctl/custody"
)

// ErrReportMismatch is returned by [Export] when the report is not the verification of
// the bundle given (other events, or in another order).
var ErrReportMismatch = errors.New("the verification report is not of this bundle")

// Option sets how an export describes its verification.
type Option func(*config)

type config struct {
	verifiedAt            time.Time
	toolName, toolVersion string
}

// WithVerificationTime records when the verification ran, as the start and end time of
// the verification action. Without it the export holds no time but the events' own,
// and the same bundle and report always give the same bytes.
func WithVerificationTime(t time.Time) Option {
	return func(c *config) { c.verifiedAt = t }
}

// WithTool names the tool that verified the bundle (the verification action's
// instrument), such as "evidctl" and its version.
func WithTool(name, version string) Option {
	return func(c *config) { c.toolName, c.toolVersion = name, version }
}

// exporter maps one bundle and its report to a graph.
type exporter struct {
	b   *custody.Bundle
	rep *custody.Report
	cfg config
	g   *graph

	index    map[string]int    // event commitment → position in the bundle
	items    map[string]*item  // by item id
	sealedAt map[string]string // event commitment → the sealed payload node after it
	cases    map[string]*investigationOf
}

// Export writes the CASE 1.4 / UCO 1.4 JSON-LD graph of bundle b and its verification
// report rep (from [custody.Verify] on b) to w: items with their hashes and sealed
// payloads, one case-investigation:InvestigativeAction per event with its performer,
// instrument, location, time and authorization, the chain of custody as
// case-investigation:ProvenanceRecord nodes, and the verification's verdict and
// failures as annotations. What CASE has no term for (commitments, signatures, log
// receipts, checks) is in the [NS] namespace. An invalid bundle is exported too: its
// failures are part of the graph.
//
// The output is deterministic: node ids derive from commitments, item ids and digests,
// and nodes and lists are sorted.
func Export(w io.Writer, b *custody.Bundle, rep *custody.Report, opts ...Option) error {
	if b == nil || rep == nil {
		return errors.New("export: a bundle and its verification report are required")
	}
	x := &exporter{b: b, rep: rep, g: newGraph(), index: map[string]int{}, items: map[string]*item{},
		sealedAt: map[string]string{}, cases: map[string]*investigationOf{}}
	for _, o := range opts {
		o(&x.cfg)
	}
	if len(rep.Events) != len(b.Events) {
		return fmt.Errorf("export: %w: it has %d events, the bundle %d", ErrReportMismatch, len(rep.Events), len(b.Events))
	}
	for i, rec := range b.Events {
		c := rec.CommitmentString()
		if rep.Events[i].Commitment != c {
			return fmt.Errorf("export: %w: event %d is %s in the report, %s in the bundle", ErrReportMismatch, i+1, rep.Events[i].Commitment, c)
		}
		if _, dup := x.index[c]; !dup {
			x.index[c] = i
		}
	}
	for i := range b.Events {
		x.event(i)
	}
	x.finishInvestigations()
	if err := x.verification(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := x.g.write(w); err != nil {
		return fmt.Errorf("export: writing the graph: %w", err)
	}
	return nil
}
