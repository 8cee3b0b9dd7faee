package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/internal/smallfile"
)

// Inputs are read with the file named in every error; outputs are never overwritten,
// and appear only once complete.

// The files a flag names that are read whole are bounded, so that /dev/zero or a disk
// image given by mistake is refused at once rather than read into memory.
const (
	// keyFileLimit bounds a key, certificate chain, recipients file or profile.
	keyFileLimit = 1 << 20
	// noteKeyLimit bounds a file read for one note verifier key.
	noteKeyLimit = 64 << 10
	// certBundleLimit bounds a bundle of root or intermediate certificates, and a
	// pending event (an envelope with its certificate chain and anchors).
	certBundleLimit = 16 << 20
)

// readInputFile reads a file a flag names, of at most limit bytes (smallfile.Read),
// failing (exit 2) with the file and what it should hold (fileErr).
func readInputFile(what, path string, limit int64) ([]byte, error) {
	b, err := smallfile.Read(path, limit)
	if err != nil {
		return nil, fileErr(what, path, err)
	}
	return b, nil
}

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

// outputs are what a command that logs events writes: sealed payloads, created under
// temporary names while the command runs, and a bundle, new or updated in place.
// app.write writes the bundle, renames the payloads into place and reports; until
// then nothing looks complete, and abort removes what was begun.
type outputs struct {
	bundle    string // the bundle's path
	inPlace   bool   // the bundle replaces the one the command read
	payloads  []string
	files     []*atomicfile.File // the payloads' temporary files, as created
	placed    int                // how many of files are renamed into place
	committed bool               // all of them are, by commitPayloads
}

// newOutputs names a command's outputs, refusing (exit 2) any that exists already;
// a bundle updated in place must exist.
func newOutputs(bundle string, inPlace bool, payloads ...string) (*outputs, error) {
	check := payloads
	if !inPlace {
		check = append([]string{bundle}, payloads...)
	}
	if err := refuseExisting(check...); err != nil {
		return nil, err
	}
	return &outputs{bundle: bundle, inPlace: inPlace, payloads: payloads}, nil
}

// sealedOutputs checks the --recipient values (see expandRecipients) and names the
// outputs of a command that seals evidence, refusing any that exists already.
func sealedOutputs(recipientArgs []string, bundle string, inPlace bool, payloads ...string) ([]string, *outputs, error) {
	recipients, err := expandRecipients(recipientArgs)
	if err != nil {
		return nil, nil, err
	}
	out, err := newOutputs(bundle, inPlace, payloads...)
	return recipients, out, err
}

// payload creates the temporary file of the next payload, in the order named.
func (o *outputs) payload() (io.Writer, error) {
	path := o.payloads[len(o.files)]
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return nil, failErr(err)
	}
	o.files = append(o.files, f)
	return f, nil
}

// abort removes every temporary file not yet renamed into place.
func (o *outputs) abort() {
	for _, f := range o.files {
		if f != nil { // a lazy payload never written
			_ = f.Abort()
		}
	}
}

// write is the last step of every command that logs events: it writes the bundle
// (refusing a new one that appeared meanwhile), renames the payloads into place
// unless commitPayloads did (removing a new bundle if that fails), and reports the
// last n events of b and the files written.
func (a *app) write(o *outputs, b *custody.Bundle, n int) error {
	if !o.inPlace {
		if err := refuseExisting(o.bundle); err != nil {
			return err
		}
	}
	target := o.bundle
	if o.inPlace {
		var err error
		if target, err = inPlace(o.bundle); err != nil {
			return err
		}
	}
	if err := b.WriteFile(target); err != nil {
		if o.committed {
			return failErr(err, fmt.Sprintf("the event was logged and its sealed payload kept in %s, but without the bundle it cannot be verified; acquire again under another --out",
				strings.Join(o.payloads, ", ")))
		}
		return failErr(err)
	}
	if err := o.commit(); err != nil {
		if !o.inPlace {
			_ = os.Remove(o.bundle)
		}
		return err
	}
	return a.printEvents(b, n, append([]string{shownAs(o.bundle, target)}, o.payloads...)...)
}

