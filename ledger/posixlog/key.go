package posixlog

import (
	"fmt"
	"path/filepath"
	"strings"
)

// checkOutside fails when keyFile lies inside dir, where a static file server would
// publish it.
func checkOutside(dir, keyFile string) error {
	d, err := realPath(dir)
	if err != nil {
		return err
	}
	k, err := realPath(keyFile)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(d, k)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	return fmt.Errorf("key file %s is inside the log directory %s, which is meant to be served to anyone; keep it elsewhere", keyFile, dir)
}

// realPath makes p absolute and resolves symbolic links in as much of it as exists.
func realPath(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var missing []string
	for {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{r}, missing...)...), nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return p, nil
		}
		missing = append([]string{filepath.Base(p)}, missing...)
		p = parent
	}
}
