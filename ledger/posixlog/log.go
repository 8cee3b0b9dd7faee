package posixlog

import (
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
	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

var _ ledger.Ledger = (*Log)(nil)

// Log is a ledger.Ledger kept in a local directory. It is safe for concurrent use, and
// other processes may append to the same directory at the same time. Its Ledger methods
// are those of [ledger.New] over Tessera: AppendBatch queues its leaves together, so
// they usually share one checkpoint; Close waits (at most 30 s) for the Appends in
// flight, then has Tessera publish every leaf it was given (one whose Append gave up
// included) before it stops; with witnesses that do not cosign, it stops once those
// leaves are sequenced, and the next Log opened on the directory publishes them.
type Log struct {
	ledger.Ledger
	dir  string // as resolved by realPath; the key of the open-log registry
	vkey string
	b    *backend
}

// backend is the ledger.Backend of a log directory: Tessera's POSIX storage.
type backend struct {
	dir    string
	origin string
	trust  ledger.Trust

	appender *tessera.Appender
	reader   tessera.LogReader
	awaiter  *tessera.PublicationAwaiter
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	proofs   builderCache

	witnesses     *witnessing // nil without a witness policy
	index         *tagIndex
	turn          *turn // this process's turn to hand Tessera leaves (turn.go)
	intake        intake
	pace          *pacer // when the intake's groups go to Tessera (pace.go)
	floor         sizeFloor
	pollInterval  time.Duration
	settling      sync.WaitGroup // settle calls in flight
	watermarking  sync.WaitGroup // keepWatermark
	stopWatermark context.CancelFunc
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
	if err := l.b.requestCosigned(ctx); err != nil {
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
	b := &backend{
		dir:          real,
		origin:       signer.Name(),
		trust:        ledger.Trust{Logs: []ledger.Log{{Origin: signer.Name(), VerifierKey: vkey}}},
		pollInterval: cfg.pollInterval,
		intake:       intake{maxWait: cfg.batchMaxAge},
	}
	b.intake.hand = b.hand
	b.pace = newPacer(filepath.Join(real, layout.CheckpointPath), cfg)
	if b.index, err = openIndex(real); err != nil {
		unregister(real)
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if b.witnesses, err = newWitnessing(cfg); err != nil {
		unregister(real)
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if b.witnesses != nil {
		// Receipts carry only checkpoints that meet the policy.
		b.trust.Logs[0].WitnessPolicy = b.witnesses.policy
	}
	// Tessera's start takes its sequencing lock: only in this process's turn.
	b.turn = newTurn(filepath.Join(b.index.dir, turnFile), cfg.checkpointInterval)
	if err := b.turn.do(context.Background(), func() error { return b.start(cfg, signer) }); err != nil {
		b.turn.close()
		_ = b.index.close()
		unregister(real)
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if err := b.index.reconcile(context.Background(), b.reader); err != nil {
		_ = b.Close(context.Background())
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	b.keepWatermark()
	opts := []ledger.Option{ledger.WithCloseTimeout(b.witnesses.closeTimeout())}
	for _, d := range cfg.decorators {
		opts = append(opts, ledger.WithDecorator(d))
	}
	return &Log{Ledger: ledger.New(b, opts...), dir: real, vkey: vkey, b: b}, nil
}

// start brings up Tessera on b.dir; its background work lives until Close.
func (b *backend) start(cfg config, signer note.Signer) error {
	bg, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(bg, posix.Config{Path: b.dir, HTTPClient: b.witnesses.httpClient()})
	if err != nil {
		cancel()
		return err
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(cfg.batchMaxSize, cfg.batchMaxAge).
		WithCheckpointInterval(cfg.checkpointInterval)
	if err := b.witnesses.apply(opts); err != nil {
		cancel()
		return err
	}
	appender, shutdown, reader, err := tessera.NewAppender(bg, driver, opts)
	if err != nil {
		cancel()
		return err
	}
	b.appender, b.shutdown, b.reader, b.cancel = appender, shutdown, reader, cancel
	b.awaiter = tessera.NewPublicationAwaiter(bg, reader.ReadCheckpoint, cfg.pollInterval)
	b.floor = sizeFloor{read: reader.IntegratedSize, every: cfg.pollInterval}
	b.proofs = builderCache{trust: &b.trust, tiles: reader.ReadTile}
	return nil
}

// checkPublished verifies the published checkpoint with this log's key, so that a key file
// that does not belong to the directory is caught before anything is appended.
func (l *Log) checkPublished(ctx context.Context) error {
	cp, err := l.b.reader.ReadCheckpoint(ctx)
	if err != nil {
		return err
	}
	logKeyOnly := ledger.Trust{Logs: []ledger.Log{{Origin: l.Origin(), VerifierKey: l.vkey}}}
	if _, err := logKeyOnly.VerifyCheckpoint(cp); err != nil {
		return fmt.Errorf("published checkpoint does not verify with the key file's key: %w", err)
	}
	return nil
}

// VerifierKey returns the log's note verifier key, "origin+keyhash+base64", for trust
// policies ([ledger.Log].VerifierKey).
func (l *Log) VerifierKey() string { return l.vkey }

// Dir returns the log directory, absolute and with symbolic links resolved.
func (l *Log) Dir() string { return l.dir }

// Origin implements [ledger.Backend]: the key's name.
func (b *backend) Origin() string { return b.origin }

// Checkpoint implements [ledger.Backend]: the checkpoint file, as published; with a
// witness policy, once it meets the policy (waiting as an Append would).
func (b *backend) Checkpoint(ctx context.Context) ([]byte, error) {
	if b.witnesses != nil {
		return b.cosignedCheckpoint(ctx)
	}
	return b.reader.ReadCheckpoint(ctx)
}

// InclusionProof implements [ledger.Backend].
func (b *backend) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	have, err := b.checkSize(ctx, treeSize)
	if err != nil {
		return nil, err
	}
	return b.proofs.inclusion(ctx, index, treeSize, have)
}

// ConsistencyProof implements [ledger.Backend].
func (b *backend) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	have, err := b.checkSize(ctx, newSize)
	if err != nil {
		return nil, err
	}
	return b.proofs.consistency(ctx, oldSize, newSize, have)
}

// checkSize returns the log's integrated size, and fails when it is below size.
func (b *backend) checkSize(ctx context.Context, size uint64) (uint64, error) {
	have, err := b.reader.IntegratedSize(ctx)
	if err != nil {
		return 0, err
	}
	if size > have {
		return 0, fmt.Errorf("tree size %d is beyond the %d leaves of the log", size, have)
	}
	return have, nil
}

// Close implements [ledger.Backend]: Tessera sequences every leaf it was given (so a
// leaf whose Append gave up is still logged) and publishes it, then stops; appends still
// waiting are released. With witnesses, the publication waits for them only a short
// while (stopTessera). The tag index records where each leaf landed, then gives up this
// Log's lease.
//
// If ctx ends while Tessera still has leaves of this Log it may sequence, Close returns an
// error, and this process keeps the turn and its lease until Tessera is done with them
// (or the process exits): released now, another appender would settle those leaves' keys
// as free while the leaves may still land in the log, and a second successor could take
// one.
func (b *backend) Close(ctx context.Context) error {
	err := b.stopTessera(ctx)
	b.cancel()
	if err != nil {
		err = fmt.Errorf("stopping Tessera on %s: %w", b.dir, err)
	}
	settled := make(chan struct{})
	go func() { b.settling.Wait(); close(settled) }()
	select {
	case <-settled:
	case <-ctx.Done():
	}
	b.turn.close() // kept while leaves are in Tessera's hands: turn.leave gives it up
	if werr := b.closeWatermark(ctx); werr != nil {
		err = errors.Join(err, fmt.Errorf("moving the tag index's watermark: %w", werr))
	}
	release := func() error {
		defer unregister(b.dir)
		if ierr := b.index.close(); ierr != nil {
			return fmt.Errorf("closing the tag index: %w", ierr)
		}
		return nil
	}
	select {
	case <-settled:
		return errors.Join(err, release())
	default:
		go func() { <-settled; _ = release() }()
		return errors.Join(err, fmt.Errorf("closing log %s: %w", b.dir, errUnsettled))
	}
}

// errUnsettled is Close's error when it ran out of time before Tessera was done with
// every leaf it was handed.
var errUnsettled = errors.New("leaves handed to Tessera were not settled by the deadline; " +
	"this process keeps the log's turn and its appender lease until they are, so that no other appender takes their keys as free")

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
