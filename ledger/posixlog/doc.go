// Package posixlog is evidctl's embedded ledger: a C2SP tlog-tiles transparency log in a
// local directory, kept by Tessera's POSIX storage (github.com/transparency-dev/tessera).
// It needs no server and no database, several processes may append to one directory at
// once, and it survives kill -9 at any moment.
//
// # Use
//
//	vkey, err := posixlog.Init("/var/lib/evidctl/log", "/etc/evidctl/log.key", "evidence.example.org/lab-1")
//	...
//	l, err := posixlog.Open(ctx, "/var/lib/evidctl/log", "/etc/evidctl/log.key")
//	defer l.Close()
//	rcpt, err := l.Append(ctx, commitment[:]) // returns once a signed checkpoint covers it
//
// Put the origin and vkey in the trust policy ([ledger.Trust]) of everyone who verifies.
//
// # On disk
//
// The log directory is a tlog-tiles log (https://c2sp.org/tlog-tiles), which any static
// HTTP server can publish as is:
//
//	checkpoint          the latest signed checkpoint (C2SP tlog-checkpoint)
//	tile/<L>/<N>[.p/<W>] Merkle tree tiles
//	tile/entries/<N>[.p/<W>] entry bundles: the leaves themselves (64-byte entries, legacy 32-byte commitments)
//	.state/             Tessera's private (not secret) coordination state and lock files
//	.tags/              the tag index (below)
//
// The signing key is a golang.org/x/mod/sumdb/note Ed25519 signer key ("PRIVATE+KEY+...")
// in its own file, mode 0600, which Init and Open refuse to place inside the directory.
// The log's origin is the key's name.
//
// # Concurrency and durability
//
// Processes coordinate through fcntl locks on files under .state, as Tessera's POSIX
// driver does, and flock locks under .tags; within one process a directory may be opened
// once at a time (share the *Log). One process at a time hands Tessera leaves (its turn:
// a flock of .tags/turn.lock, held until Tessera has sequenced them), so that Linux never
// takes Tessera's locks in two processes for a deadlock (EDEADLK, on which Tessera v1.0.4
// panics). The processes must run on one machine: the directory may not be shared by
// several machines over a network file system. Every file is written to a temporary
// name, synced, and renamed, so a crash leaves either the old or the new version: a
// receipt, once returned, stays valid, and later checkpoints are consistent with it.
// Temporary files of an interrupted write may be left behind; they are harmless.
//
// # The tag index and the single-successor rule
//
// An entry's tag may be logged once: a second entry with the tag and another commitment
// is refused with a *ledger.ConflictError naming the first's index, and the same entry
// again returns the existing receipt. (A legacy 32-byte leaf is its own tag, so it too
// is logged once.) The index in .tags records, per tag, in one of 256 shard files
// appended under flock: Reserved before the leaf goes to Tessera; Logged with its index
// once Tessera has sequenced it; Freed if it never reached the log. An append that finds
// a tag reserved waits while the reserving Log is open (each open Log holds a flock'ed
// lease file in .tags/owners), and reconciles it once that Log is gone: it looks for the
// reserved leaf in the log from the size recorded with the reservation, and records it
// Logged if found, or takes the tag if not. A record torn by a crash at the end of a
// shard is dropped. No append waits for an fsync of the index: the page cache, which
// every process shares and which outlives each of them, keeps it through any kill -9;
// after a power loss or a kernel crash (the boot id changes) the first Open reconciles
// the index with the log from a durable watermark, which open Logs move up every 30 s.
// Where the system has no boot id, reservations are fsynced instead, one round for all
// those waiting. [CheckIndex] checks, offline, that index and log agree. The argument
// that this keeps the single-successor rule through crashes is at the top of index.go.
//
// [NewReader] reads a log directory (or a copy) without its key, for audits
// (ledger.Scan, ledger.FindTags, ledger.FindConflicts); Log.ReadLeaves does the same for
// an open log.
//
// # Timing
//
// Append waits for its leaf's batch (WithBatchMaxAge, default 10 ms), for integration, and
// for the next checkpoint (WithCheckpointInterval, default and minimum 100 ms), then builds
// the inclusion proof from the local tiles. Expect about 100-150 ms per Append whatever
// the load; concurrent Appends share batches and checkpoints, so throughput grows with
// concurrency (the leaves of Appends reserving their tags at the same moment go to
// Tessera together, so that they fill one batch). Tessera publishes a checkpoint only
// once the last is an interval old, and its publisher, woken too early by a batch,
// sleeps a whole interval; so a group of leaves goes to Tessera when its integration
// will find the published checkpoint an interval old (pace.go): back-to-back appends no
// longer wait an extra interval now and then, and one appender's p50 went from 126 to
// 105 ms. See docs/BENCHMARKS.md.
//
// # Witnesses
//
// With WithWitnessPolicy, Tessera publishes a checkpoint only once the witnesses of the
// policy (C2SP tlog-witness servers, such as ledger/witness) have cosigned it as the
// quorum requires, so every receipt carries a cosigned checkpoint and a copy of the
// directory that grows another history cannot get its checkpoints cosigned. Each
// cosignature adds a witness round trip to the publication; an Append that gets no
// cosigned checkpoint in time fails with a *ledger.CosigningError (see
// WithWitnessTimeout). Close does not wait for witnesses that refuse or cannot be
// reached (at most a couple of seconds once every leaf is sequenced): a leaf Tessera
// has sequenced stays in the log, and the next Log opened on the directory has its
// checkpoint cosigned and published.
package posixlog
