// Package caseuco exports a custody bundle and its verification as a CASE 1.4 / UCO 1.4
// JSON-LD graph, the interchange format of the forensic community (the
// Cyber-investigation Analysis Standard Expression on the Unified Cyber Ontology), so
// that a chain of custody enters the tools that speak it.
//
//	report, err := custody.Verify(ctx, bundle, policy)
//	// …
//	err = caseuco.Export(w, bundle, report, caseuco.WithTool("evidctl", version))
//
// # The mapping
//
// Each item is a uco-observable:ContentData with a ContentDataFacet (size, media type,
// and one uco-types:Hash per digest: SHA256, and SHA512, SHA1, MD5 when they were
// asked for); each sealed payload (an age file) is an encrypted ContentData related to
// its item by an Encrypted_From relationship. Each event is a
// case-investigation:InvestigativeAction named after its type (acquire, transfer, …)
// with its performer (a uco-identity:Person related to its organisation, role and
// jurisdiction), the named counterparty as participant, the tool and the
// case-investigation:Authorization (the legal basis and reference) as instruments, its
// location and time. Each event leaves a case-investigation:ProvenanceRecord of the item
// (the item's id as exhibit number); the next event on the item takes that record as its
// object, so the records and actions form the chain of custody, and
// case-investigation:wasInformedBy links each action to the one before it, to the
// transfer a receive accepts, and to the parents' events a derivation cites. Events of
// one case are gathered in a case-investigation:Investigation.
//
// The verification is an InvestigativeAction of the verifying tool on every event's
// action; its results are uco-core:Annotation nodes: the verdict, and one per failed
// check with the rule, what was expected and what was found.
//
// # The extension namespace
//
// What CASE has no term for is in [NS] (prefix "evidctl"): on each action the
// envelope's commitment (the log leaf), its signatures (evidctl:Signature nodes with key
// id and signature), its receipt (log origin, index, tree size, root hash, checkpoint,
// and the whole C2SP tlog-proof), prev, transfer and parent commitments, the case, the
// rules the verifier checked, the event's trusted time interval with its sources
// (evidctl:TimeSource nodes) and the checkpoint its statement cites (its anchor): CASE
// has no term for bounds on an action's time, so uco-action:startTime and endTime hold
// the time the statement claims; on persons their key id, jurisdiction and
// certificate; on sealed payloads their age recipients. An evidctl verifier ties the
// graph back to a bundle by the commitments and signatures. docs/CASE-UCO.md lists
// every term.
//
// # Identifiers and determinism
//
// Every node is an IRI kb:KIND-UUID (kb is https://evidctl.dev/kb/) with a name-based
// (version 5) UUID of what the node stands for: an event's commitment, an item's first
// commitment and id, a digest, a signer's key and claimed identity. Nodes are sorted
// by id and lists by value, so the same bundle and report always give the same bytes
// (unless [WithVerificationTime] adds the time of the verification), and exports of
// bundles that share events merge into one graph.
//
// # Validation
//
// tools/caseuco/validate.mjs validates an export against the CASE 1.4.0 and UCO 1.4.0
// ontologies and their SHACL shapes (node and npm; see its README). The tests of this
// package run it when node is present.
package caseuco
