package caseuco

import (
	"slices"
	"strconv"
	"strings"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
)

// hashMethods maps our digest algorithms to UCO's HashNameVocab.
var hashMethods = map[digest.Algorithm]string{
	digest.SHA256: "SHA256",
	digest.SHA512: "SHA512",
	digest.SHA1:   "SHA1",
	digest.MD5:    "MD5",
}

// hashesOf lists the digests of d, sorted by algorithm name.
func hashesOf(d digest.Set) []digest.Digest {
	out := slices.Clone(d)
	slices.SortFunc(out, func(a, b digest.Digest) int { return strings.Compare(string(a.Algorithm), string(b.Algorithm)) })
	return out
}

// hash adds the uco-types:Hash node of one digest and returns its id. A hash is named
// after its method and value, so equal digests share one node.
func (x *exporter) hash(d digest.Digest) string {
	method, ok := hashMethods[d.Algorithm]
	if !ok {
		method = strings.ToUpper(string(d.Algorithm))
	}
	id := iri("hash", method, d.Hex())
	return x.g.add(node{"@id": id, "@type": "uco-types:Hash",
		"uco-types:hashMethod": method, "uco-types:hashValue": hexBinary(d.Hex())})
}

// item is what the export knows of one item: its node and where its lineage starts.
type item struct {
	id    string   // the item id of the bundle
	first string   // the commitment of its first event in the bundle
	node  node     // the uco-observable:ContentData node
	facet node     // its uco-observable:ContentDataFacet
	algs  []string // the digest algorithms already on the facet
	roots []string // root exhibit numbers: the item's id, or its parents' roots
}

// itemFor returns the item of ev, creating its node at the item's first event in the
// bundle. Later events add what the first left empty (a media type, an extra digest),
// never replace it: the verifier checks that digests do not change.
func (x *exporter) itemFor(ev *custody.Event, commitment string) *item {
	it, ok := x.items[ev.Item.ID]
	if !ok {
		id := iri("item", commitment, ev.Item.ID)
		it = &item{id: ev.Item.ID, first: commitment,
			node:  node{"@id": id, "@type": "uco-observable:ContentData", "uco-core:name": ev.Item.ID},
			facet: node{"@id": iri("content-data-facet", id), "@type": "uco-observable:ContentDataFacet", "uco-observable:sizeInBytes": integer(ev.Item.Size)}}
		it.node["uco-core:hasFacet"] = refs(it.facet["@id"].(string))
		it.roots = x.roots(ev)
		x.g.add(it.node)
		x.g.add(it.facet)
		x.items[ev.Item.ID] = it
	}
	if _, ok := it.node["uco-core:description"]; !ok {
		it.node.set("uco-core:description", ev.Item.Description)
	}
	if _, ok := it.facet["uco-observable:mimeType"]; !ok {
		it.facet.set("uco-observable:mimeType", ev.Item.MediaType)
	}
	for _, d := range hashesOf(ev.Item.Digest) {
		if !slices.Contains(it.algs, string(d.Algorithm)) {
			it.algs = append(it.algs, string(d.Algorithm))
			x.addHash(it.facet, d)
		}
	}
	return it
}

// addHash adds one digest to a ContentDataFacet's hashes, kept sorted.
func (x *exporter) addHash(facet node, d digest.Digest) {
	var ids []string
	if cur, ok := facet["uco-observable:hash"].([]map[string]string); ok {
		for _, r := range cur {
			ids = append(ids, r["@id"])
		}
	}
	facet["uco-observable:hash"] = refs(append(ids, x.hash(d))...)
}

// roots is the root exhibit numbers of a new item: its own id, or for a derivation
// the roots of its parents.
func (x *exporter) roots(ev *custody.Event) []string {
	if len(ev.Parents) == 0 {
		return []string{ev.Item.ID}
	}
	var out []string
	for _, p := range ev.Parents {
		if parent, ok := x.items[p.ID]; ok {
			out = append(out, parent.roots...)
		} else {
			out = append(out, p.ID)
		}
	}
	return strs(out...)
}

// sealedPayload adds the node of an item's sealed payload (an age file: encrypted
// content data with its ciphertext digest) and its Encrypted_From relationship to the
// item, and returns its id, or "" when the item has no sealed payload. A payload is
// named after its ciphertext digest.
func (x *exporter) sealedPayload(ev *custody.Event, it *item) string {
	s := ev.Item.Sealed
	if s == nil {
		return ""
	}
	sum := s.Digest.SHA256().Hex()
	if sum == "" {
		return ""
	}
	id := iri("sealed-payload", sum)
	if x.g.has(id) {
		return id
	}
	facet := node{"@id": iri("content-data-facet", id), "@type": "uco-observable:ContentDataFacet",
		"uco-observable:isEncrypted": true, "uco-observable:sizeInBytes": integer(s.Size)}
	for _, d := range hashesOf(s.Digest) {
		x.addHash(facet, d)
	}
	n := node{"@id": id, "@type": "uco-observable:ContentData", "uco-core:hasFacet": refs(facet["@id"].(string)),
		"uco-core:name":        ev.Item.ID + custody.SealedSubjectSuffix,
		"uco-core:description": "the sealed (age-encrypted) payload of item " + ev.Item.ID}
	n.set("evidctl:recipient", strs(s.Recipients...))
	x.g.add(facet)
	x.g.add(n)
	x.relationship("uco-observable:ObservableRelationship", "Encrypted_From", id, it.node["@id"].(string))
	return id
}

// relationship adds a directional uco-core:Relationship (or subclass) of kind from
// source to target.
func (x *exporter) relationship(class, kind, source, target string) {
	x.g.add(node{"@id": iri("relationship", kind, source, target), "@type": class,
		"uco-core:kindOfRelationship": kind, "uco-core:isDirectional": true,
		"uco-core:source": refs(source), "uco-core:target": ref(target)})
}

// provenanceRecord adds the case-investigation:ProvenanceRecord of the item's state
// after one event: the item and its sealed payload of the moment, with the item's id as
// exhibit number and its lineage's roots as root exhibit numbers.
func (x *exporter) provenanceRecord(index int, ev *custody.Event, commitment string, it *item, sealed string) string {
	id := iri("provenance-record", commitment)
	n := node{"@id": id, "@type": "case-investigation:ProvenanceRecord",
		"case-investigation:exhibitNumber":     ev.Item.ID,
		"case-investigation:rootExhibitNumber": it.roots,
		"uco-core:object":                      refs(it.node["@id"].(string), sealed),
		"uco-core:description":                 "item " + ev.Item.ID + " after event " + strconv.Itoa(index) + " (" + string(ev.Type) + ") by " + ev.Actor.Name,
	}
	return x.g.add(n)
}
