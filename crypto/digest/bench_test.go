package digest

import (
	"fmt"
	"testing"
)

func BenchmarkHasher(b *testing.B) {
	buf := make([]byte, 1<<20)
	for _, extra := range [][]Algorithm{nil, {SHA512, SHA1, MD5}} {
		b.Run(fmt.Sprintf("algorithms=%d", len(extra)+1), func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			h, err := NewHasher(extra...)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				_, _ = h.Write(buf)
			}
			h.Sum()
		})
	}
}
