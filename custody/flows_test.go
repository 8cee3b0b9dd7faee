package custody_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

// multiCase is a provider's disclosure that crosses to another state's log: several
// items, a preservation honoured by a disclosure, derivation, reseal, return, disposal.
type multiCase struct {
	d        *testkit.Deployment
	b        *custody.Bundle
	ids      []string
	payloads map[string][]byte // item id → current sealed payload
}

var records = [][]byte{[]byte("subscriber record 1\n"), []byte("traffic data 2\n"), []byte("content 3\n")}

func newMultiCase(t *testing.T) *multiCase {
	t.Helper()
	ctx := context.Background()
	d := testkit.New(t, "provider")
	l2 := d.AddLog(t, "authority.test/log")
	auth := d.AddParty(t, "authority", "DE", l2)
	pros := d.AddParty(t, "prosecutor", "BR", l2)
	prov := d.Parties["provider"]
	order := &custody.Legal{Kind: custody.Production, Basis: "Budapest Convention art. 18", Reference: "PO-2026-7", Requesting: "Parquet de Paris", Requested: "Provider Ltd"}

	pres, err := prov.Custodian.Preserve(ctx, []custody.Evidence{
		{ItemID: "rec-1", Description: "subscriber", Source: bytes.NewReader(records[0])},
		{ItemID: "rec-2", Description: "traffic", Source: bytes.NewReader(records[1])},
	}, nil, custody.Details{Legal: &custody.Legal{Kind: custody.Preservation, Basis: "Budapest Convention art. 29", Reference: "PR-2026-3"}})
	require.NoError(t, err)

	mc := &multiCase{d: d, payloads: map[string][]byte{}}
	var sealed [3]bytes.Buffer
	var es []custody.Evidence
	for i, id := range []string{"rec-1", "rec-2", "rec-3"} {
		es = append(es, custody.Evidence{ItemID: id, Description: id, Source: bytes.NewReader(records[i]), Sealed: &sealed[i]})
	}
	b, err := prov.Custodian.Disclose(ctx, pres, es, custody.Sealing{Recipients: []string{auth.Recipient}}, custody.Details{Legal: order})
	require.NoError(t, err)
	for i, id := range []string{"rec-1", "rec-2", "rec-3"} {
		mc.payloads[id] = sealed[i].Bytes()
		_, err = prov.Custodian.Transfer(ctx, b, id, auth.Actor, custody.Details{Legal: order})
		require.NoError(t, err)
		_, err = auth.Custodian.Receive(ctx, b, id, bytes.NewReader(mc.payloads[id]), custody.Details{})
		require.NoError(t, err)
	}
	// A translation derived from rec-1.
	var tr bytes.Buffer
	_, err = auth.Custodian.Derive(ctx, b, []string{"rec-1"}, custody.Evidence{ItemID: "rec-1-en", Description: "translation", Source: bytes.NewReader([]byte("translated record")), Sealed: &tr},
		custody.Sealing{Recipients: []string{auth.Recipient}}, custody.Details{Purpose: "translation"})
	require.NoError(t, err)
	mc.payloads["rec-1-en"] = tr.Bytes()
	// rec-2 resealed to the prosecutor, then handed over.
	var rs bytes.Buffer
	_, err = auth.Custodian.Reseal(ctx, b, "rec-2", bytes.NewReader(mc.payloads["rec-2"]), []age.Identity{auth.Identity}, &rs,
		custody.Sealing{Recipients: []string{pros.Recipient}}, custody.Details{Purpose: "cross-border"})
	require.NoError(t, err)
	mc.payloads["rec-2"] = rs.Bytes()
	_, err = auth.Custodian.Transfer(ctx, b, "rec-2", pros.Actor, custody.Details{Legal: &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18"}})
	require.NoError(t, err)
	_, err = pros.Custodian.Receive(ctx, b, "rec-2", bytes.NewReader(mc.payloads["rec-2"]), custody.Details{})
	require.NoError(t, err)
	_, err = auth.Custodian.Note(ctx, b, "rec-1", "translation certified", custody.Details{})
	require.NoError(t, err)
	_, err = auth.Custodian.Return(ctx, b, "rec-3", &prov.Actor, custody.Details{Purpose: "not needed"})
	require.NoError(t, err)
	_, err = auth.Custodian.Dispose(ctx, b, "rec-1-en", custody.Details{Purpose: "superseded"})
	require.NoError(t, err)
	mc.b = b
	mc.ids, err = b.Items()
	require.NoError(t, err)
	return mc
}

func TestMultiItemMultiLogCaseIsValid(t *testing.T) {
	mc := newMultiCase(t)
	require.Equal(t, []string{"rec-1", "rec-2", "rec-3", "rec-1-en"}, mc.ids)
	rep, err := custody.Verify(context.Background(), mc.b, mc.d.Policy, custody.WithPayload("rec-2.age", bytes.NewReader(mc.payloads["rec-2"])),
		custody.WithIdentities(mc.d.Parties["prosecutor"].Identity),
		custody.WithEvidence("traffic", bytes.NewReader(records[1])))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	require.True(t, rep.Valid, buf.String())
	states := map[string]string{}
	for _, it := range rep.Items {
		states[it.ID] = it.State
	}
	require.Equal(t, map[string]string{"rec-1": "held", "rec-2": "held", "rec-3": "returned", "rec-1-en": "disposed"}, states)
	logs := map[string]bool{}
	for _, e := range rep.Events {
		logs[e.Log] = true
	}
	require.Len(t, logs, 2, "events on both logs")
}

func TestOperationsRefuseWhatVerificationRejects(t *testing.T) {
	ctx := context.Background()
	mc := newMultiCase(t)
	prov, auth := mc.d.Parties["provider"], mc.d.Parties["authority"]
	before := len(mc.b.Events)
	var refused *custody.RefusedError

	_, err := prov.Custodian.Access(ctx, mc.b, "rec-1", custody.Details{Purpose: "peek"})
	require.ErrorAs(t, err, &refused, "access by a former custodian")
	require.Equal(t, custody.RuleCustodian, refused.Violations[0].Rule)

	_, err = auth.Custodian.Access(ctx, mc.b, "rec-3", custody.Details{Purpose: "after return"})
	require.ErrorAs(t, err, &refused)
	require.Equal(t, custody.RuleClosed, refused.Violations[0].Rule)

	_, err = auth.Custodian.Receive(ctx, mc.b, "rec-1", nil, custody.Details{})
	require.ErrorAs(t, err, &refused, "receive with no open transfer")

	_, err = auth.Custodian.Access(ctx, mc.b, "no-such-item", custody.Details{Purpose: "x"})
	require.ErrorIs(t, err, custody.ErrUnknownItem)
	require.Len(t, mc.b.Events, before, "refused operations add nothing")
}

func TestDiscloseChecksPreservedDigests(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "provider")
	prov := d.Parties["provider"]
	pres, err := prov.Custodian.Preserve(ctx, []custody.Evidence{{ItemID: "rec-1", Source: bytes.NewReader(records[0])}}, nil,
		custody.Details{Legal: &custody.Legal{Kind: custody.Preservation}})
	require.NoError(t, err)
	var sealed bytes.Buffer
	_, err = prov.Custodian.Disclose(ctx, pres, []custody.Evidence{{ItemID: "rec-1", Source: bytes.NewReader([]byte("edited record")), Sealed: &sealed}},
		custody.Sealing{Recipients: []string{prov.Recipient}}, custody.Details{Legal: &custody.Legal{Kind: custody.Production}})
	var refused *custody.RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, custody.RuleDigest, refused.Violations[0].Rule)
	require.Len(t, pres.Events, 1, "the preservation bundle is unchanged")
}

