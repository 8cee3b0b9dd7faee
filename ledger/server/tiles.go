package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger/httpapi"
)

// tileDir is the directory of a tlog-tiles log that holds its tiles and entry bundles:
// the only part of the log directory the server publishes.
const tileDir = "tile"

// tileServer serves the files of a tlog-tiles tile tree, read-only. A request is served
// only when its path is a tile or entry bundle path in the canonical form of
// https://c2sp.org/tlog-tiles ([tilePath]), and the file is opened through an
// [os.Root] at the tile tree, so that neither the path nor a symbolic link inside the
// tree reaches anything outside it (the log's .state/, its checkpoint, the note key).
type tileServer struct {
	root string // the tile tree: the log directory's tile/
}

func (ts tileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, partial, ok := tilePath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(ts.root)
	if err != nil {
		http.NotFound(w, r) // no tile published yet
		return
	}
	defer root.Close()
	// Stat first, so that nothing but a regular file is opened (a FIFO would block).
	if st, err := root.Stat(rel); err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	f, err := root.Open(rel)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	if partial {
		w.Header().Set("Cache-Control", "no-cache") // a partial tile is replaced as it fills
	} else {
		w.Header().Set("Cache-Control", "public, max-age=604800, immutable")
	}
	w.Header().Set("Content-Type", httpapi.TileType)
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// tilePath checks that urlPath (decoded) names a tile or an entry bundle exactly as
// tlog-tiles spells it:
//
//	/tile/<L>/<N>[.p/<W>]
//	/tile/entries/<N>[.p/<W>]
//
// where L is a level 0 to 63 in decimal, N an index in groups of three digits, all but
// the last prefixed with "x" (1234067 is x001/x234/067), and W a partial width 1 to 255,
// each with no leading zeros but N's. It returns the file's path inside the tile tree,
// in the host's form, and whether it is a partial tile. Anything else, including every
// path with a dot segment, a backslash or an encoding left in it, is refused: the path is
// parsed and must equal the canonical path built back from its numbers.
func tilePath(urlPath string) (rel string, partial bool, ok bool) {
	rest, found := strings.CutPrefix(urlPath, httpapi.TilePrefix)
	if !found {
		return "", false, false
	}
	var canonical string
	if index, isEntries := strings.CutPrefix(rest, "entries/"); isEntries {
		n, w, err := layout.ParseTileIndexPartial(index)
		if err != nil {
			return "", false, false
		}
		canonical, partial = layout.EntriesPath(n, w), w > 0
	} else {
		level, index, _ := strings.Cut(rest, "/")
		l, n, w, err := layout.ParseTileLevelIndexPartial(level, index)
		if err != nil {
			return "", false, false
		}
		canonical, partial = layout.TilePath(l, n, w), w > 0
	}
	if canonical != tileDir+"/"+rest {
		return "", false, false
	}
	return filepath.FromSlash(rest), partial, true
}
