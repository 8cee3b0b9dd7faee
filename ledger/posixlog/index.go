package posixlog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/ledger"
)

// The tag index lives in DIR/.tags, beside the log it indexes:
//
//	.tags/salt         32 random bytes, made once: a key's shard is the first 8 bits of
//	                   SHA-256(salt || key), so that nobody who appends can pile keys
//	                   into one shard
//	.tags/shards/XY    records of the keys of shard XY (hex; shard.go)
//	.tags/owners/ID    one lease file per open Log, flock'ed while it lives
//	.tags/watermark    the boot the index was last reconciled in, and a log size below
//	                   which it is durable (watermark.go), under watermark.lock's flock
//	.tags/turn.lock    flock'ed by the process whose turn it is to hand Tessera leaves
//	                   (turn.go)
//
// A shard file is a sequence of fixed-size records, appended under an exclusive flock of
// the file: Reserved (an appender is about to hand the leaf to Tessera), Logged (the leaf
// is in the log at an index) and Freed (a reservation whose leaf never reached the log).
// The last record of a key is its state. A leaf's key is its first 32 bytes: the tag of
// an entry, the whole of a legacy 32-byte leaf.
//
// Why the index is right without an fsync per append. It must never say a key is free
// while the log holds a leaf with it (a second successor would get in), never let an
// append overtake a live one that holds the key, and never leave a key blocked by an
// appender that is gone. Case by case:
//
// Appenders die (kill -9) and the machine stays up. A record once written is in the page
// cache, which every process of the machine shares and which outlives each of them, so
// nothing written is lost; a record cut short by a kill can only be the last of its
// shard, and the next writer trims it. An appender writes Reserved before it hands the
// leaf to Tessera, so a leaf in the log always has its key Reserved or Logged. A Reserved
// key whose owner's lease is no longer flock'ed (the owner closed or died) is settled by
// whoever meets it next: the leaf is looked for in the log from the size recorded with the
// reservation (it cannot lie before it), and the key recorded Logged if it is there, free
// if not. A Reserved key whose owner lives is waited for.
//
// The machine loses power, or its kernel crashes. Tessera makes a leaf durable before it
// hands out its index, but records that were only in the page cache may be gone: a leaf
// in the log may have lost its key's record. Such a crash changes the boot id, and no
// append reads the index before an Open. The first Open of the new boot finds the
// watermark's boot stale and reconciles, under the watermark's exclusive flock (which
// every Open takes, so that no Log of the new boot appends meanwhile; none of the old
// boot survived): it drops what the crash left unreadable, records as Logged every leaf
// the log holds from the watermark's size on, syncs the shards, and only then writes the
// watermark with the new boot. Below the watermark the index is durable: an open Log
// moves it up now and then by reading the log's size S, syncing the tree state behind S
// and every shard, then writing the watermark. Each leaf below S had its key Reserved
// before Tessera saw the leaf, so before S was read, and that sync made a record of it
// durable: after the crash it is Logged at its index, or Reserved by an owner the crash
// killed, and settled as above. A record that cannot be read after the crash makes the
// reconciliation read the whole log, since what it held is unknown.
//
// A Logged record is written only once its leaf is durably in the log (Tessera resolved
// its index, or the leaf was found below a size whose tree state was synced first), so no
// crash can make one lie. On a system without a boot id a reservation is made durable
// before its leaf goes to Tessera, one fsync round for every reservation waiting
// (groupsync.go), and no reconciliation is needed.
const (
	indexDir   = ".tags"
	shardsDir  = "shards"
	ownersDir  = "owners"
	saltFile   = "salt"
	saltSize   = 32
	shardBits  = 8
	shardCount = 1 << shardBits
	recordSize = 96
	keySize    = 32
	maxLeaf    = ledger.EntrySize
)

type recordKind byte

const (
	kindNone     recordKind = 0
	kindReserved recordKind = 'R'
	kindLogged   recordKind = 'L'
	kindFreed    recordKind = 'F'
)

// owner names one open Log, in the whole machine, for as long as it lives.
type owner [16]byte

