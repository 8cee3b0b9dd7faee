package caseuco

import (
	"encoding/base64"
	"strconv"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
)

// integer is an xsd:integer literal written as a string, so that no JSON reader
// rounds a large number through a float.
func integer[N int | int64](n N) map[string]string {
	return map[string]string{"@type": "xsd:integer", "@value": strconv.FormatInt(int64(n), 10)}
}

// nonNegative is an xsd:nonNegativeInteger literal, for log positions.
func nonNegative(n uint64) map[string]string {
	return map[string]string{"@type": "xsd:nonNegativeInteger", "@value": strconv.FormatUint(n, 10)}
}

// actionID is the id of the InvestigativeAction of the event with that commitment.
func actionID(commitment string) string { return iri("investigative-action", commitment) }

// event adds the case-investigation:InvestigativeAction of the bundle's i-th event
// (0-based) with what evidctl adds to it: commitment, signatures, receipt, checks.
func (x *exporter) event(i int) {
	rec := x.b.Events[i]
	c := rec.CommitmentString()
	n := node{"@id": actionID(c), "@type": "case-investigation:InvestigativeAction",
		"evidctl:commitment": c, "evidctl:eventIndex": integer(i + 1)}
	x.envelope(n, rec, c)
	x.receipt(n, rec)
	x.checks(n, x.rep.Events[i].Checks)
	x.trustedTime(n, c, x.rep.Events[i].Interval)
	st, err := rec.Statement()
	if err != nil {
		n["uco-core:name"] = "unreadable event"
		n["uco-core:description"] = "the envelope's payload is not a custody statement: see the verification's failures"
		x.g.add(n)
		return
	}
	x.describe(n, i+1, &st.Predicate, c)
	x.g.add(n)
}

// describe fills an action from its event: what was done, by whom, with what, where,
// when, under which authority, on which item, and the provenance record it left.
func (x *exporter) describe(n node, index int, ev *custody.Event, c string) {
	it := x.itemFor(ev, c)
	sealed := x.sealedPayload(ev, it)
	x.sealedAt[c] = sealed
	record := x.provenanceRecord(index, ev, c, it, sealed)

	n["uco-core:name"] = string(ev.Type)
	n.set("uco-core:description", strs(ev.Purpose, ev.Note))
	n["uco-action:startTime"] = dateTime(ev.Time)
	n["uco-action:endTime"] = dateTime(ev.Time)
	anchor(n, ev.Anchor)
	n["uco-action:performer"] = ref(x.person(ev.Actor))
	if ev.Counterparty != nil {
		n["uco-action:participant"] = refs(x.person(*ev.Counterparty))
	}
	auth := x.authorization(ev.Legal)
	n.set("uco-action:instrument", refs(x.tool(ev.Tool), auth))
	n.set("uco-action:location", refs(x.place(ev.Location)))

	x.links(n, ev, it, sealed, record)

	n.set("evidctl:case", ev.Case)
	n.set("evidctl:prev", ev.Prev)
	n.set("evidctl:transfer", ev.Transfer)
	var cited []string
	for _, p := range ev.Parents {
		cited = append(cited, p.Event)
	}
	n.set("evidctl:parentEvent", strs(cited...))
	x.investigation(ev.Case, c, auth, n["@id"].(string), record, it.node["@id"].(string), sealed)
}

