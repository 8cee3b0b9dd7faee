package caseuco_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/custody/caseuco"
)

// exported is a parsed export: its nodes by @id.
type exported struct {
	raw   []byte
	nodes map[string]map[string]any
}

func export(t testing.TB, v verified, opts ...caseuco.Option) exported {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, caseuco.Export(&buf, v.bundle, v.report, opts...))
	return parse(t, buf.Bytes())
}

var idRE = regexp.MustCompile(`^kb:[a-z-]+-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// parse decodes an export and checks its shape: a context and a graph of nodes, each
// with a kb: id ending in a version 5 UUID, every reference resolving to a node.
func parse(t testing.TB, raw []byte) exported {
	t.Helper()
	var doc struct {
		Context map[string]string `json:"@context"`
		Graph   []map[string]any  `json:"@graph"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, caseuco.NS, doc.Context["evidctl"])
	x := exported{raw: raw, nodes: map[string]map[string]any{}}
	var prev string
	for _, n := range doc.Graph {
		id, _ := n["@id"].(string)
		require.Regexp(t, idRE, id)
		require.Less(t, prev, id, "nodes are sorted by id, without duplicates")
		prev = id
		x.nodes[id] = n
	}
	for id, n := range x.nodes {
		for key, v := range n {
			for _, r := range refsIn(v) {
				require.Contains(t, x.nodes, r, "%s %s refers to a node the graph lacks", id, key)
			}
		}
	}
	return x
}

// refsIn lists the ids a property value refers to.
func refsIn(v any) []string {
	switch x := v.(type) {
	case map[string]any:
		if id, ok := x["@id"].(string); ok {
			return []string{id}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, refsIn(e)...)
		}
		return out
	}
	return nil
}

// ofType lists the nodes of a type, sorted by id.
func (x exported) ofType(typ string) []map[string]any {
	var out []map[string]any
	for _, n := range x.nodes {
		if n["@type"] == typ {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["@id"].(string), b["@id"].(string)) })
	return out
}

// one is the only node of a type whose property key has value want.
func (x exported) one(t testing.TB, typ, key, want string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, n := range x.ofType(typ) {
		if n[key] == want {
			found = append(found, n)
		}
	}
	require.Len(t, found, 1, "%s with %s = %q", typ, key, want)
	return found[0]
}

// action is the InvestigativeAction of the bundle's event at 1-based index i.
func (x exported) action(t testing.TB, v verified, i int) map[string]any {
	t.Helper()
	return x.one(t, "case-investigation:InvestigativeAction", "evidctl:commitment", v.bundle.Events[i-1].CommitmentString())
}

// follow is the node a reference property points to (the first when there are many).
func (x exported) follow(n map[string]any, key string) map[string]any {
	r := refsIn(n[key])
	if len(r) == 0 {
		return nil
	}
	return x.nodes[r[0]]
}

func (x exported) has(n map[string]any, key, id string) bool {
	return slices.Contains(refsIn(n[key]), id)
}

var (
	demoOnce     sync.Once
	demoVerified verified
	demoExported exported
)

// demo is the demo case and its export, built once for the tests that read it.
func demo(t *testing.T) (verified, exported) {
	t.Helper()
	demoOnce.Do(func() {
		demoVerified = demoCase(t)
		demoExported = export(t, demoVerified, caseuco.WithTool("evidctl", "test"))
	})
	if demoVerified.report == nil {
		t.Fatal("the demo case could not be built")
	}
	return demoVerified, demoExported
}

func TestExportDemoCase(t *testing.T) {
	v, x := demo(t)
	require.True(t, v.report.Valid, "%+v", v.report.Failures)
	actions := x.ofType("case-investigation:InvestigativeAction")
	require.Len(t, actions, len(v.bundle.Events)+1, "one action per event and the verification")
}

