package posixlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/gate"
	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

var _ ledger.Ledger = (*Log)(nil)

// closeTimeout bounds how long Close waits for appends in flight to be published.
const closeTimeout = 30 * time.Second

// Log is a ledger.Ledger kept in a local directory. It is safe for concurrent use, and
// other processes may append to the same directory at the same time.
type Log struct {
	dir    string // as resolved by realPath; the key of the open-log registry
	origin string
	vkey   string
	trust  ledger.Trust

	appender *tessera.Appender
	reader   tessera.LogReader
	awaiter  *tessera.PublicationAwaiter
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	proofs   builderCache

	witnesses *witnessing // nil without a witness policy

	gate gate.Gate // admits operations until Close
}

// Init creates a new log: it generates an Ed25519 note signing key named origin, writes it
// to keyFile (which must not exist, and must not lie inside dir) with mode 0600, creates
// the log in dir (which may exist, but must not hold a log) and publishes the signed
// checkpoint of the empty tree. It returns the verifier key to put in trust policies.
//
// origin is the first line of every checkpoint and the key's name: by C2SP convention a
// schema-less URL such as "evidence.example.org/lab-1"; it may not contain spaces or '+'.
func Init(dir, keyFile, origin string) (verifierKey string, err error) {
	if err := checkOutside(dir, keyFile); err != nil {
		return "", fmt.Errorf("initialising log: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, layout.CheckpointPath)); err == nil {
		return "", fmt.Errorf("initialising log: %s already holds a log: %w", dir, fs.ErrExist)
	}
	createdDir := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		createdDir = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("initialising log: %w", err)
	}
	vkey, err := notekey.WriteNew(keyFile, origin)
	if err == nil {
		var l *Log
		if l, err = open(dir, keyFile, defaults()); err == nil {
			err = l.Close()
		}
		if err != nil {
			_ = os.Remove(keyFile)
		}
	}
	if err != nil {
		if createdDir {
			_ = os.RemoveAll(dir)
		}
		return "", fmt.Errorf("initialising log: %w", err)
	}
	return vkey, nil
}

// Open opens the log in dir, created by Init, signing with the key in keyFile. The key file
// must be readable by its owner only, and its key must verify the published checkpoint.
// Close the Log when done: until then the directory may not be opened again in this
// process (other processes may open it at the same time).
func Open(ctx context.Context, dir, keyFile string, opts ...Option) (*Log, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, layout.CheckpointPath)); err != nil {
		return nil, fmt.Errorf("opening log %s: no published checkpoint; is it a log made by Init? %w", dir, err)
	}
	l, err := open(dir, keyFile, cfg)
	if err != nil {
		return nil, err
	}
	if err := l.checkPublished(ctx); err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if err := l.requestCosigned(ctx); err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	return l, nil
}

