// Package custody keeps electronic evidence admissible as it moves between
// organisations and across borders: every custody action becomes a signed statement,
// its commitment is appended to a verifiable log, and the statements travel with the
// evidence in one bundle from which a court answers its questions offline.
//
// # The flow
//
// A [Custodian] is a party that acts: a signer (crypto/sign), the identity it claims
// (an [Actor]: a [Party] — name, organisation, role, jurisdiction — and its key id) and
// the ledger it appends to.
//
//	lab, _ := custody.NewCustodian(signer, custody.Actor{Party: custody.Party{Name: "A. Examiner", Organization: "Lab", Jurisdiction: "FR"}}, log)
//	b, _ := lab.Acquire(ctx, custody.Evidence{Source: image, Sealed: ageFile}, custody.Sealing{Recipients: []string{"age1…"}}, custody.Details{Case: "2026-17"})
//	_, _ = lab.Transfer(ctx, b, "", authority, custody.Details{Purpose: "MLA request 2026/44"})
//	_ = b.WriteFile("case.custody.json")
//
// A court verifies with a trust policy ([Policy]: the logs and signers it trusts):
//
//	report, _ := custody.Verify(ctx, b, policy, custody.WithPayload("case.age", payload))
//	report.WriteText(os.Stdout) // report.Valid is the verdict
//
// # Formats
//
// Each event is an in-toto Statement v1 ([Statement]) whose predicate, of type
// [PredicateType], is an [Event]; it is signed in a DSSE envelope. Its commitment is the
// SHA-256 of the envelope's PAE ([Record.Commitment]), and its log entry the 64 bytes
// tag || commitment: the tag, keyed by the item's secret [ItemKey], names the custody
// event it follows, so a ledger refuses a second successor of any event (a double
// transfer from a copy of the bundle; the refusal is a [RefusedError] under RuleFork).
// The log never sees case data.
// Each event's receipt is a C2SP tlog-proof. A [Bundle] (NAME.custody.json) holds the
// envelopes with their receipts, consistency proofs between checkpoints, and the
// checkpoints the statements cite as anchors; the sealed payload travels beside it as
// NAME.age, a plain age file. JSON Schemas are in docs/schema.
//
// # Reading
//
// Statements, bundles and policies are read strictly, with the semantics of
// encoding/json/v2: exact, case-sensitive member names, each once, no unknown member,
// valid UTF-8, canonical base64; a [*FormatError] says what is wrong and where. Two
// JSON readers cannot see two different documents in the same signed bytes. Reading
// a bundle ([DecodeBundle], [ReadBundle]) streams under [Limits] (size, events,
// signatures per envelope, certificate chain length) and stops at the first thing over
// a limit ([*LimitError], [ErrLimit]).
//
// # What verification proves
//
// [Verify] checks, for every event: the statement (RuleStatement), a signature by a
// key the policy trusts for the actor named (RuleSignature, RuleActor), inclusion in a
// trusted log (RuleInclusion, RuleCheckpoint); per item, one hash chain through prev
// (RuleChain, RuleFork, RuleDuplicate, RuleOrder), that only the custodian acts
// (RuleCustodian), that only the named recipient receives (RuleRecipient,
// RuleTransfer), that the claimed time lies within the event's trusted interval and
// times do not go backwards (RuleTime), that digests do not change (RuleDigest,
// RuleSealed), that nothing follows a return or disposal (RuleClosed); across the
// bundle, that the checkpoints of each log are consistent (RuleConsistency); and, when
// given, that the payload and the evidence match their digests (RulePayload,
// RulePlaintext). Each failure names the event, the rule, what was expected and what
// was found.
//
// # Trusted time
//
// Each event gets a [TimeInterval] from evidence in the bundle that the policy trusts:
// signed no earlier than the trusted time of its [Anchor] (the log's checkpoint the
// custodian read just before signing, with its witness cosignatures and RFC 3161 token),
// logged no later than the trusted time of its receipt's checkpoint. Rule time judges
// the claimed time against it (within the policy's MaxSkew; MaxInterval bounds its
// width), RuleAnchor the anchor's evidence, and RuleKey the signer's ValidFrom,
// ValidUntil and Revoked over the whole interval; certificates are judged at both of
// its bounds. An interval without a bound is a warning ([WarnUnanchoredTime]), or a
// failure when the policy sets RequireAnchoredTime. docs/TRUST.md has the details.
//
// Each rule's meaning, for a report or a refusal, is [Rule.Meaning].
//
// # Completeness
//
// Verify proves what a bundle shows. [Audit] reads the whole log up to a checkpoint the
// policy accepts and reports what the bundle does not show: a branch (an entry that
// follows the same custody event as one of the bundle's), a hidden event (an entry that
// follows an item's last event in the bundle), a bundle entry missing from the log.
// [AuditAll] lists every tag a log holds twice. Both end with the checkpoint they are
// complete as of ([AuditReport]).
//
// # Payloads
//
// [Bundle.MatchPayload] reads a sealed payload once and says which item it belongs to
// and what it breaks; with [DecryptTo] it decrypts it in the same read and checks the
// plaintext. Receive and Verify match payloads the same way.
//
// # Errors
//
// Operations refuse, before signing anything, an event the verifier would reject
// ([RefusedError], naming every [Violation]) and an argument they cannot use
// ([ArgumentError]); an item id the bundle does not hold wraps [ErrUnknownItem].
// Messages say what was being done, never the package's name.
package custody
