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
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

// The tag index lives in DIR/.tags, beside the log it indexes:
//
//	.tags/salt         32 random bytes, made once: a key's shard is the first 12 bits of
//	                   SHA-256(salt || key), so that nobody who appends can pile keys
//	                   into one shard
//	.tags/shards/XYZ   records of the keys of shard XYZ (hex)
//	.tags/owners/ID    one lease file per open Log, flock'ed while it lives
//
// A shard file is a sequence of fixed-size records, appended under an exclusive flock of
// the file: Reserved (an appender is about to add the leaf; fsynced before the leaf is
// handed to Tessera), Logged (the leaf is in the log at an index) and Freed (a reservation
// whose leaf never reached the log). The last record of a key is its state. A leaf's key
// is its first 32 bytes: the tag of an entry, the whole of a legacy 32-byte leaf.
const (
	indexDir   = ".tags"
	shardsDir  = "shards"
	ownersDir  = "owners"
	saltFile   = "salt"
	saltSize   = 32
	shardCount = 1 << 12
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
	me    owner
	lease *os.File
	locks [shardCount]sync.Mutex // one goroutine of this process in a shard's flock at a time
	group *groupSync
	salt  []byte
}

// openIndex creates the index directories if needed, removes the leases of Logs that are
// gone, and takes a lease for this Log.
func openIndex(logDir string) (*tagIndex, error) {
	ix := &tagIndex{dir: filepath.Join(logDir, indexDir)}
	for _, d := range []string{ix.dir, filepath.Join(ix.dir, shardsDir), filepath.Join(ix.dir, ownersDir)} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("tag index: %w", err)
		} else if err == nil {
			if err := notekey.SyncDir(filepath.Dir(d)); err != nil {
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
	tmp := fmt.Sprintf("%s.%x.new", path, salt[:8])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	_, err = f.Write(salt)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return readOrMakeSalt(path)
	} else if err != nil {
		return nil, err
	}
	return salt, notekey.SyncDir(filepath.Dir(path))
}

// shardOf returns the shard of key.
func (ix *tagIndex) shardOf(key [keySize]byte) int {
	h := sha256.New()
	h.Write(ix.salt)
	h.Write(key[:])
	var sum [sha256.Size]byte
	return int(binary.BigEndian.Uint16(h.Sum(sum[:0])[:2]) >> 4)
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

// fmtShard names shard n: three hex digits.
func fmtShard(n int) string { return fmt.Sprintf("%03x", n) }

// shard is one shard file, locked, as read.
type shard struct {
	f       *os.File
	path    string
	size    int64
	records []record
	created bool
}

// withShard runs fn on the locked shard of key. fn may call put; when fn returns true,
// what it put is made durable (with the directory entry of a new shard) before the lock
// is released.
func (ix *tagIndex) withShard(key [keySize]byte, read bool, fn func(*shard) (bool, error)) error {
	n := ix.shardOf(key)
	ix.locks[n].Lock()
	defer ix.locks[n].Unlock()
	sh := &shard{path: filepath.Join(ix.dir, shardsDir, fmtShard(n))}
	f, err := os.OpenFile(sh.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(sh.path, os.O_RDWR, 0)
	} else if err == nil {
		sh.created = true
	}
	if err != nil {
		return fmt.Errorf("tag index: %w", err)
	}
	defer f.Close()
	sh.f = f
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("tag index: locking %s: %w", sh.path, err)
	}
	if err := sh.load(read); err != nil {
		return fmt.Errorf("tag index: %s: %w", sh.path, err)
	}
	durable, err := fn(sh)
	if err == nil && durable {
		err = ix.sync(sh)
	}
	return err
}

// sync makes what sh was given durable, in a round shared with the other appends of
// this process (groupSync).
func (ix *tagIndex) sync(sh *shard) error {
	if ix.group == nil {
		return sh.sync()
	}
	return ix.group.sync(sh.f, sh.created)
}

// notekeySyncDir syncs a directory.
var notekeySyncDir = notekey.SyncDir

// load reads the shard's records (only its size unless read is set), dropping a record
// torn by a crash at its end.
func (sh *shard) load(read bool) error {
	st, err := sh.f.Stat()
	if err != nil {
		return err
	}
	sh.size = st.Size()
	if !read {
		return sh.trimTorn(sh.size - sh.size%recordSize)
	}
	b := make([]byte, sh.size)
	if _, err := io.ReadFull(sh.f, b); err != nil {
		return err
	}
	whole := sh.size - sh.size%recordSize
	for off := int64(0); off < whole; off += recordSize {
		r, err := parseRecord(b[off : off+recordSize])
		if err != nil {
			if off+recordSize == whole {
				return sh.trimTorn(off) // the last record was being written when a crash came
			}
			return fmt.Errorf("record %d is corrupt: %w", off/recordSize, err)
		}
		sh.records = append(sh.records, r)
	}
	return sh.trimTorn(whole)
}

// trimTorn truncates the shard to size when a crash left a partial record after it.
func (sh *shard) trimTorn(size int64) error {
	if size == sh.size {
		return nil
	}
	if err := sh.f.Truncate(size); err != nil {
		return err
	}
	sh.size = size
	return sh.f.Sync()
}

// state returns the last record of key, or one of kind kindNone.
func (sh *shard) state(key [keySize]byte) record {
	for i := len(sh.records) - 1; i >= 0; i-- {
		if keyOf(sh.records[i].leaf) == key {
			return sh.records[i]
		}
	}
	return record{}
}

// put appends a record at the end of the shard.
func (sh *shard) put(r record) error {
	if _, err := sh.f.WriteAt(r.marshal(), sh.size); err != nil {
		return err
	}
	sh.size += recordSize
	sh.records = append(sh.records, r)
	return nil
}

func (sh *shard) sync() error {
	if err := sh.f.Sync(); err != nil {
		return err
	}
	if sh.created {
		return notekey.SyncDir(filepath.Dir(sh.path))
	}
	return nil
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
