package posixlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

// A shard is one file of 96-byte records (record.marshal), appended under an exclusive
// flock of the file. There are 256 of them: few enough that a young index soon has them
// all (creating a file costs a journal transaction, and creations queue on the
// directory), many enough that appends seldom wait for each other's flock. A lookup
// reads its shard whole, checks every record, and finds the key's last record with a
// backward scan of the bytes.

// fmtShard names shard n: two hex digits.
func fmtShard(n int) string { return fmt.Sprintf("%02x", n) }

// parseShardName returns the number of the shard file called name.
func parseShardName(name string) (int, bool) {
	n, err := strconv.ParseUint(name, 16, shardBits)
	if err != nil || fmtShard(int(n)) != name {
		return 0, false
	}
	return int(n), true
}

// shard is one shard file, locked, as read.
type shard struct {
	f       *os.File
	path    string
	size    int64
	b       []byte // its records, checked, when read
	created bool
}

// withShard runs fn on the locked shard of key. fn may call put; when fn returns true,
// what it put is made durable (with the directory entry of a new shard) before the lock
// is released, if reservations are to be durable (see the top of index.go).
func (ix *tagIndex) withShard(key [keySize]byte, read bool, fn func(*shard) (bool, error)) error {
	return ix.withShardN(ix.shardOf(key), read, fn)
}

// withShardN runs fn on shard n, locked, as withShard does.
func (ix *tagIndex) withShardN(n int, read bool, fn func(*shard) (bool, error)) error {
	ix.locks[n].Lock()
	defer ix.locks[n].Unlock()
	sh := &shard{path: filepath.Join(ix.dir, shardsDir, fmtShard(n))}
	f, created, err := openShard(sh.path)
	if err != nil {
		return fmt.Errorf("tag index: %w", err)
	}
	defer f.Close()
	sh.f, sh.created = f, created
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("tag index: locking %s: %w", sh.path, err)
	}
	if err := sh.load(read); err != nil {
		return fmt.Errorf("tag index: %s: %w", sh.path, err)
	}
	durable, err := fn(sh)
	if err == nil && durable && ix.boot == "" {
		err = ix.sync(sh)
	}
	return err
}

// openShard opens the shard file at path, creating it if need be. It tries the file as it
// usually is, there, first: an open that may create takes the directory's lock.
func openShard(path string) (f *os.File, created bool, err error) {
	for {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
		if !errors.Is(err, fs.ErrNotExist) {
			return f, false, err
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err == nil, err
		}
	}
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

// load reads and checks the shard's records (only its size unless read is set),
// dropping a record torn by a crash at its end.
func (sh *shard) load(read bool) error {
	st, err := sh.f.Stat()
	if err != nil {
		return err
	}
	sh.size = st.Size()
	whole := sh.size - sh.size%recordSize
	if !read {
		return sh.trimTorn(whole)
	}
	b := make([]byte, sh.size, sh.size+recordSize)
	if _, err := io.ReadFull(sh.f, b); err != nil {
		return err
	}
	for off := int64(0); off < whole; off += recordSize {
		if _, err := parseRecord(b[off : off+recordSize]); err != nil {
			if off+recordSize == whole {
				whole = off // the last record was being written when a crash came
				break
			}
			return fmt.Errorf("record %d is corrupt: %w", off/recordSize, err)
		}
	}
	sh.b = b[:whole]
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
	for off := len(sh.b) - recordSize; off >= 0; off -= recordSize {
		if bytes.Equal(sh.b[off+2:off+2+keySize], key[:]) {
			r, _ := parseRecord(sh.b[off : off+recordSize]) // checked by load
			return r
		}
	}
	return record{}
}

// states returns the last record of every key in the shard, for many lookups.
func (sh *shard) states() map[[keySize]byte]record {
	out := make(map[[keySize]byte]record, len(sh.b)/recordSize)
	for off := 0; off < len(sh.b); off += recordSize {
		r, _ := parseRecord(sh.b[off : off+recordSize]) // checked by load
		out[keyOf(r.leaf)] = r
	}
	return out
}

// put appends a record at the end of the shard.
func (sh *shard) put(r record) error {
	b := r.marshal()
	if _, err := sh.f.WriteAt(b, sh.size); err != nil {
		return err
	}
	sh.size += recordSize
	if sh.b != nil {
		sh.b = append(sh.b, b...)
	}
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
