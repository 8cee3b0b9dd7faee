package caseuco

import (
	"encoding/base64"

	"github.com/evidctl/evidctl/custody"
)

// Trusted time. CASE 1.4 / UCO 1.4 have no term for bounds on when an action took
// place: uco-action:startTime and endTime state when it began and ended (the export
// gives both the time the statement claims), uco-core:startTime and endTime are the
// two ends of a time range of an Event or a Relationship (and uco-core:Event is
// disjoint from uco-action:Action), and the uco-time datatypes (Time, TimeRange,
// Timestamp) are used by no property. So the interval the verifier built from the
// evidence in the bundle, and the checkpoint the statement cites, are in the evidctl:
// namespace (docs/CASE-UCO.md), beside the claimed time in startTime and endTime.

// trustedTime adds the event's trusted time interval as the verification report gives
// it: its bounds, each source (a witness's cosignature or a TSA's token) and, when a
// bound is missing, the warning that says why.
func (x *exporter) trustedTime(n node, c string, iv *custody.TimeInterval) {
	if iv == nil {
		return
	}
	if !iv.Earliest.IsZero() {
		n["evidctl:earliestTime"] = dateTime(iv.Earliest)
	}
	if !iv.Latest.IsZero() {
		n["evidctl:latestTime"] = dateTime(iv.Latest)
	}
	n.set("evidctl:timeWarning", iv.Warning)
	var ids []string
	for _, s := range iv.Sources {
		at := dateTime(s.Time)["@value"]
		ids = append(ids, x.g.add(node{"@id": iri("time-source", c, s.Bound, s.Kind, s.Name, at, s.Checkpoint), "@type": "evidctl:TimeSource",
			"evidctl:bound": s.Bound, "evidctl:sourceKind": s.Kind, "evidctl:sourceName": s.Name,
			"evidctl:sourceTime": dateTime(s.Time), "evidctl:sourceCheckpoint": s.Checkpoint}))
	}
	n.set("evidctl:timeSource", refs(ids...))
}

// anchor adds the checkpoint the statement cites as the latest its signer read before
// signing, as the statement states it: the trusted time on it is the interval's lower
// bound when the verifier accepted it (rule anchor).
func anchor(n node, a *custody.Anchor) {
	if a == nil {
		return
	}
	n["evidctl:anchorOrigin"] = a.Origin
	n["evidctl:anchorTreeSize"] = nonNegative(a.Size)
	n["evidctl:anchorRootHash"] = base64.StdEncoding.EncodeToString(a.Hash[:])
	n["evidctl:anchorCheckpoint"] = a.Checkpoint
	n.set("evidctl:anchorToken", a.Token)
}