func TestExportItemHashes(t *testing.T) {
	v, x := demo(t)
	st, err := v.bundle.Events[0].Statement()
	require.NoError(t, err)
	disk := x.one(t, "uco-observable:ContentData", "uco-core:name", "2026-17/disk-1")
	require.Equal(t, "laptop disk image", disk["uco-core:description"])
	facet := x.follow(disk, "uco-core:hasFacet")
	require.Equal(t, "application/octet-stream", facet["uco-observable:mimeType"])
	require.Equal(t, map[string]any{"@type": "xsd:integer", "@value": "17000"}, facet["uco-observable:sizeInBytes"])
	got := map[string]string{}
	for _, h := range refsIn(facet["uco-observable:hash"]) {
		hv := x.nodes[h]["uco-types:hashValue"].(map[string]any)
		require.Equal(t, "xsd:hexBinary", hv["@type"])
		got[x.nodes[h]["uco-types:hashMethod"].(string)] = hv["@value"].(string)
	}
	want := map[string]string{}
	for _, d := range st.Predicate.Item.Digest {
		want[strings.ToUpper(string(d.Algorithm))] = d.Hex()
	}
	require.Len(t, want, 4)
	require.Equal(t, want, got)
}

func TestExportSealedPayloads(t *testing.T) {
	v, x := demo(t)
	var encrypted int
	for _, n := range x.ofType("uco-observable:ContentData") {
		if x.follow(n, "uco-core:hasFacet")["uco-observable:isEncrypted"] == true {
			encrypted++
		}
	}
	require.Equal(t, 4, encrypted, "the image as acquired and as re-sealed, the report, the disclosed record")
	reseal := x.action(t, v, 6)
	require.Equal(t, "reseal", reseal["uco-core:name"])
	before, after := x.action(t, v, 5), reseal // the receive before it acted on the first payload
	old := refsIn(before["uco-action:object"])
	var oldPayload string
	for _, id := range old {
		if strings.HasPrefix(id, "kb:sealed-payload-") {
			oldPayload = id
		}
	}
	require.NotEmpty(t, oldPayload)
	require.True(t, x.has(after, "uco-action:object", oldPayload))
	var newPayload string
	for _, id := range refsIn(after["uco-action:result"]) {
		if strings.HasPrefix(id, "kb:sealed-payload-") {
			newPayload = id
		}
	}
	require.NotEmpty(t, newPayload)
	require.NotEqual(t, oldPayload, newPayload)
	var fromImage []string
	for _, r := range x.ofType("uco-observable:ObservableRelationship") {
		if r["uco-core:kindOfRelationship"] == "Encrypted_From" && x.follow(r, "uco-core:target")["uco-core:name"] == "2026-17/disk-1" {
			fromImage = append(fromImage, refsIn(r["uco-core:source"])...)
		}
	}
	require.ElementsMatch(t, []string{oldPayload, newPayload}, fromImage)
}

func TestExportProvenanceChain(t *testing.T) {
	v, x := demo(t)
	// Events 1, 2, 4, 5, 6, … of the image: each takes the record the previous one left.
	chain := []int{1, 2, 4, 5, 6, 7, 8, 9}
	for k := 1; k < len(chain); k++ {
		prev, cur := x.action(t, v, chain[k-1]), x.action(t, v, chain[k])
		var record string
		for _, id := range refsIn(prev["uco-action:result"]) {
			if strings.HasPrefix(id, "kb:provenance-record-") {
				record = id
			}
		}
		require.True(t, x.has(cur, "uco-action:object", record), "event %d takes the record of event %d", chain[k], chain[k-1])
		require.True(t, x.has(cur, "case-investigation:wasInformedBy", prev["@id"].(string)))
		require.Equal(t, "2026-17/disk-1", x.nodes[record]["case-investigation:exhibitNumber"])
	}
}

