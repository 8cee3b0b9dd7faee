package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

// newFile is an output that must not exist yet.
type newFile struct {
	path string
	perm fs.FileMode
	data []byte
}

// refuseExisting fails (exit 2) when any of paths exists: outputs are never
// overwritten.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return failErr(fmt.Errorf("%s already exists", p), "evidctl never overwrites an output: choose another name or remove the file")
		}
	}
	return nil
}

// writeNew creates every file or none: an existing file is refused, and on failure
// the files already written are removed.
func writeNew(files []newFile) error {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	if err := refuseExisting(paths...); err != nil {
		return err
	}
	var done []string
	for _, f := range files {
		if err := writeExclusive(f); err != nil {
			for _, p := range done {
				_ = os.Remove(p)
			}
			return failErr(fmt.Errorf("writing %s: %w", f.path, err))
		}
		done = append(done, f.path)
	}
	return nil
}

func writeExclusive(f newFile) error {
	out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.perm)
	if err != nil {
		return err
	}
	_, err = out.Write(f.data)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.path)
	}
	return err
}

// pendingOutputs are payloads written to temporary names, renamed into place only
// when the command has logged its events and written its bundle.
type pendingOutputs struct {
	files []*atomicfile.File
	paths []string
}

func (p *pendingOutputs) create(path string) (*atomicfile.File, error) {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, failErr(err)
	}
	p.files, p.paths = append(p.files, f), append(p.paths, path)
	return f, nil
}

// commit renames every pending file into place, refusing to replace one that
// appeared meanwhile.
func (p *pendingOutputs) commit() error {
	if err := refuseExisting(p.paths...); err != nil {
		return err
	}
	for i, f := range p.files {
		if err := f.Commit(); err != nil {
			return failErr(fmt.Errorf("writing %s: %w", p.paths[i], err))
		}
	}
	return nil
}

// abort removes every temporary file not yet committed.
func (p *pendingOutputs) abort() {
	for _, f := range p.files {
		_ = f.Abort()
	}
}

// expandRecipients turns --recipient values into recipient strings: each value is a
// recipient (age1…, age1pq1…, ssh-…) or the path of a recipients file (one per line,
// "#" comments). Every recipient is checked.
func expandRecipients(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		s := strings.TrimSpace(arg)
		if strings.HasPrefix(s, "age1") || strings.HasPrefix(s, "ssh-") || strings.HasPrefix(s, "AGE-") {
			if _, err := seal.ParseRecipient(s); err != nil {
				return nil, usageErr(fmt.Sprintf("--recipient: %v", err), "give an age recipient (age1…), an SSH public key, or a recipients file")
			}
			out = append(out, s)
			continue
		}
		rs, err := readRecipientsFile(arg)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func readRecipientsFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErr(fmt.Sprintf("--recipient %s: not a recipient, and no such file", path),
				"give an age recipient (age1…), an SSH public key, or a recipients file such as PREFIX.recipient.txt")
		}
		return nil, failErr(fmt.Errorf("reading recipients file %s: %w", path, err))
	}
	var out []string
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := seal.ParseRecipient(line); err != nil {
			return nil, usageErr(fmt.Sprintf("recipients file %s: line %d: %v", path, n+1, err))
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, usageErr(fmt.Sprintf("recipients file %s holds no recipient", path))
	}
	return out, nil
}
