package seal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

const (
	keyFileSizeLimit = 16 << 20 // 16 MiB, as age
	lineLengthLimit  = 8 << 10  // 8 KiB, as age and sshd(8)
	sshKeySizeLimit  = 16 << 10 // 16 KiB, as age
)

// pluginUI is how plugins talk to the user. A library has no terminal, so
// messages are dropped and requests for input or confirmation fail: plugins
// that need a PIN or a touch confirmation prompt must be used from the CLI.
var pluginUI = &plugin.ClientUI{
	DisplayMessage: func(name, message string) error { return nil },
	RequestValue: func(name, prompt string, secret bool) (string, error) {
		return "", fmt.Errorf("age-plugin-%s asked for input, but plugins run non-interactively here", name)
	},
	Confirm: func(name, prompt, yes, no string) (bool, error) {
		return false, fmt.Errorf("age-plugin-%s asked for confirmation, but plugins run non-interactively here", name)
	},
}

// ParseRecipient parses one recipient: an X25519 key ("age1…"), a hybrid
// post-quantum key ("age1pq1…"), an SSH public key ("ssh-ed25519 …", "ssh-rsa …") or a
// plugin recipient ("age1NAME1…", run through age-plugin-NAME on $PATH when
// sealing). Surrounding spaces are ignored. Errors never quote the input: a
// secret key pasted by mistake must not end up in a log.
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	var (
		r    age.Recipient
		err  error
		kind string
	)
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		kind = "post-quantum recipient (age1pq1…)"
		r, err = age.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1:
		kind = "plugin recipient (age1NAME1…)"
		r, err = plugin.NewRecipient(s, pluginUI)
	case strings.HasPrefix(s, "age1"):
		kind = "X25519 recipient (age1…)"
		r, err = age.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-"):
		kind = "SSH recipient"
		r, err = parseSSHRecipient(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-") || strings.HasPrefix(s, "AGE-PLUGIN-"):
		return nil, secretKeyError("this is a secret key (an identity), not a recipient: share its public key instead")
	case strings.HasPrefix(s, "PRIVATE+KEY+"):
		return nil, secretKeyError("this is a private note signing key, not a recipient")
	case strings.HasPrefix(s, "-----BEGIN"):
		return nil, pemRecipientError(s)
	case s == "":
		return nil, errors.New("empty recipient")
	default:
		return nil, errors.New("unknown recipient type: want age1…, age1pq1…, ssh-ed25519 … or ssh-rsa …")
	}
	if err != nil {
		// The underlying errors quote the input; keep only the kind.
		return nil, fmt.Errorf("malformed %s", kind)
	}
	return r, nil
}

// ErrSecretKey means a secret key (an age identity, a private key) was given where a
// recipient is expected. Errors that match it never quote the key.
var ErrSecretKey = errors.New("secret key where a recipient is expected")

// secretKeyError is an error that matches ErrSecretKey.
type secretKeyError string

func (e secretKeyError) Error() string        { return string(e) }
func (e secretKeyError) Is(target error) bool { return target == ErrSecretKey }

// pemRecipientError says what a PEM block given as a recipient is, by its type.
func pemRecipientError(s string) error {
	label, _, _ := strings.Cut(strings.TrimPrefix(s, "-----BEGIN "), "-----")
	switch {
	case strings.Contains(label, "PRIVATE KEY"):
		return secretKeyError("this is a private key, not a recipient: give the matching public recipient (age1… or an SSH public key)")
	case label == "PUBLIC KEY":
		return errors.New("this is a PEM public key (such as a signing key's .pub), not an age recipient: give an age1… recipient or an SSH public key")
	case label == "CERTIFICATE":
		return errors.New("this is a PEM certificate, not an age recipient: give an age1… recipient or an SSH public key")
	}
	return errors.New("this is a PEM block, not a recipient: want age1…, age1pq1…, ssh-ed25519 … or ssh-rsa …")
}

func parseSSHRecipient(s string) (age.Recipient, error) {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return nil, err
	}
	switch pk.Type() {
	case ssh.KeyAlgoED25519:
		return agessh.NewEd25519Recipient(pk)
	case ssh.KeyAlgoRSA:
		return agessh.NewRSARecipient(pk)
	}
	return nil, errors.New("unsupported SSH key type")
}

// ParseRecipients parses a recipients file: one recipient per line in any
// form [ParseRecipient] accepts; empty lines and lines starting with "#" are
// ignored. At least one recipient is required. Errors name the line number,
// never its content.
func ParseRecipients(r io.Reader) ([]age.Recipient, error) {
	return parseLines(r, "recipients", "recipients", ParseRecipient)
}

// ReadRecipients interprets a command-line argument: a recipient string (it
// starts with "age1" or "ssh-"), or else the path of a recipients file or of
// an SSH ".pub" file.
func ReadRecipients(arg string) ([]age.Recipient, error) {
	if s := strings.TrimSpace(arg); strings.HasPrefix(s, "age1") || strings.HasPrefix(s, "ssh-") {
		r, err := ParseRecipient(s)
		if err != nil {
			return nil, err
		}
		return []age.Recipient{r}, nil
	}
	return readFile(arg, "recipients", ParseRecipients)
}