func TestExportDerivation(t *testing.T) {
	v, x := demo(t)
	rep := x.one(t, "uco-observable:ContentData", "uco-core:name", "2026-17/disk-1/report")
	disk := x.one(t, "uco-observable:ContentData", "uco-core:name", "2026-17/disk-1")
	require.True(t, x.has(rep, "case-investigation:wasDerivedFrom", disk["@id"].(string)))
	derive := x.action(t, v, 3)
	require.True(t, x.has(derive, "uco-action:object", disk["@id"].(string)))
	require.True(t, x.has(derive, "uco-action:result", rep["@id"].(string)))
	require.Equal(t, "bulk_extractor", x.follow(derive, "uco-action:instrument")["uco-core:name"])
	var record map[string]any
	for _, id := range refsIn(derive["uco-action:result"]) {
		if strings.HasPrefix(id, "kb:provenance-record-") {
			record = x.nodes[id]
		}
	}
	require.Equal(t, []any{"2026-17/disk-1"}, record["case-investigation:rootExhibitNumber"])
}

func TestExportTransferAndAuthorization(t *testing.T) {
	v, x := demo(t)
	transfer, receive := x.action(t, v, 4), x.action(t, v, 5)
	require.Equal(t, "transfer", transfer["uco-core:name"])
	require.Equal(t, []any{"execution of MLA request"}, transfer["uco-core:description"])
	require.Equal(t, "A. Examiner", x.follow(transfer, "uco-action:performer")["uco-core:name"])
	require.Equal(t, "B. Officer", x.follow(transfer, "uco-action:participant")["uco-core:name"])
	auth := x.one(t, "case-investigation:Authorization", "case-investigation:authorizationIdentifier", "MLA-2026-44")
	require.True(t, x.has(transfer, "uco-action:instrument", auth["@id"].(string)))
	require.Equal(t, "mla", auth["case-investigation:authorizationType"])
	require.Equal(t, "UNTOC art. 18", auth["uco-core:name"])
	require.Equal(t, "MPF (BR)", auth["evidctl:requestingAuthority"])
	require.Equal(t, "BfJ (DE)", auth["evidctl:requestedAuthority"])
	require.True(t, x.has(receive, "case-investigation:wasInformedBy", transfer["@id"].(string)))
	require.Equal(t, "Bonn", x.follow(receive, "uco-action:location")["uco-core:name"])
	require.Equal(t, map[string]any{"@type": "xsd:dateTime", "@value": "2026-03-01T09:00:05Z"}, receive["uco-action:startTime"])
}

func TestExportParties(t *testing.T) {
	_, x := demo(t)
	p := x.one(t, "uco-identity:Person", "uco-core:name", "C. Promotora")
	require.Equal(t, "BR", p["evidctl:jurisdiction"])
	require.Regexp(t, `^[0-9a-f]{64}$`, p["evidctl:keyId"])
	related := map[string]map[string]any{}
	for _, r := range x.ofType("uco-core:Relationship") {
		if x.has(r, "uco-core:source", p["@id"].(string)) {
			related[r["uco-core:kindOfRelationship"].(string)] = x.follow(r, "uco-core:target")
		}
	}
	require.Equal(t, "case-investigation:Attorney", related["Has_Role"]["@type"])
	require.Equal(t, "Ministério Público Federal", related["Affiliated_With"]["uco-core:name"])
	require.Equal(t, "BR", related["Has_Jurisdiction"]["uco-core:name"])
}

func TestExportExtension(t *testing.T) {
	v, x := demo(t)
	rec := v.bundle.Events[0]
	a := x.action(t, v, 1)
	sig := x.follow(a, "evidctl:signature")
	require.Equal(t, rec.Envelope.Signatures[0].KeyID, sig["evidctl:keyId"])
	require.Equal(t, rec.Proof, a["evidctl:receipt"])
	r, err := rec.Receipt()
	require.NoError(t, err)
	require.Equal(t, string(r.Checkpoint), a["evidctl:checkpoint"])
	require.Equal(t, "evidence.test/log-1", a["evidctl:logOrigin"])
	require.Equal(t, map[string]any{"@type": "xsd:nonNegativeInteger", "@value": "0"}, a["evidctl:logIndex"])
	require.Equal(t, true, a["evidctl:verified"])
	require.Contains(t, a["evidctl:passedRule"], "signature")
}