// record is one line of a shard. n is the index of a Logged leaf, and for a Reserved one
// the log's integrated size when it was reserved: the leaf, if it reached the log, lies
// at or after it.
type record struct {
	kind  recordKind
	leaf  []byte // 32 or 64 bytes
	n     uint64
	owner owner
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Layout: kind(1) size(1) leaf(64, zero padded) n(8) owner(16) zero(2) crc32c(4).
func (r record) marshal() []byte {
	b := make([]byte, recordSize)
	b[0] = byte(r.kind)
	b[1] = byte(len(r.leaf))
	copy(b[2:2+maxLeaf], r.leaf)
	binary.BigEndian.PutUint64(b[66:74], r.n)
	copy(b[74:90], r.owner[:])
	binary.BigEndian.PutUint32(b[92:96], crc32.Checksum(b[:92], crcTable))
	return b
}

func parseRecord(b []byte) (record, error) {
	if crc32.Checksum(b[:92], crcTable) != binary.BigEndian.Uint32(b[92:96]) {
		return record{}, errors.New("checksum mismatch")
	}
	r := record{kind: recordKind(b[0]), n: binary.BigEndian.Uint64(b[66:74]), owner: owner(b[74:90])}
	switch r.kind {
	case kindReserved, kindLogged, kindFreed:
	default:
		return record{}, fmt.Errorf("unknown record kind %#x", b[0])
	}
	if size := int(b[1]); size != ledger.LeafSize && size != ledger.EntrySize {
		return record{}, fmt.Errorf("leaf of %d bytes", size)
	}
	r.leaf = b[2 : 2+int(b[1])]
	return r, nil
}

func keyOf(leaf []byte) [keySize]byte { return [keySize]byte(leaf[:keySize]) }

// tagIndex is the index of one log directory, as seen by one open Log.
type tagIndex struct {
	dir   string // DIR/.tags
	boot  string // the running boot's id; "" where there is none: reservations are durable
	me    owner
	lease *os.File
	locks [shardCount]sync.Mutex // one goroutine of this process in a shard's flock at a time
	views [shardCount]shardView  // under locks
	group *groupSync
	salt  []byte
}

// openIndex creates the index directories if needed, removes the leases of Logs that are
// gone, and takes a lease for this Log.
func openIndex(logDir string) (*tagIndex, error) {
	ix := &tagIndex{dir: filepath.Join(logDir, indexDir), boot: readBootID()}
	for _, d := range []string{ix.dir, filepath.Join(ix.dir, shardsDir), filepath.Join(ix.dir, ownersDir)} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("tag index: %w", err)
		} else if err == nil {
			if err := atomicfile.SyncPath(filepath.Dir(d)); err != nil {
				return nil, fmt.Errorf("tag index: %w", err)
			}
		}
	}
	salt, err := readOrMakeSalt(filepath.Join(ix.dir, saltFile))
	if err != nil {
		return nil, fmt.Errorf("tag index: %w", err)
	}
	ix.salt = salt
	ix.removeDeadLeases()
	if err := ix.takeLease(); err != nil {
		return nil, fmt.Errorf("tag index: %w", err)
	}
	ix.group = newGroupSync(filepath.Join(ix.dir, shardsDir))
	return ix, nil
}

// readOrMakeSalt reads the index's salt, or makes it: written and synced under a
// temporary name, then linked into place, which fails if another process was first (its
// salt is then read).
func readOrMakeSalt(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		if len(b) != saltSize {
			return nil, fmt.Errorf("%s is %d bytes, want %d", path, len(b), saltSize)
		}
		return b, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Abort()
	if _, err := f.Write(salt); err != nil {
		return nil, err
	}
	if err := f.CommitNew(); errors.Is(err, fs.ErrExist) {
		return readOrMakeSalt(path)
	} else if err != nil {
		return nil, err
	}
	return salt, nil
}

// shardOf returns the shard of key.
func (ix *tagIndex) shardOf(key [keySize]byte) int {
	h := sha256.New()
	h.Write(ix.salt)
	h.Write(key[:])
	var sum [sha256.Size]byte
	return int(h.Sum(sum[:0])[0]) >> (8 - shardBits)
}

// takeLease creates this Log's lease under a temporary name, locks it, and only then
// renames it into place, so that no other process ever sees it unlocked.
func (ix *tagIndex) takeLease() error {
	if _, err := rand.Read(ix.me[:]); err != nil {
		return err
	}
	final := filepath.Join(ix.dir, ownersDir, hex.EncodeToString(ix.me[:]))
	tmp := final + ".new"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("locking lease: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	ix.lease = f
	return nil
}

// removeDeadLeases removes the leases no live Log holds (left by killed processes).
func (ix *tagIndex) removeDeadLeases() {
	dir := filepath.Join(ix.dir, ownersDir)
	names, _ := os.ReadDir(dir)
	for _, e := range names {
		if strings.HasSuffix(e.Name(), ".new") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.Remove(p)
		}
		_ = f.Close()
	}
}

// alive reports whether the Log that owns a reservation is still open somewhere.
func (ix *tagIndex) alive(o owner) bool {
	if o == ix.me {
		return true
	}
	f, err := os.Open(filepath.Join(ix.dir, ownersDir, hex.EncodeToString(o[:])))
	if err != nil {
		return false // removed: its Log closed or died
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) != nil {
		return true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// close gives up the lease; reservations still open become reconcilable by others.
func (ix *tagIndex) close() error {
	err := os.Remove(filepath.Join(ix.dir, ownersDir, hex.EncodeToString(ix.me[:])))
	if cerr := ix.lease.Close(); err == nil {
		err = cerr
	}
	return err
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