// ParseIdentities parses an identity file: either an age-keygen file (one
// "AGE-SECRET-KEY-1…", "AGE-SECRET-KEY-PQ-1…" or "AGE-PLUGIN-…" key per line,
// "#" comments and empty lines ignored) or one unencrypted OpenSSH/PEM
// private key (Ed25519 or RSA). Passphrase-protected SSH keys and
// passphrase-encrypted age identity files are rejected: a library cannot
// prompt. Errors never contain key material, only line numbers and kinds.
func ParseIdentities(r io.Reader) ([]age.Identity, error) {
	br := bufio.NewReader(r)
	peek, _ := br.Peek(1024)
	trimmed := bytes.TrimSpace(peek)
	switch {
	case bytes.HasPrefix(peek, []byte(ageMagic)) || bytes.HasPrefix(trimmed, []byte("-----BEGIN AGE ENCRYPTED FILE-----")):
		return nil, errors.New("identity file is itself encrypted with a passphrase; decrypt it with age first")
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		return parseSSHIdentity(br)
	}
	return parseLines(br, "identity", "identities", parseIdentityLine)
}

func parseIdentityLine(s string) (age.Identity, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		if id, err := age.ParseHybridIdentity(s); err == nil {
			return id, nil
		}
		return nil, errors.New("malformed post-quantum identity (AGE-SECRET-KEY-PQ-1…)")
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		if id, err := age.ParseX25519Identity(s); err == nil {
			return id, nil
		}
		return nil, errors.New("malformed X25519 identity (AGE-SECRET-KEY-1…)")
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		if id, err := plugin.NewIdentity(s, pluginUI); err == nil {
			return id, nil
		}
		return nil, errors.New("malformed plugin identity (AGE-PLUGIN-…)")
	case strings.HasPrefix(s, "age1") || strings.HasPrefix(s, "ssh-"):
		return nil, errors.New("this is a recipient (public key), not an identity")
	}
	return nil, errors.New("unknown identity type: want AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1… or AGE-PLUGIN-…")
}

func parseSSHIdentity(r io.Reader) ([]age.Identity, error) {
	pem, err := io.ReadAll(io.LimitReader(r, sshKeySizeLimit+1))
	if err != nil {
		return nil, fmt.Errorf("reading SSH private key: %w", err)
	}
	if len(pem) > sshKeySizeLimit {
		return nil, errors.New("SSH private key file is too long")
	}
	id, err := agessh.ParseIdentity(pem)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, errors.New("SSH private key is protected by a passphrase; remove it (ssh-keygen -p) or use an age identity")
	case err != nil:
		// ssh errors may describe the key's content; keep only the kind.
		return nil, errors.New("malformed or unsupported SSH private key (want unencrypted ssh-ed25519 or ssh-rsa)")
	}
	return []age.Identity{id}, nil
}

// ReadIdentities reads an identity file with [ParseIdentities].
func ReadIdentities(path string) ([]age.Identity, error) {
	return readFile(path, "identity", ParseIdentities)
}

// readFile parses the file at path with parse; what names the file in errors
// ("recipients", "identity").
func readFile[T any](path, what string, parse func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s file: %w", what, err)
	}
	defer f.Close()
	out, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s file %q: %w", what, path, err)
	}
	return out, nil
}

// parseLines parses every line of r that is neither empty nor a "#" comment with parse,
// and wants at least one. Lines must be valid UTF-8; r is read up to keyFileSizeLimit.
// what names the file in errors ("recipients", "identity"), and plural what it holds
// ("recipients", "identities"); errors name the line number, never its content.
func parseLines[T any](r io.Reader, what, plural string, parse func(line string) (T, error)) ([]T, error) {
	var out []T
	lr := &io.LimitedReader{R: r, N: keyFileSizeLimit + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), lineLengthLimit+2)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s file: line %d is not valid UTF-8", what, n)
		}
		v, err := parse(line)
		if err != nil {
			return nil, fmt.Errorf("%s file: line %d: %w", what, n, err)
		}
		out = append(out, v)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s file: line %d is too long", what, n+1)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s file: %w", what, err)
	}
	if lr.N == 0 {
		return nil, fmt.Errorf("%s file is too long", what)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s file: no %s found", what, plural)
	}
	return out, nil
}

// GenerateX25519 returns a new random X25519 identity, readable by every age
// implementation. Prefer [GenerateHybrid] for material that must stay
// confidential against future quantum computers.
func GenerateX25519() (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generating X25519 identity: %w", err)
	}
	return id, nil
}

// GenerateHybrid returns a new random hybrid post-quantum identity
// (ML-KEM-768 + X25519, age1pq1… recipients; needs age v1.3.0 or later to
// decrypt).
func GenerateHybrid() (*age.HybridIdentity, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("generating post-quantum identity: %w", err)
	}
	return id, nil
}

// FormatIdentity returns id as an age-keygen file:
//
//	# created: 2006-01-02T15:04:05Z
//	# public key: age1…
//	AGE-SECRET-KEY-1…
//
// The "# created:" line is left out when created is the zero time. Only
// X25519 and hybrid identities can be formatted. Write the result with mode
// 0600: it is a secret.
func FormatIdentity(id age.Identity, created time.Time) ([]byte, error) {
	pub, err := RecipientOf(id)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if !created.IsZero() {
		fmt.Fprintf(&b, "# created: %s\n", created.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "# public key: %s\n", pub)
	fmt.Fprintf(&b, "%s\n", id.(fmt.Stringer).String())
	return b.Bytes(), nil
}

// RecipientOf returns the public recipient string ("age1…" or "age1pq1…")
// of an X25519 or hybrid identity.
func RecipientOf(id age.Identity) (string, error) {
	switch id := id.(type) {
	case *age.X25519Identity:
		return id.Recipient().String(), nil
	case *age.HybridIdentity:
		return id.Recipient().String(), nil
	}
	return "", fmt.Errorf("identity type %T has no age recipient string (want X25519 or hybrid)", id)
}
