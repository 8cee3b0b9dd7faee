package caseuco

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// NS is the extension namespace of evidctl terms in an export (prefix "evidctl"):
// what CASE and UCO have no term for — commitments, signatures, log receipts,
// verification results. docs/CASE-UCO.md lists every term.
const NS = "https://evidctl.dev/ns/custody#"

// MediaType is the media type of an export: JSON-LD.
const MediaType = "application/ld+json"

// context is the export's inline JSON-LD context: prefixes only, so that no remote
// context is ever fetched and every term is written in full ("uco-core:name").
var context = map[string]string{
	"case-investigation": "https://ontology.caseontology.org/case/investigation/",
	"evidctl":            NS,
	"kb":                 kbBase,
	"rdfs":               "http://www.w3.org/2000/01/rdf-schema#",
	"uco-action":         "https://ontology.unifiedcyberontology.org/uco/action/",
	"uco-core":           "https://ontology.unifiedcyberontology.org/uco/core/",
	"uco-identity":       "https://ontology.unifiedcyberontology.org/uco/identity/",
	"uco-location":       "https://ontology.unifiedcyberontology.org/uco/location/",
	"uco-observable":     "https://ontology.unifiedcyberontology.org/uco/observable/",
	"uco-role":           "https://ontology.unifiedcyberontology.org/uco/role/",
	"uco-tool":           "https://ontology.unifiedcyberontology.org/uco/tool/",
	"uco-types":          "https://ontology.unifiedcyberontology.org/uco/types/",
	"xsd":                "http://www.w3.org/2001/XMLSchema#",
}

// node is one JSON-LD node object: "@id", "@type" and properties. encoding/json
// writes its keys sorted, so a node always serialises to the same bytes.
type node map[string]any

// graph is the set of nodes of an export, by @id.
type graph struct {
	nodes map[string]node
}

func newGraph() *graph { return &graph{nodes: map[string]node{}} }

// add puts n in the graph under its @id unless a node of that id is there already (one
// party, tool or hash is met many times; the first meeting describes it) and returns
// the id.
func (g *graph) add(n node) string {
	id := n["@id"].(string)
	if _, ok := g.nodes[id]; !ok {
		g.nodes[id] = n
	}
	return id
}

// has reports whether a node of that id is in the graph.
func (g *graph) has(id string) bool {
	_, ok := g.nodes[id]
	return ok
}

// write encodes the graph as one JSON-LD document, nodes sorted by @id.
func (g *graph) write(w io.Writer) error {
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	bw := bufio.NewWriterSize(w, 64<<10)
	ctx, err := json.MarshalIndent(context, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "{\n  \"@context\": %s,\n  \"@graph\": [", ctx)
	for i, id := range ids {
		b, err := json.MarshalIndent(g.nodes[id], "    ", "  ")
		if err != nil {
			return fmt.Errorf("encoding node %s: %w", id, err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// ref is a reference to another node.
func ref(id string) map[string]string { return map[string]string{"@id": id} }

// refs is a sorted, duplicate-free list of references, nil when ids is empty (set()
// leaves a nil value out).
func refs(ids ...string) []map[string]string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []map[string]string
	for _, id := range ids {
		if id != "" {
			out = append(out, ref(id))
		}
	}
	return out
}

// strs is a sorted, duplicate-free list of the non-empty strings, nil when none.
func strs(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dateTime is an xsd:dateTime literal in UTC.
func dateTime(t time.Time) map[string]string {
	return map[string]string{"@type": "xsd:dateTime", "@value": t.UTC().Format(time.RFC3339Nano)}
}

// hexBinary is an xsd:hexBinary literal.
func hexBinary(hex string) map[string]string {
	return map[string]string{"@type": "xsd:hexBinary", "@value": hex}
}

// set sets n[key] = v unless v is empty (an empty string, a nil list, nil).
func (n node) set(key string, v any) {
	switch x := v.(type) {
	case nil:
		return
	case string:
		if x == "" {
			return
		}
	case []string:
		if len(x) == 0 {
			return
		}
	case []map[string]string:
		if len(x) == 0 {
			return
		}
	}
	n[key] = v
}