// commit renames every payload into place (unless commitPayloads did), refusing to
// replace one that appeared meanwhile.
func (o *outputs) commit() error {
	if o.committed {
		return nil
	}
	if err := refuseExisting(o.payloads...); err != nil {
		return err
	}
	n, err := atomicfile.CommitAll(o.files)
	o.placed += n
	if err != nil {
		if n == len(o.files) { // all renamed; the directory's fsync failed
			return failErr(fmt.Errorf("writing the payloads: %w", err))
		}
		return failErr(fmt.Errorf("writing %s: %w", o.payloads[n], err))
	}
	return nil
}

// commitPayloads makes the payloads durable under their names (fsynced, renamed,
// directory fsynced) before the events that record them are logged, so that a crash
// after the log append never leaves a logged event without its payload. If logging
// then fails, removePayloads takes them away again; write no longer renames them.
func (o *outputs) commitPayloads() error {
	if err := o.commit(); err != nil {
		o.removePayloads()
		return err
	}
	o.committed = true
	return nil
}

// removePayloads removes the payloads commitPayloads put in place (nothing was logged
// for them after all).
func (o *outputs) removePayloads() {
	for _, p := range o.payloads[:o.placed] {
		_ = os.Remove(p)
	}
	o.placed, o.committed = 0, false
}

// printEvents reports the last n events of b and the files written. The report of a
// bulk disclosure has tens of thousands of lines: it is written through a buffer, as
// each line was before (write errors on stdout are not the command's failure).
func (a *app) printEvents(b *custody.Bundle, n int, files ...string) error {
	out := bufio.NewWriterSize(a.stdout, 64<<10)
	defer out.Flush()
	recs := b.Events[len(b.Events)-n:]
	parseStatements(recs)
	for _, r := range recs {
		st, err := r.Statement()
		if err != nil {
			return failErr(err)
		}
		ev := &st.Predicate
		fmt.Fprintf(out, "%s: item %s (%s) %s\n", ev.Type, custody.Escape(ev.Item.ID), custody.Escape(ev.Item.Description), ev.Item.Digest.SHA256())
		for _, d := range otherDigests(ev.Item.Digest) {
			fmt.Fprintf(out, "  %s\n", d)
		}
		if ev.Counterparty != nil {
			fmt.Fprintf(out, "  counterparty: %s\n", custody.Escape(ev.Counterparty.Party.String()))
		}
		fmt.Fprintf(out, "  event %s logged\n", r.CommitmentString())
	}
	for _, p := range files {
		fmt.Fprintf(out, "wrote %s\n", p)
	}
	return nil
}

// parseStatements decodes the statements of many records on every core; each record
// caches its statement, or its error, for the next Statement call.
func parseStatements(recs []*custody.Record) {
	if len(recs) < 64 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(recs)); i = next.Add(1) - 1 {
				_, _ = recs[i].Statement() // cached; the caller reports the error
			}
		})
	}
	wg.Wait()
}

// readBundle reads a bundle, telling a missing file from an unreadable bundle.
func readBundle(path string) (*custody.Bundle, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failErr(fmt.Errorf("bundle %s does not exist", path), "check the file name (NAME.custody.json)")
		}
		return nil, failErr(err)
	}
	b, err := custody.ReadBundle(path)
	if err != nil {
		return nil, failErr(err, "this is not a readable custody bundle; if it was altered, 'evidctl verify' cannot help either")
	}
	return b, nil
}

// sealedInput is what opening a sealed payload takes: the identities that open it,
// the bundle that records it, and the payload. Close the payload when done.
type sealedInput struct {
	ids     []age.Identity
	bundle  *custody.Bundle
	payload *source
}