// open starts Tessera on dir; on a new directory, Tessera publishes the empty checkpoint.
func open(dir, keyFile string, cfg config) (*Log, error) {
	if err := checkOutside(dir, keyFile); err != nil {
		return nil, fmt.Errorf("opening log: %w", err)
	}
	signer, vkey, err := notekey.Read(keyFile)
	if err != nil {
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	real, err := realPath(dir)
	if err != nil {
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if err := register(real); err != nil {
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	l := &Log{
		dir:    real,
		origin: signer.Name(),
		vkey:   vkey,
		trust:  ledger.Trust{Logs: []ledger.Log{{Origin: signer.Name(), VerifierKey: vkey}}},
	}
	if l.witnesses, err = newWitnessing(cfg); err != nil {
		unregister(real)
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if l.witnesses != nil {
		// Receipts carry only checkpoints that meet the policy.
		l.trust.Logs[0].WitnessPolicy = l.witnesses.policy
	}
	if err := l.start(cfg, signer); err != nil {
		unregister(real)
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	return l, nil
}

// start brings up Tessera on l.dir; its background work lives until Close.
func (l *Log) start(cfg config, signer note.Signer) error {
	bg, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(bg, posix.Config{Path: l.dir, HTTPClient: l.witnesses.httpClient()})
	if err != nil {
		cancel()
		return err
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(cfg.batchMaxSize, cfg.batchMaxAge).
		WithCheckpointInterval(cfg.checkpointInterval)
	if err := l.witnesses.apply(opts); err != nil {
		cancel()
		return err
	}
	appender, shutdown, reader, err := tessera.NewAppender(bg, driver, opts)
	if err != nil {
		cancel()
		return err
	}
	l.appender, l.shutdown, l.reader, l.cancel = appender, shutdown, reader, cancel
	l.awaiter = tessera.NewPublicationAwaiter(bg, reader.ReadCheckpoint, cfg.pollInterval)
	l.proofs = builderCache{trust: &l.trust, tiles: reader.ReadTile}
	return nil
}

// checkPublished verifies the published checkpoint with this log's key, so that a key file
// that does not belong to the directory is caught before anything is appended.
func (l *Log) checkPublished(ctx context.Context) error {
	cp, err := l.reader.ReadCheckpoint(ctx)
	if err != nil {
		return err
	}
	logKeyOnly := ledger.Trust{Logs: []ledger.Log{{Origin: l.origin, VerifierKey: l.vkey}}}
	if _, err := logKeyOnly.VerifyCheckpoint(cp); err != nil {
		return fmt.Errorf("published checkpoint does not verify with the key file's key: %w", err)
	}
	return nil
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the log's note verifier key, "origin+keyhash+base64", for trust
// policies ([ledger.Log].VerifierKey).
func (l *Log) VerifierKey() string { return l.vkey }

// Dir returns the log directory, absolute and with symbolic links resolved.
func (l *Log) Dir() string { return l.dir }

// Append implements [ledger.Ledger]: it returns once a published checkpoint covers leaf.
func (l *Log) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	rs, err := l.AppendBatch(ctx, [][]byte{leaf})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// AppendBatch implements [ledger.Ledger]. The leaves are queued together, so they usually
// share one checkpoint.
func (l *Log) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	if err := ledger.CheckLeaves(leaves); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	caller := ctx
	ctx, cancel := l.witnesses.bound(ctx)
	defer cancel()
	futures := make([]tessera.IndexFuture, len(leaves))
	for i, leaf := range leaves {
		futures[i] = l.appender.Add(ctx, tessera.NewEntry(bytes.Clone(leaf)))
	}
	out := make([]*ledger.Receipt, len(leaves))
	for i, f := range futures {
		idx, cp, err := l.awaiter.Await(ctx, f)
		if err != nil {
			return out, fmt.Errorf("appending leaf %d of %d to %s: %w", i+1, len(leaves), l.origin, l.explain(caller, ctx, err))
		}
		if out[i], err = l.proofs.receipt(ctx, idx.Index, cp); err != nil {
			return out, fmt.Errorf("appending leaf %d of %d to %s: %w", i+1, len(leaves), l.origin, err)
		}
	}
	return out, nil
}

// Checkpoint implements [ledger.Ledger]: the checkpoint file, as published; with a
// witness policy, once it meets the policy (waiting as an Append would).
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	if l.witnesses != nil {
		return l.cosignedCheckpoint(ctx)
	}
	return l.reader.ReadCheckpoint(ctx)
}

// InclusionProof implements [ledger.Ledger].
func (l *Log) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	if err := ledger.CheckInclusionArgs(index, treeSize); err != nil {
		return nil, err
	}
	if err := l.checkSize(ctx, treeSize); err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	return l.proofs.inclusion(ctx, index, treeSize)
}

// ConsistencyProof implements [ledger.Ledger].
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	if err := ledger.CheckConsistencyArgs(oldSize, newSize); err != nil {
		return nil, err
	}
	if err := l.checkSize(ctx, newSize); err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	if oldSize == 0 || oldSize == newSize {
		return []tlog.Hash{}, nil
	}
	return l.proofs.consistency(ctx, oldSize, newSize)
}

// checkSize fails when the log has not yet integrated size leaves.
func (l *Log) checkSize(ctx context.Context, size uint64) error {
	have, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return err
	}
	if size > have {
		return fmt.Errorf("tree size %d is beyond the %d leaves of %s", size, have, l.origin)
	}
	return nil
}

// Close implements [ledger.Ledger]. It waits (at most 30 s) until every leaf appended
// through l is in a published checkpoint and every Append in flight has returned.
func (l *Log) Close() error {
	if !l.gate.Close() {
		return nil
	}
	defer unregister(l.dir)

	ctx, cancel := context.WithTimeout(context.Background(), l.closeTimeout())
	defer cancel()
	err := l.shutdown(ctx)
	if err != nil {
		l.cancel() // releases waiting appends with an error
	}
	if werr := l.gate.Wait(ctx); werr != nil {
		err = errors.Join(err, fmt.Errorf("appends still in flight: %w", werr))
	}
	l.cancel()
	if err != nil {
		return fmt.Errorf("closing log %s: %w", l.dir, err)
	}
	return nil
}

// enter registers an operation in flight, unless the log is closed.
func (l *Log) enter() error { return l.gate.Enter(l.origin) }

var (
	openMu   sync.Mutex
	openDirs = map[string]bool{}
)

// register claims dir for this process. Tessera coordinates processes with fcntl locks,
// which do not exclude two users in one process, so one process opens a directory once.
func register(dir string) error {
	openMu.Lock()
	defer openMu.Unlock()
	if openDirs[dir] {
		return errors.New("the log is already open in this process; share the *Log")
	}
	openDirs[dir] = true
	return nil
}

func unregister(dir string) {
	openMu.Lock()
	defer openMu.Unlock()
	delete(openDirs, dir)
}