// TestExportTrustedTime: each action carries the trusted interval the verifier built
// (bounds, sources) and the checkpoint its statement cites, beside the claimed time.
func TestExportTrustedTime(t *testing.T) {
	v := witnessedCase(t)
	require.True(t, v.report.Valid, "%+v", v.report.Failures)
	x := export(t, v)
	for i := 1; i <= len(v.bundle.Events); i++ {
		a := x.action(t, v, i)
		iv := v.report.Events[i-1].Interval
		require.NotNil(t, iv)
		require.True(t, iv.Anchored(), "%+v", iv)
		dt := func(tm time.Time) map[string]any {
			return map[string]any{"@type": "xsd:dateTime", "@value": tm.UTC().Format(time.RFC3339Nano)}
		}
		require.Equal(t, dt(witnessedT0), a["uco-action:startTime"], "the claimed time")
		require.Equal(t, dt(iv.Earliest), a["evidctl:earliestTime"])
		require.Equal(t, dt(iv.Latest), a["evidctl:latestTime"])
		require.Equal(t, dt(witnessedT0), a["evidctl:earliestTime"], "the anchor's cosignature")
		require.Equal(t, dt(witnessedT0.Add(time.Second)), a["evidctl:latestTime"], "the receipt's cosignature, plus its rounding")
		require.NotContains(t, a, "evidctl:timeWarning")

		var sources []map[string]any
		for _, id := range refsIn(a["evidctl:timeSource"]) {
			sources = append(sources, x.nodes[id])
		}
		require.Len(t, sources, len(iv.Sources))
		bounds := map[string]bool{}
		for _, s := range sources {
			require.Equal(t, "evidctl:TimeSource", s["@type"])
			require.Equal(t, "witness", s["evidctl:sourceKind"])
			require.Equal(t, "w1", s["evidctl:sourceName"])
			require.Equal(t, dt(witnessedT0), s["evidctl:sourceTime"])
			require.Regexp(t, `^evidctl\.test/\S+@\d+$`, s["evidctl:sourceCheckpoint"])
			bounds[s["evidctl:bound"].(string)] = true
		}
		require.Equal(t, map[string]bool{"earliest": true, "latest": true}, bounds)

		st, err := v.bundle.Events[i-1].Statement()
		require.NoError(t, err)
		an := st.Predicate.Anchor
		require.NotNil(t, an)
		require.Equal(t, an.Origin, a["evidctl:anchorOrigin"])
		require.Equal(t, map[string]any{"@type": "xsd:nonNegativeInteger", "@value": strconv.FormatUint(an.Size, 10)}, a["evidctl:anchorTreeSize"])
		require.Equal(t, base64.StdEncoding.EncodeToString(an.Hash[:]), a["evidctl:anchorRootHash"])
		require.Equal(t, an.Checkpoint, a["evidctl:anchorCheckpoint"])
		require.NotContains(t, a, "evidctl:anchorToken", "no TSA")
	}
}

// TestExportUnanchoredTime: without a witness or a TSA the policy trusts, an action has
// no bounds, and says why.
func TestExportUnanchoredTime(t *testing.T) {
	v, x := demo(t)
	a := x.action(t, v, 1)
	require.NotContains(t, a, "evidctl:earliestTime")
	require.NotContains(t, a, "evidctl:latestTime")
	require.Contains(t, a["evidctl:timeWarning"], "time unanchored")
	require.Contains(t, a, "evidctl:anchorOrigin", "the statement still cites its checkpoint")
}

func TestExportCasesAndVerdict(t *testing.T) {
	v, x := demo(t)
	inv := x.one(t, "case-investigation:Investigation", "uco-core:name", "2026-17")
	require.True(t, x.has(inv, "uco-core:object", x.action(t, v, 1)["@id"].(string)))
	x.one(t, "case-investigation:Investigation", "uco-core:name", "PO-2026-7")
	verdict := x.verdict(t)
	require.Equal(t, true, verdict["evidctl:valid"])
	require.Len(t, refsIn(verdict["uco-core:object"]), len(v.bundle.Events))
}