// openSealed reads the identity file and the bundle and opens the payload, for reseal
// and decrypt.
func (a *app) openSealed(bundle, payload, identity string) (*sealedInput, error) {
	ids, err := readIdentities(identity)
	if err != nil {
		return nil, err
	}
	b, err := readBundle(bundle)
	if err != nil {
		return nil, err
	}
	src, err := a.openSource("payload", payload)
	if err != nil {
		return nil, err
	}
	return &sealedInput{ids: ids, bundle: b, payload: src}, nil
}

// readIdentities reads an age identity file.
func readIdentities(path string) ([]age.Identity, error) {
	if err := checkIdentityFile(path); err != nil {
		return nil, err
	}
	ids, err := seal.ReadIdentities(path)
	if err != nil {
		return nil, failErr(err, "give an age identity file, such as the PREFIX.age.txt keygen --age wrote")
	}
	return ids, nil
}

// expandRecipients turns --recipient values into recipient strings: each value is a
// recipient (age1…, age1pq1…, ssh-…) or the path of a recipients file (one per line,
// "#" comments). Every recipient is checked.
func expandRecipients(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		s := strings.TrimSpace(arg)
		if err := checkRecipient("", classifyKey([]byte(s))); err != nil {
			return nil, err
		}
		if strings.HasPrefix(s, "age1") || strings.HasPrefix(s, "ssh-") {
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
	data, err := smallfile.Read(path, keyFileLimit)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErr(fmt.Sprintf("--recipient %s: not a recipient, and no such file", shownArg(path)),
				"give an age recipient (age1…), an SSH public key, or a recipients file such as PREFIX.recipient.txt")
		}
		return nil, failErr(fmt.Errorf("reading recipients file %s: %w", path, err))
	}
	if err := checkRecipient(path, classifyKey(data)); err != nil {
		return nil, err
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

// refuseLink fails (exit 2) when the file a flag names is a symbolic link: evidctl
// never writes through one. An empty path is no file.
func refuseLink(flag, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == fs.ModeSymlink {
		return usageErr(fmt.Sprintf("%s %s is a symbolic link", flag, path),
			"evidctl never writes through a link: give the name of a regular file, or remove the link")
	}
	return nil
}

// writeListenFile writes the address a server listens on, and a newline, to path
// (nothing when path is empty), atomically, refusing a symbolic link or anything but a
// regular file, for 'serve --listen-file' and 'witness serve --listen-file'.
func writeListenFile(path string, addr net.Addr) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() != fs.ModeSymlink && !fi.Mode().IsRegular() {
		return failErr(fmt.Errorf("listen file %s exists and is not a regular file", path))
	}
	if err := atomicfile.WriteFile(path, []byte(addr.String()+"\n"), 0o644); err != nil {
		return failErr(fmt.Errorf("writing the listening address to %s: %w", path, err))
	}
	return nil
}

// inPlace is the file that updating path in place rewrites: path itself, or, when
// path is a symbolic link, the file it points to (replaced atomically in its own
// directory, so that the link stays a link and names the new content).
func inPlace(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != fs.ModeSymlink {
		return path, nil // a missing file is reported by whoever reads it
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", failErr(fmt.Errorf("resolving the symbolic link %s: %w", path, err))
	}
	return target, nil
}

// shownAs names a file written in place for the user: through a link, both names.
func shownAs(path, target string) string {
	if target == path {
		return path
	}
	return fmt.Sprintf("%s (through the link to %s)", path, target)
}

// removeStale removes the temporary files of path that an interrupted evidctl left
// behind (see internal/atomicfile), and says so: they may hold unverified plaintext.
func (a *app) removeStale(path string) {
	removed, _ := atomicfile.RemoveStale(path)
	for _, p := range removed {
		fmt.Fprintf(a.stderr, "removed %s, a temporary file left by an interrupted evidctl\n", p)
	}
}

// otherDigests are the digests of s besides SHA-256: those requested with --hash.
func otherDigests(s digest.Set) digest.Set {
	return slices.DeleteFunc(slices.Clone(s), func(d digest.Digest) bool { return d.Algorithm == digest.SHA256 })
}
