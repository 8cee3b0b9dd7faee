// Package witness runs a transparency-log witness: an independent party that cosigns a
// log's checkpoints, each only if it is consistent with every checkpoint of that log the
// witness cosigned before. A court that requires the cosignatures of witnesses it trusts
// need not trust the log operator: a log that shows two histories cannot get both
// cosigned.
//
// The witness is transparency-dev/witness, not a re-implementation: its witness.New over
// its SQLite persistence (modernc.org/sqlite, pure Go), served by its HTTP handler. It
// speaks C2SP tlog-witness (https://c2sp.org/tlog-witness, POST /add-checkpoint) and
// signs C2SP tlog-cosignature/v1 cosignatures (Ed25519, with a timestamp).
//
// # Use
//
//	vkey, err := witness.Init("/var/lib/witness", "witness.court.example/1") // once
//	err = witness.AddLog("/var/lib/witness", origin, logVerifierKey)          // per log
//	err = witness.Serve(ctx, "/var/lib/witness", "127.0.0.1:7380")            // until ctx ends
//
// Give vkey to the logs' operators and to the verifiers: it goes on a "witness NAME VKEY
// URL" line of their witness policy ([ledger.ParseWitnessPolicy]).
//
// # On disk
//
//	witness.key   the note signing key, PLAIN text, mode 0600: whoever reads it can cosign
//	              as this witness, so keep the directory private and backed up
//	witness.db    SQLite (WAL, synchronous=FULL): the logs the witness accepts, and for
//	              each the latest checkpoint it cosigned
//
// # Answers
//
// Status codes are those of C2SP tlog-witness: 200 with the cosignature lines; 404 for a
// log the witness does not accept; 403 when no signature by the log's key verifies; 400
// for a malformed request or an old size above the checkpoint's; 409 with the body
// "SIZE\n" and Content-Type text/x.tlog.size when the old size is not the size the
// witness last cosigned (the client proves consistency from SIZE and asks again); 409
// with "SIZE\n" as text/plain when the witness already cosigned another root for this
// very size (a fork); 422 when the consistency proof does not verify (a fork, or a bad
// proof); 413 for a body over 16 KiB; 429 when the state is busy.
//
// # Crash safety
//
// The check of the old size and the update of the stored checkpoint are one SQLite
// transaction, committed durably before the cosignature is returned. A witness killed at
// any moment restarts from its last committed checkpoint of each log: it never cosigns two
// roots for one size, nor a checkpoint inconsistent with one it returned.
package witness