// links sets what an action acted on and left, and the actions it followed: a new
// item is a result and an existing one an object; the record the item's previous event
// left and the payload it acted on are objects, this event's record and a new payload
// results; prev, the accepted transfer and the parents' events inform it. A derived
// item is derived from its parents.
func (x *exporter) links(n node, ev *custody.Event, it *item, sealed, record string) {
	var objects, results, informedBy, parents []string
	known := it.first != commitmentOf(n)
	itemID := it.node["@id"].(string)
	if known {
		objects = append(objects, itemID)
	} else {
		results = append(results, itemID)
	}
	before := ""
	if ev.Prev != "" {
		objects = append(objects, x.recordOf(ev.Prev))
		informedBy = append(informedBy, x.actionOf(ev.Prev))
		before = x.sealedAt[ev.Prev]
	}
	objects = append(objects, before)
	if sealed != before {
		results = append(results, sealed)
	}
	if ev.Transfer != "" {
		informedBy = append(informedBy, x.actionOf(ev.Transfer))
	}
	for _, p := range ev.Parents {
		if parent, ok := x.items[p.ID]; ok && parent != it {
			objects = append(objects, parent.node["@id"].(string))
			parents = append(parents, parent.node["@id"].(string))
		}
		objects = append(objects, x.recordOf(p.Event))
		informedBy = append(informedBy, x.actionOf(p.Event))
	}
	if !known {
		it.node.set("case-investigation:wasDerivedFrom", refs(parents...))
	}
	n.set("uco-action:object", refs(objects...))
	n.set("uco-action:result", refs(append(results, record)...))
	n.set("case-investigation:wasInformedBy", refs(informedBy...))
}

// commitmentOf is the commitment of an event's action.
func commitmentOf(n node) string { return n["evidctl:commitment"].(string) }

// readable reports whether the bundle holds an event of that commitment whose
// statement could be read (and so has an action and a provenance record).
func (x *exporter) readable(commitment string) bool {
	i, ok := x.index[commitment]
	if !ok {
		return false
	}
	_, err := x.b.Events[i].Statement()
	return err == nil
}

// actionOf is the action of the bundle's event of that commitment, or "" when the
// bundle has no such event (the verifier reports the gap; evidctl:prev keeps the
// commitment).
func (x *exporter) actionOf(commitment string) string {
	if _, ok := x.index[commitment]; !ok {
		return ""
	}
	return actionID(commitment)
}

// recordOf is the provenance record the event of that commitment left, or "".
func (x *exporter) recordOf(commitment string) string {
	if !x.readable(commitment) {
		return ""
	}
	return iri("provenance-record", commitment)
}

// envelope adds the envelope's signatures: key id and signature, so that a verifier
// can match the action to the bundle's envelope.
func (x *exporter) envelope(n node, rec *custody.Record, c string) {
	var ids []string
	for _, s := range rec.Envelope.Signatures {
		sig := base64.StdEncoding.EncodeToString(s.Sig)
		ids = append(ids, x.g.add(node{"@id": iri("signature", c, s.KeyID, sig), "@type": "evidctl:Signature",
			"evidctl:keyId": s.KeyID, "evidctl:signatureValue": sig}))
	}
	n.set("evidctl:signature", refs(ids...))
	n["evidctl:payloadType"] = rec.Envelope.PayloadType
}

// receipt adds the event's log entry as the bundle carries it: origin, index, the
// checkpoint and the whole tlog-proof. Whether it verified is in the checks.
func (x *exporter) receipt(n node, rec *custody.Record) {
	n.set("evidctl:receipt", rec.Proof)
	r, err := rec.Receipt()
	if err != nil {
		return
	}
	n["evidctl:logIndex"] = nonNegative(r.Index)
	n["evidctl:checkpoint"] = string(r.Checkpoint)
	head, err := ledger.ReadHeadUnverified(r.Checkpoint)
	if err != nil {
		return
	}
	n["evidctl:logOrigin"] = head.Origin
	n["evidctl:treeSize"] = nonNegative(head.Size)
	n["evidctl:rootHash"] = base64.StdEncoding.EncodeToString(head.Hash[:])
}

// checks adds the rules the verifier checked on the event: passed, failed, and the
// event's verdict.
func (x *exporter) checks(n node, checks []custody.Check) {
	var passed, failed []string
	for _, c := range checks {
		switch c.Result() {
		case custody.StatusOK:
			passed = append(passed, string(c.Rule))
		case custody.StatusFailed:
			failed = append(failed, string(c.Rule))
		}
	}
	n.set("evidctl:passedRule", strs(passed...))
	n.set("evidctl:failedRule", strs(failed...))
	n["evidctl:verified"] = len(failed) == 0 && len(passed) > 0
}
