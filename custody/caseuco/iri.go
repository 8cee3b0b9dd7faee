package caseuco

import (
	"crypto/sha1" //nolint:gosec // RFC 9562 name-based UUIDs (version 5) are defined over SHA-1; nothing here relies on its collision resistance for security.
	"encoding/hex"
	"strconv"
	"strings"
)

// Instance IRIs. Every node of an export is named kb:KIND-UUID, where the UUID is a
// version 5 (name-based, RFC 9562) UUID of what the node stands for: an event's
// commitment, an item's opening commitment and id, a hash's method and value, a
// party's key id and claimed identity. Two exports of the same bundle therefore name
// every node alike, and so do exports of two bundles that share events, so their
// graphs merge. Names end in a UUID, as UCO advises (core:UcoThing-identifier-regex-shape).

// kbBase is the namespace of instance IRIs (the "kb" prefix of the export's context).
const kbBase = "https://evidctl.dev/kb/"

// nameSpace is the UUID namespace of every name, cadd6498-b33d-5035-9af5-af2f2e761a38:
// uuid5 of NS in RFC 9562's URL namespace, so no other producer's version 5 UUIDs
// collide with ours.
var nameSpace = uuid5(urlNamespace, []string{NS})

// urlNamespace is RFC 9562's namespace ID for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
var urlNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuid5 is the version 5 UUID of parts in namespace ns. Each part is length-prefixed,
// so no two different lists of parts share a name ("a","bc" differs from "ab","c").
func uuid5(ns [16]byte, parts []string) [16]byte {
	h := sha1.New() //nolint:gosec // see the import
	h.Write(ns[:])
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u
}

// formatUUID is the canonical 8-4-4-4-12 lowercase form.
func formatUUID(u [16]byte) string {
	var b strings.Builder
	b.Grow(36)
	for i, part := range [][]byte{u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]} {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(hex.EncodeToString(part))
	}
	return b.String()
}

// iri names a node of the given kind ("investigative-action", "hash", …) after parts,
// in the compact form "kb:KIND-UUID".
func iri(kind string, parts ...string) string {
	return "kb:" + kind + "-" + formatUUID(uuid5(nameSpace, append([]string{kind}, parts...)))
}
