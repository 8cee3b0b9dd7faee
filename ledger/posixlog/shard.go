package posixlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

// A shard is one file of 96-byte records (record.marshal), appended under an exclusive
// flock of the file. There are 256 of them, made with the index (createShards): few
// enough to create at once, many enough that appends seldom wait for each other's flock.
// Each process keeps a view of each shard it looked up (shardView): how far it has read
// the file, and where each key's last record is. A lookup reads and checks only the
// records added since, so it costs the same in a log of 10^6 leaves (about 750 KB of
// records in each shard) as in a new one; the view costs the process about 50 bytes per
// key it has seen.

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

// shard is one shard file, locked.
type shard struct {
	f       *os.File
	path    string
	size    int64
	created bool
	view    *shardView // this process's, brought up to date when the shard is read
	read    bool
}

// shardView is what this process has read of a shard file: the file (a reconciliation
// may replace it), how many bytes, all checked, and the offset of each key's last record.
type shardView struct {
	ino  uint64
	size int64
	last map[[keySize]byte]int64
}

func (v *shardView) reset(ino uint64) {
	v.ino, v.size, v.last = ino, 0, map[[keySize]byte]int64{}
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
	sh := &shard{path: filepath.Join(ix.dir, shardsDir, fmtShard(n)), view: &ix.views[n], read: read}
	f, created, err := openShard(sh.path)
	if err != nil {
		return fmt.Errorf("tag index: %w", err)
	}
	defer f.Close()
	sh.f, sh.created = f, created
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("tag index: locking %s: %w", sh.path, err)
	}
	if err := sh.load(); err != nil {
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

// load brings this process's view of the shard up to date (only its size unless the
// shard is read), reading and checking the records added since it last looked, and
// drops a record torn by a crash at the end of the file.
func (sh *shard) load() error {
	st, err := sh.f.Stat()
	if err != nil {
		return err
	}
	sh.size = st.Size()
	whole := sh.size - sh.size%recordSize
	v := sh.view
	if ino := st.Sys().(*syscall.Stat_t).Ino; v.last == nil || v.ino != ino || v.size > whole {
		v.reset(ino)
	}
	if !sh.read {
		return sh.trimTorn(whole)
	}
	b := make([]byte, whole-v.size)
	if _, err := sh.f.ReadAt(b, v.size); err != nil {
		return err
	}
	for off := int64(0); off < int64(len(b)); off += recordSize {
		r, err := parseRecord(b[off : off+recordSize])
		if err != nil {
			if off+recordSize == int64(len(b)) {
				whole = v.size + off // the last record was being written when a crash came
				break
			}
			return fmt.Errorf("record %d is corrupt: %w", (v.size+off)/recordSize, err)
		}
		v.last[keyOf(r.leaf)] = v.size + off
	}
	v.size = whole
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
func (sh *shard) state(key [keySize]byte) (record, error) {
	off, ok := sh.view.last[key]
	if !ok {
		return record{}, nil
	}
	b := make([]byte, recordSize)
	if _, err := sh.f.ReadAt(b, off); err != nil {
		return record{}, err
	}
	r, err := parseRecord(b)
	if err != nil {
		return record{}, fmt.Errorf("record %d is corrupt: %w", off/recordSize, err)
	}
	return r, nil
}

// states returns the last record of every key in the shard, read from the file whole.
func (sh *shard) states() (map[[keySize]byte]record, error) {
	b := make([]byte, sh.view.size)
	if _, err := sh.f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	out := make(map[[keySize]byte]record, len(b)/recordSize)
	for off := 0; off < len(b); off += recordSize {
		r, err := parseRecord(b[off : off+recordSize])
		if err != nil {
			return nil, fmt.Errorf("record %d is corrupt: %w", off/recordSize, err)
		}
		out[keyOf(r.leaf)] = r
	}
	return out, nil
}

// put appends a record at the end of the shard, and to this process's view of it if
// the view reaches the end.
func (sh *shard) put(r record) error {
	if _, err := sh.f.WriteAt(r.marshal(), sh.size); err != nil {
		return err
	}
	if v := sh.view; v.size == sh.size {
		v.last[keyOf(r.leaf)] = sh.size
		v.size += recordSize
	}
	sh.size += recordSize
	return nil
}

func (sh *shard) sync() error {
	if err := sh.f.Sync(); err != nil {
		return err
	}
	if sh.created {
		return atomicfile.SyncPath(filepath.Dir(sh.path))
	}
	return nil
}