func TestReceiveChecksPayloadOnArrival(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority")
	b, payload := d.Acquire(t, "lab", []byte("image"))
	_, err := d.Parties["lab"].Custodian.Transfer(ctx, b, "", d.Parties["authority"].Actor, custody.Details{})
	require.NoError(t, err)
	bad := bytes.Clone(payload)
	bad[len(bad)-1] ^= 1
	_, err = d.Parties["authority"].Custodian.Receive(ctx, b, "", bytes.NewReader(bad), custody.Details{})
	var refused *custody.RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, custody.RulePayload, refused.Violations[0].Rule)
}

func TestResealRefusesWrongPayload(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority")
	b, payload := d.Acquire(t, "lab", []byte("image"))
	var out bytes.Buffer
	lab := d.Parties["lab"]
	_, otherPayload := d.Acquire(t, "lab", []byte("something else"))
	_, err := lab.Custodian.Reseal(ctx, b, "", bytes.NewReader(otherPayload), []age.Identity{lab.Identity}, &out,
		custody.Sealing{Recipients: []string{d.Parties["authority"].Recipient}}, custody.Details{})
	require.Error(t, err)
	require.Len(t, b.Events, 1)
	_, err = lab.Custodian.Reseal(ctx, b, "", bytes.NewReader(payload), []age.Identity{d.Parties["authority"].Identity}, &out,
		custody.Sealing{Recipients: []string{d.Parties["authority"].Recipient}}, custody.Details{})
	require.Error(t, err, "an identity that cannot decrypt")
	require.Len(t, b.Events, 1)
}

