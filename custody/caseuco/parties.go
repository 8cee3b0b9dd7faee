package caseuco

import (
	"strings"

	"github.com/evidctl/evidctl/custody"
)

// roleClasses maps the role an actor claims to CASE's role classes; any other role is a
// plain uco-role:Role named after it.
var roleClasses = map[string]string{
	"examiner":     "case-investigation:Examiner",
	"investigator": "case-investigation:Investigator",
	"attorney":     "case-investigation:Attorney",
	"prosecutor":   "case-investigation:Attorney",
	"lawyer":       "case-investigation:Attorney",
}

// person adds the uco-identity:Person of an actor, with its organisation, role and
// jurisdiction as related nodes, and returns its id. A person is named after the key
// it signs with and every field it claims, so one signer claiming two identities is
// two nodes.
func (x *exporter) person(a custody.Actor) string {
	id := iri("person", a.KeyID, a.Name, a.Organization, a.Role, a.Jurisdiction)
	if x.g.has(id) {
		return id
	}
	n := node{"@id": id, "@type": "uco-identity:Person", "uco-core:name": a.Name}
	n.set("evidctl:keyId", a.KeyID)
	n.set("evidctl:jurisdiction", a.Jurisdiction)
	n.set("evidctl:certificate", a.Certificate)
	x.g.add(n)
	if a.Organization != "" {
		org := x.g.add(node{"@id": iri("organization", a.Organization), "@type": "uco-identity:Organization", "uco-core:name": a.Organization})
		x.relationship("uco-core:Relationship", "Affiliated_With", id, org)
	}
	if a.Role != "" {
		class, ok := roleClasses[strings.ToLower(a.Role)]
		if !ok {
			class = "uco-role:Role"
		}
		role := x.g.add(node{"@id": iri("role", a.Role), "@type": class, "uco-core:name": a.Role})
		x.relationship("uco-core:Relationship", "Has_Role", id, role)
	}
	if a.Jurisdiction != "" {
		x.relationship("uco-core:Relationship", "Has_Jurisdiction", id, x.country(a.Jurisdiction))
	}
	return id
}

// country adds the uco-location:Location of a jurisdiction (an ISO 3166-1 alpha-2
// code, or EU) and returns its id.
func (x *exporter) country(code string) string {
	id := iri("jurisdiction", code)
	if x.g.has(id) {
		return id
	}
	facet := x.g.add(node{"@id": iri("simple-address-facet", id), "@type": "uco-location:SimpleAddressFacet",
		"uco-location:country": code, "uco-location:addressType": "jurisdiction"})
	return x.g.add(node{"@id": id, "@type": "uco-location:Location", "uco-core:name": code,
		"uco-core:hasFacet": refs(facet)})
}

// place adds the uco-location:Location an event names (free text) and returns its id,
// or "" for none.
func (x *exporter) place(text string) string {
	if text == "" {
		return ""
	}
	return x.g.add(node{"@id": iri("location", text), "@type": "uco-location:Location", "uco-core:name": text})
}

// tool adds the uco-tool:Tool an event names and returns its id, or "" for none.
func (x *exporter) tool(t *custody.Tool) string {
	if t == nil || t.Name == "" {
		return ""
	}
	n := node{"@id": iri("tool", t.Name, t.Version, t.Digest), "@type": "uco-tool:Tool", "uco-core:name": t.Name}
	n.set("uco-tool:version", t.Version)
	n.set("evidctl:toolDigest", t.Digest)
	return x.g.add(n)
}

// authorization adds the case-investigation:Authorization of an event's legal
// authority and returns its id, or "" for none. Events citing the same authority share
// one node.
func (x *exporter) authorization(l *custody.Legal) string {
	if l == nil {
		return ""
	}
	id := iri("authorization", string(l.Kind), l.Basis, l.Reference, l.Requesting, l.Requested)
	if x.g.has(id) {
		return id
	}
	n := node{"@id": id, "@type": "case-investigation:Authorization",
		"case-investigation:authorizationType": string(l.Kind), "uco-core:name": authorizationName(l)}
	n.set("case-investigation:authorizationIdentifier", l.Reference)
	n.set("uco-core:description", authorizationText(l))
	n.set("evidctl:legalBasis", l.Basis)
	n.set("evidctl:requestingAuthority", l.Requesting)
	n.set("evidctl:requestedAuthority", l.Requested)
	return x.g.add(n)
}

// authorizationName is the legal basis, else the kind: "UNTOC art. 18".
func authorizationName(l *custody.Legal) string {
	if l.Basis != "" {
		return l.Basis
	}
	return string(l.Kind)
}

// authorizationText says the whole authority in one sentence for a reader.
func authorizationText(l *custody.Legal) string {
	parts := []string{string(l.Kind)}
	if l.Basis != "" {
		parts = append(parts, "under "+l.Basis)
	}
	if l.Reference != "" {
		parts = append(parts, "reference "+l.Reference)
	}
	if l.Requesting != "" {
		parts = append(parts, "requested by "+l.Requesting)
	}
	if l.Requested != "" {
		parts = append(parts, "addressed to "+l.Requested)
	}
	return strings.Join(parts, ", ")
}
