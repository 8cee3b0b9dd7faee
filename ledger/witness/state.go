package witness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	fnote "github.com/transparency-dev/formats/note"
	wconfig "github.com/transparency-dev/witness/config"
	"github.com/transparency-dev/witness/persistence/sqlite"

	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

// The files of a witness directory.
const (
	// KeyFile is the witness's note signing key, plain text, mode 0600.
	KeyFile = "witness.key"
	// StateFile is the SQLite database of the logs the witness accepts and the latest
	// checkpoint it cosigned for each (transparency-dev/witness's schema; SQLite adds
	// StateFile-wal and StateFile-shm beside it).
	StateFile = "witness.db"
)

// ErrLogKeyConflict is returned by AddLog for a log the witness already accepts under
// another key.
var ErrLogKeyConflict = errors.New("log already listed with another key")

// Log is a log a witness accepts.
type Log struct {
	Origin      string // the first line of the log's checkpoints
	VerifierKey string // the log's C2SP note verifier key
}

// Init creates a witness in dir (created with mode 0700 if missing): it generates an
// Ed25519 note signing key named name and writes it to dir/witness.key, plain and
// readable by its owner only (mode 0600: protect the directory, it is the witness's
// identity), and creates the empty state database. It refuses a dir that already holds
// a witness key. It returns the witness's verifier key, a C2SP signed-note vkey of type
// 0x04 (cosignature/v1), for the witness policies of logs and verifiers.
//
// name is the witness's name on its cosignatures: by convention a schema-less URL such as
// "witness.court.example/1"; it may not contain spaces or '+'.
func Init(dir, name string) (verifierKey string, err error) {
	if err := checkDir(dir); err != nil {
		return "", fmt.Errorf("initialising witness: %w", err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	if _, err := os.Lstat(keyPath); err == nil {
		return "", fmt.Errorf("initialising witness: %s already holds a witness key: %w", dir, fs.ErrExist)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("initialising witness: %w", err)
	}
	vkey, err := notekey.WriteNew(keyPath, name)
	if err != nil {
		return "", fmt.Errorf("initialising witness: %w", err)
	}
	if err := withState(context.Background(), dir, func(*sqlite.Persistence) error { return nil }); err != nil {
		_ = os.Remove(keyPath)
		return "", fmt.Errorf("initialising witness: %w", err)
	}
	cvkey, err := fnote.VKeyToCosignatureV1(vkey)
	if err != nil {
		return "", fmt.Errorf("initialising witness: %v", err)
	}
	return cvkey, nil
}

// VerifierKey returns the cosignature/v1 verifier key of the witness in dir.
func VerifierKey(dir string) (string, error) {
	_, vkey, err := readKey(dir)
	return vkey, err
}

// AddLog records that the witness in dir accepts the log with origin, whose checkpoints
// its key logKey (a C2SP note verifier key) signs. Adding a log again with the same key
// does nothing; with another key it fails with ErrLogKeyConflict: a witness never
// changes a log's key, which would let the holder of the new key sign a fork. A running
// server sees the log at its next request.
func AddLog(dir, origin, logKey string) error {
	if err := checkOrigin(origin); err != nil {
		return fmt.Errorf("adding log: %w", err)
	}
	if strings.HasPrefix(logKey, "PRIVATE+KEY+") {
		return fmt.Errorf("adding log %q: that is a private signer key; give the log's verifier key, and keep the private key secret", origin)
	}
	if _, err := fnote.NewVerifier(logKey); err != nil {
		// The parser's error quotes the key: say only what is wanted.
		return fmt.Errorf("adding log %q: not a C2SP signed-note verifier key (NAME+HASH+KEY)", origin)
	}
	if _, _, err := readKey(dir); err != nil {
		return fmt.Errorf("adding log %q: %w", origin, err)
	}
	ctx := context.Background()
	return withState(ctx, dir, func(p *sqlite.Persistence) error {
		logs, err := listLogs(ctx, p)
		if err != nil {
			return err
		}
		for _, l := range logs {
			if l.Origin == origin && l.VerifierKey == logKey {
				return nil
			}
			if l.Origin == origin {
				return fmt.Errorf("adding log %q: %w (%s)", origin, ErrLogKeyConflict, keyName(l.VerifierKey))
			}
		}
		if err := p.AddLogs(ctx, []wconfig.Log{{Origin: origin, VKey: logKey}}); err != nil {
			return fmt.Errorf("adding log %q: %v", origin, err)
		}
		return nil
	})
}

// Logs lists the logs the witness in dir accepts.
func Logs(dir string) ([]Log, error) {
	var out []Log
	ctx := context.Background()
	err := withState(ctx, dir, func(p *sqlite.Persistence) error {
		var err error
		out, err = listLogs(ctx, p)
		return err
	})
	return out, err
}

func listLogs(ctx context.Context, p *sqlite.Persistence) ([]Log, error) {
	var out []Log
	for l, err := range p.Logs(ctx) {
		if err != nil {
			return nil, fmt.Errorf("reading the witness's logs: %v", err)
		}
		out = append(out, Log{Origin: l.Origin, VerifierKey: l.VKey})
	}
	return out, nil
}

// withState opens the state database of the witness in dir for the length of fn.
func withState(ctx context.Context, dir string, fn func(*sqlite.Persistence) error) (err error) {
	p, closeDB, err := openState(ctx, dir)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeDB(); err == nil && cerr != nil {
			err = fmt.Errorf("closing witness state: %v", cerr)
		}
	}()
	return fn(p)
}

// openState opens dir's SQLite database with one connection, so that every update of
// this process runs in turn (others wait for SQLite's lock).
func openState(ctx context.Context, dir string) (*sqlite.Persistence, func() error, error) {
	if err := checkDir(dir); err != nil {
		return nil, nil, err
	}
	abs, err := filepath.Abs(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, nil, err
	}
	p, closeDB, err := sqlite.New(ctx, sqlite.Opts{Path: abs, MaxOpenConns: 1})
	if err != nil {
		return nil, nil, fmt.Errorf("opening witness state %s: %v", abs, err)
	}
	return p, closeDB, nil
}

// checkDir refuses directory names the SQLite driver would read as options.
func checkDir(dir string) error {
	if dir == "" {
		return errors.New("no witness directory given")
	}
	if strings.ContainsAny(dir, "?#") {
		return fmt.Errorf("witness directory %q: a '?' or '#' in the path is not supported", dir)
	}
	return nil
}

func checkOrigin(origin string) error {
	if origin == "" {
		return errors.New("empty origin")
	}
	if strings.IndexFunc(origin, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("origin %q has a control character", origin)
	}
	return nil
}

// readKey loads the witness's key as a cosignature/v1 signer, with its verifier key,
// refusing a key file that others may read. Errors never include the key.
func readKey(dir string) (fnote.Signer, string, error) {
	path := filepath.Join(dir, KeyFile)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading witness key: %w (is %s a witness directory made by Init?)", err, dir)
	}
	if !fi.Mode().IsRegular() {
		return nil, "", fmt.Errorf("witness key %s is not a regular file", path)
	}
	skey, err := notekey.ReadSecret(path, "witness key")
	if err != nil {
		return nil, "", err
	}
	// The parsers' errors may quote the key: say only what is wanted.
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, "", fmt.Errorf("witness key %s: not a note signer key (PRIVATE+KEY+NAME+HASH+KEY)", path)
	}
	vkey, err := notekey.VerifierKey(skey)
	if err == nil {
		vkey, err = fnote.VKeyToCosignatureV1(vkey)
	}
	if err != nil {
		return nil, "", fmt.Errorf("witness key %s: not an Ed25519 note signer key", path)
	}
	return s, vkey, nil
}

// keyName names a note verifier key by its name and key hash, "NAME+HASH", quoting none
// of the key.
func keyName(vkey string) string {
	v, err := fnote.NewVerifier(vkey)
	if err != nil {
		return "a key that does not parse"
	}
	return fmt.Sprintf("key %s+%08x", v.Name(), v.KeyHash())
}