// TestBundlesValidateAgainstSchemas: every bundle, statement and policy the code writes
// validates against the published JSON Schemas in docs/schema.
func TestBundlesValidateAgainstSchemas(t *testing.T) {
	mc := newMultiCase(t)
	c := jsonschema.NewCompiler()
	load := func(name string) *jsonschema.Schema {
		path, err := filepath.Abs(filepath.Join("..", "docs", "schema", name))
		require.NoError(t, err)
		s, err := c.Compile(path)
		require.NoError(t, err, name)
		return s
	}
	bundleSchema, eventSchema, policySchema := load("bundle.schema.json"), load("custody-event.schema.json"), load("trust-policy.schema.json")
	reportSchema := load("report.schema.json")
	validate := func(s *jsonschema.Schema, data []byte) error {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		return s.Validate(v)
	}
	data, err := json.Marshal(mc.b)
	require.NoError(t, err)
	require.NoError(t, validate(bundleSchema, data))
	for i, r := range mc.b.Events {
		require.NoError(t, validate(eventSchema, r.Envelope.Payload), "event %d", i+1)
	}
	pol, err := json.Marshal(mc.d.Policy)
	require.NoError(t, err)
	require.NoError(t, validate(policySchema, pol))

	// Reports, valid and invalid, validate against the report schema.
	for i, b := range []*custody.Bundle{mc.b, {Events: append([]*custody.Record{mc.b.Events[1]}, mc.b.Events[3:]...)}} {
		rep, err := custody.Verify(context.Background(), b, mc.d.Policy, custody.WithPayload("rec-3.age", bytes.NewReader(mc.payloads["rec-3"])))
		require.NoError(t, err)
		require.Equal(t, i == 0, rep.Valid, "the first bundle is valid, the cut one is not")
		var out bytes.Buffer
		require.NoError(t, rep.WriteJSON(&out))
		require.NoError(t, validate(reportSchema, out.Bytes()), "report (valid=%v)", rep.Valid)
	}

	// The schemas are not vacuous: a bad jurisdiction and an unknown event type fail.
	bad := bytes.Replace(mc.b.Events[0].Envelope.Payload, []byte(`"jurisdiction":"FR"`), []byte(`"jurisdiction":"France"`), 1)
	require.Error(t, validate(eventSchema, bad))
	bad = bytes.Replace(mc.b.Events[0].Envelope.Payload, []byte(`"type":"preserve"`), []byte(`"type":"steal"`), 1)
	require.Error(t, validate(eventSchema, bad))
	require.Error(t, validate(bundleSchema, bytes.Replace(data, []byte(custody.BundleMediaType), []byte("application/json"), 1)))
	var schemaErr *jsonschema.ValidationError
	require.True(t, errors.As(validate(policySchema, []byte(`{"mediaType":"x","logs":[],"signers":[]}`)), &schemaErr))
}
