// Package trillianlog is evidctl's scale-out ledger: a Trillian personality
// (github.com/google/trillian) that keeps the log in a Trillian log tree over gRPC, for a
// lab network or a national authority that runs its log on MariaDB, MySQL, PostgreSQL or
// Spanner, with many log servers in front of one tree.
//
// # Use
//
//	// Once: create and initialise a tree, and the personality's note key.
//	ep, vkey, err := trillianlog.Init(ctx, "10.0.0.5:8090", "/etc/evidctl/trillian.key", "evidence.example.org/national-1")
//	// ep.String() is "trillian://10.0.0.5:8090/<tree id>"; put the origin and vkey in trust policies.
//
//	l, err := trillianlog.Open(ctx, "trillian://10.0.0.5:8090/1234", "/etc/evidctl/trillian.key")
//	defer l.Close()
//	rcpt, err := l.Append(ctx, commitment[:]) // returns once Trillian has integrated it
//
// A tree made with Trillian's own createtree (use --max_root_duration=0) works as well;
// then make the key with NewKey.
//
// # How it works
//
// Append queues the 32-byte leaf with QueueLeaf. A leaf Trillian already holds is not an
// error: Append returns the receipt of the existing entry. Trillian's signer
// (trillian_log_signer) integrates queued leaves into the tree in batches; while appends
// wait, the Log polls the tree's root (WithPollInterval) and reads each newly integrated
// range of leaves once, releasing the appends whose leaves it finds. Each receipt's
// inclusion path comes from Trillian and is verified here against the root before the
// receipt is handed out.
//
// Trillian does not sign its roots. The personality does: it turns each root into a C2SP
// tlog-checkpoint (origin, size, root hash) and signs it as a C2SP signed note with its
// Ed25519 note key, the same kind of key as ledger/posixlog's, so receipts have the same
// format and verify with the same [ledger.Trust]. Before signing a root larger than the
// last one it signed, it checks Trillian's consistency proof between the two, so it never
// signs a fork. Ed25519 signatures are deterministic: several personality processes in
// front of one tree, holding the same key, sign byte-identical checkpoints, which are
// consistent with each other because the tree is one.
//
// # Keys and origins
//
// The note key file holds a golang.org/x/mod/sumdb/note signer key ("PRIVATE+KEY+..."),
// mode 0600; Open refuses a file others may read. The key's name is the log's origin. Use
// one key, and so one origin, per tree: two trees signed under one origin would publish
// contradicting checkpoints.
//
// # Trillian settings
//
// Receipt latency is Trillian's integration delay (the signer's --sequencer_interval,
// 100 ms by default) plus one poll. Throughput is that of Trillian's storage; see
// docs/BENCHMARKS.md. scripts/trillian/ builds and runs trillian_log_server and
// trillian_log_signer v1.8.0 on MariaDB for tests. Errors from Trillian keep their gRPC
// status (status.Code works on them): ResourceExhausted is Trillian's pushback, and
// ledger/server answers it with 429. No call waits for Trillian longer than 30 s
// (WithCallTimeout), so a server that stalls without closing the connection fails an
// Append with codes.DeadlineExceeded instead of holding it for ever.
//
// # Witnesses
//
// With WithWitnessPolicy, the personality has each checkpoint it signs cosigned by the
// witnesses of a witness policy (C2SP tlog-witness servers, such as ledger/witness)
// before any receipt or checkpoint leaves it, so that a copy of the tree that grows
// another history cannot get its checkpoints cosigned. An append that cannot get the
// quorum in time fails with a *ledger.CosigningError; see WithWitnessPolicy.
package trillianlog
