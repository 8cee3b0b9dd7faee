package posixlog

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/ledgertest"
)

// BenchmarkIndexLookup measures one reservation's work in the tag index (look the key
// up in its shard, append a Reserved record), one goroutine, in an index that already
// holds n keys (written directly into the shards). The process's view of each shard is
// read once before the timer starts; after that a lookup reads only what was added.
//
//	go test -run '^$' -bench BenchmarkIndexLookup ./ledger/posixlog/
func BenchmarkIndexLookup(b *testing.B) {
	for _, n := range []int{0, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "log")
			require.NoError(b, os.Mkdir(dir, 0o755))
			ix, err := openIndex(dir)
			require.NoError(b, err)
			defer ix.close()
			fillShards(b, ix, n)
			for s := range shardCount { // the view, as a long-running Log has it
				require.NoError(b, ix.withShardN(s, true, func(*shard) (bool, error) { return false, nil }))
			}
			b.ResetTimer()
			for i := range b.N {
				leaf := ledgertest.UniqueEntry(i)
				err := ix.withShard(keyOf(leaf), true, func(sh *shard) (bool, error) {
					if _, err := sh.state(keyOf(leaf)); err != nil {
						return false, err
					}
					return false, sh.put(record{kind: kindReserved, leaf: leaf, owner: ix.me})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fillShards appends n Logged records of made-up entries to the shards of ix.
func fillShards(b *testing.B, ix *tagIndex, n int) {
	bufs := make([][]byte, shardCount)
	for i := range n {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		tag := sha256.Sum256(seed[:])
		leaf := append(tag[:], tag[:]...)
		s := ix.shardOf(keyOf(leaf))
		bufs[s] = append(bufs[s], record{kind: kindLogged, leaf: leaf, n: uint64(i)}.marshal()...)
	}
	for s, buf := range bufs {
		require.NoError(b, os.WriteFile(filepath.Join(ix.dir, shardsDir, fmtShard(s)), buf, 0o644))
	}
}