// verdict is the annotation tagged "verdict".
func (x exported) verdict(t testing.TB) map[string]any {
	t.Helper()
	for _, n := range x.ofType("uco-core:Annotation") {
		if slices.Contains(n["uco-core:tag"].([]any), any("verdict")) {
			return n
		}
	}
	t.Fatal("no verdict annotation")
	return nil
}

func TestExportInvalidBundle(t *testing.T) {
	v := tampered(t)
	require.False(t, v.report.Valid)
	x := export(t, v)
	verdict := x.verdict(t)
	require.Equal(t, false, verdict["evidctl:valid"])
	require.Contains(t, verdict["uco-core:statement"], "INVALID")
	note := x.action(t, v, 2)
	require.Equal(t, false, note["evidctl:verified"])
	require.Contains(t, note["evidctl:failedRule"], "signature")
	var failures int
	for _, a := range x.ofType("uco-core:Annotation") {
		if a["evidctl:rule"] == "signature" {
			failures++
			require.True(t, x.has(a, "uco-core:object", note["@id"].(string)))
			require.Equal(t, map[string]any{"@type": "xsd:integer", "@value": "2"}, a["evidctl:eventIndex"])
			require.Contains(t, a["uco-core:statement"], "event 2: rule signature failed")
		}
	}
	require.Equal(t, 1, failures)
}

func TestExportIsDeterministic(t *testing.T) {
	v := demoCase(t)
	v = verify(t, v.bundle, v.policy) // the same checks as the bundle read back below
	a := export(t, v, caseuco.WithTool("evidctl", "test"))
	b := export(t, v, caseuco.WithTool("evidctl", "test"))
	require.Equal(t, string(a.raw), string(b.raw))

	// The same bundle read back from its file and verified again: the same bytes.
	data, err := v.bundle.MarshalJSON()
	require.NoError(t, err)
	reread, err := custody.ParseBundle(data)
	require.NoError(t, err)
	c := export(t, verify(t, reread, v.policy), caseuco.WithTool("evidctl", "test"))
	require.Equal(t, string(a.raw), string(c.raw))

	// A verification time is the one thing that changes.
	at := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	d := export(t, v, caseuco.WithTool("evidctl", "test"), caseuco.WithVerificationTime(at))
	verification := d.one(t, "case-investigation:InvestigativeAction", "uco-core:name", "verify custody bundle")
	require.Equal(t, map[string]any{"@type": "xsd:dateTime", "@value": "2026-04-01T12:00:00Z"}, verification["uco-action:startTime"])
}

func TestExportRefusesAnotherReport(t *testing.T) {
	v, w := labAcquisition(t), crossBorder(t)
	for name, tc := range map[string]struct {
		b   *custody.Bundle
		rep *custody.Report
	}{
		"report of another bundle":   {v.bundle, w.report},
		"report with events missing": {w.bundle, &custody.Report{Events: w.report.Events[:2]}},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := caseuco.Export(&buf, tc.b, tc.rep)
			require.ErrorIs(t, err, caseuco.ErrReportMismatch)
			require.Zero(t, buf.Len(), "nothing written")
		})
	}
	require.Error(t, caseuco.Export(&bytes.Buffer{}, v.bundle, nil))
}

// TestExportEscapes puts hostile text in every free-text field: the export stays one
// JSON-LD document and every value reads back exactly as signed.
func TestExportEscapes(t *testing.T) {
	hostile := "\"}],\"@id\":\"kb:x\",\"a\":[{\"@value\":\"</script><script>alert(1)</script>\n\u0000\u2028 évidence"
	v := hostileCase(t, hostile)
	x := export(t, v)
	require.NotContains(t, string(x.raw), "<script>", "HTML-significant characters are escaped")
	item := x.one(t, "uco-observable:ContentData", "uco-core:name", hostile)
	require.Equal(t, hostile, item["uco-core:description"])
	p := x.one(t, "uco-identity:Person", "uco-core:name", hostile)
	require.NotNil(t, p)
	auth := x.ofType("case-investigation:Authorization")
	require.Len(t, auth, 1)
	require.Equal(t, hostile, auth[0]["case-investigation:authorizationIdentifier"])
}
