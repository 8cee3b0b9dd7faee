package server

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzTilePath: any path tilePath accepts names a file inside the tile tree (a local
// path with no dot segment, backslash or empty element), and parsing never panics.
func FuzzTilePath(f *testing.F) {
	for _, s := range []string{"/tile/0/000", "/tile/0/x001/x234/067.p/8", "/tile/entries/000.p/2",
		"/tile/../.state/treeState", "/tile/0/000.p/", "/tile/entries/.p/1", "/tile/63/x999/999", "/tile/0/x.p/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rel, _, ok := tilePath(p)
		if !ok {
			return
		}
		slash := filepath.ToSlash(rel)
		if !filepath.IsLocal(rel) || strings.Contains(p, "\\") || strings.Contains(slash, "//") || strings.Contains(slash, "..") ||
			strings.HasPrefix(slash, ".") || strings.Contains(slash, "/.") || strings.HasSuffix(slash, "/") {
			t.Fatalf("tilePath(%q) accepted %q", p, rel)
		}
	})
}
