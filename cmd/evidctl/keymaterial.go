package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/internal/smallfile"
)

// Keys of the wrong kind. Every flag that takes a key (or a key file) first asks what
// the material is, so that a private key given where a public one belongs is refused
// by name, with a hint naming the right file, and never quoted; report redacts
// whatever key material an error from elsewhere might still carry.

// keyKind is what a key file or key string holds, as far as its form tells.
type keyKind int

const (
	unknownKey     keyKind = iota
	signingKey             // an encrypted sigstore/cosign private key (PREFIX.key)
	privatePEM             // another PEM private key: PKCS #8, EC, RSA, OpenSSH
	publicPEM              // a PEM public key (PREFIX.pub)
	certificatePEM         // a PEM certificate
	ageIdentity            // AGE-SECRET-KEY-1…, AGE-PLUGIN-… (PREFIX.age.txt)
	ageRecipient           // age1… (PREFIX.recipient.txt)
	sshPublic              // ssh-ed25519 AAAA…, ssh-rsa AAAA…
	noteSigner             // PRIVATE+KEY+NAME+HASH+KEY (HOME/log.key)
	noteVerifier           // NAME+HASH+KEY (HOME/log.pub)
)

// secret says whether the material must never be shown.
func (k keyKind) secret() bool {
	return k == signingKey || k == privatePEM || k == ageIdentity || k == noteSigner
}

// is says what the material is, after "X is" or "X holds".
func (k keyKind) is() string {
	switch k {
	case signingKey:
		return "is a private signing key"
	case privatePEM:
		return "is a private key (PEM)"
	case publicPEM:
		return "is a signing public key (PEM)"
	case certificatePEM:
		return "is a certificate (PEM)"
	case ageIdentity:
		return "holds an age identity (a secret key)"
	case ageRecipient:
		return "holds an age recipient"
	case sshPublic:
		return "holds an SSH public key"
	case noteSigner:
		return "holds a private note signing key"
	case noteVerifier:
		return "holds a note verifier key"
	}
	return "holds something unrecognised"
}

var (
	pemBegin        = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----`)
	noteVerifierKey = regexp.MustCompile(`^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$`)
)

// classifyKey says what data holds: the first PEM block decides, else the first line
// that is neither empty nor a "#" comment.
func classifyKey(data []byte) keyKind {
	if m := pemBegin.FindSubmatch(data); m != nil {
		switch label := string(m[1]); {
		case label == sign.SigstorePrivateKeyPEMType || label == sign.CosignPrivateKeyPEMType:
			return signingKey
		case strings.Contains(label, "PRIVATE KEY"):
			return privatePEM
		case label == sign.PublicKeyPEMType:
			return publicPEM
		case label == "CERTIFICATE":
			return certificatePEM
		}
		return unknownKey
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return classifyLine(line)
	}
	return unknownKey
}

func classifyLine(line string) keyKind {
	upper := strings.ToUpper(line)
	switch {
	case strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.HasPrefix(upper, "AGE-PLUGIN-"):
		return ageIdentity
	case strings.HasPrefix(line, "PRIVATE+KEY+"):
		return noteSigner
	case strings.HasPrefix(line, "age1"):
		return ageRecipient
	case strings.HasPrefix(line, "ssh-") || strings.HasPrefix(line, "ecdsa-sha2-"):
		return sshPublic
	case noteVerifierKey.MatchString(line):
		return noteVerifier
	}
	return unknownKey
}

// looksSecret says whether a flag value or argument is itself secret key material.
func looksSecret(s string) bool { return classifyKey([]byte(s)).secret() }

// readKeyFile reads a file a key flag names, or fails (exit 2) saying which.
func readKeyFile(what, path string) ([]byte, error) {
	return readInputFile(what, path, keyFileLimit)
}

// wrongKey refuses material of kind got given with flag (and file, when it names
// one) where want belongs, with the hints given; it never quotes the material.
func wrongKey(flag, file string, got keyKind, want string, hints ...string) error {
	name := flag
	if file != "" {
		name += " " + shownArg(file)
	}
	return usageErr(fmt.Sprintf("%s %s, not %s", name, got.is(), want), hints...)
}

// keyPrefix strips what keygen appends to a prefix: lab.key, lab.pub, lab.age.txt,
// lab.recipient.txt, lab.id.json → lab.
func keyPrefix(path string) string {
	for _, s := range []string{".age.txt", ".recipient.txt", ".id.json", ".key", ".pub", ".pem"} {
		if p, ok := strings.CutSuffix(path, s); ok && p != "" {
			return p
		}
	}
	return path
}

// sibling names the file beside path that keygen would have written with one of the
// suffixes and that holds material of one of the kinds wanted, or "".
func sibling(path string, want []keyKind, suffixes ...string) string {
	if path == "" {
		return ""
	}
	for _, suffix := range suffixes {
		p := keyPrefix(path) + suffix
		if p == path {
			continue
		}
		if data, err := smallfile.Read(p, keyFileLimit); err == nil && slices.Contains(want, classifyKey(data)) {
			return p
		}
	}
	return ""
}

// giveSibling is the hint "give SIBLING" (see sibling), or else "give generic".
func giveSibling(path, generic string, want []keyKind, suffixes ...string) string {
	return "give " + cmp.Or(sibling(path, want, suffixes...), generic)
}

// checkPublicKey refuses (exit 2) anything but a signing public key in data, the
// content of path given with flag (trust add-signer --key, transfer --to, serve --allow).
func checkPublicKey(flag, path string, data []byte) error {
	switch k := classifyKey(data); k {
	case publicPEM, unknownKey:
		return nil // the parser says what is wrong with it
	case certificatePEM:
		return wrongKey(flag, path, k, "a signing public key",
			"to trust whoever a certificate authority certifies, use 'trust add-signer --roots CA.pem' with identity constraints")
	default:
		return wrongKey(flag, path, k, "a signing public key", giveSibling(path, "the PREFIX.pub that keygen wrote", []keyKind{publicPEM}, ".pub"))
	}
}

// checkSigningKey refuses (exit 2) anything but a private signing key in the file a
// signing command's --key names.
func checkSigningKey(path string) error {
	data, err := readKeyFile("signing key", path)
	if err != nil {
		return err
	}
	switch k := classifyKey(data); k {
	case signingKey, unknownKey, privatePEM:
		return nil // the parser says what is wrong with it
	case ageIdentity:
		return wrongKey("--key", path, k, "a private signing key",
			"an age identity opens sealed payloads: pass it as --identity",
			giveSibling(path, "your PREFIX.key from keygen", []keyKind{signingKey}, ".key"))
	default:
		return wrongKey("--key", path, k, "a private signing key", giveSibling(path, "your PREFIX.key from keygen", []keyKind{signingKey}, ".key"))
	}
}

// checkIdentityFile refuses (exit 2) anything but an age identity (or an SSH private
// key, which age accepts) in the file --identity names.
func checkIdentityFile(path string) error {
	data, err := readKeyFile("identity file", path)
	if err != nil {
		return err
	}
	switch k := classifyKey(data); k {
	case ageIdentity, privatePEM, unknownKey:
		return nil
	default:
		return wrongKey("--identity", path, k, "an age identity", giveSibling(path, "the PREFIX.age.txt that keygen --age wrote", []keyKind{ageIdentity}, ".age.txt"))
	}
}

// recipientKinds are what --recipient takes.
var recipientKinds = []keyKind{ageRecipient, sshPublic}

// checkRecipient refuses (exit 2) material that is not a recipient, given as
// --recipient (file is "" when the value itself was the material).
func checkRecipient(file string, k keyKind) error {
	switch k {
	case ageRecipient, sshPublic, unknownKey:
		return nil
	case ageIdentity:
		return wrongKey("--recipient", file, k, "an age recipient",
			giveSibling(file, "its recipient: the '# public key:' line of the identity file, or PREFIX.recipient.txt", recipientKinds, ".recipient.txt"))
	default:
		return wrongKey("--recipient", file, k, "an age recipient",
			giveSibling(file, "an age recipient (age1…, or the PREFIX.recipient.txt that keygen --age wrote) or an SSH public key", recipientKinds, ".recipient.txt", ".pub"))
	}
}

// checkNoteVerifier refuses (exit 2) anything but a note verifier key given with flag
// (file: the file it names, or "" for a value), for trust add-log.
func checkNoteVerifier(flag, file, key string) error {
	switch k := classifyKey([]byte(key)); k {
	case noteVerifier, unknownKey:
		return nil // the policy says what is wrong with it
	case noteSigner:
		return wrongKey(flag, file, k, "a log's verifier key",
			"give the log's verifier key ("+cmp.Or(sibling(file, []keyKind{noteVerifier}, ".pub", ".key.pub"),
				"HOME/log.pub, KEY.pub beside a Trillian --ledger-key, or the 'verifier key' line that 'evidctl init' printed")+
				") and keep the signing key secret")
	default:
		return wrongKey(flag, file, k, "a log's verifier key",
			"give the log's verifier key (HOME/log.pub, or the 'verifier key' line that 'evidctl init' printed)")
	}
}

// shownArg is an argument as an error may show it: key material is never shown.
func shownArg(s string) string {
	if looksSecret(s) {
		return "(key material, not shown)"
	}
	return s
}

// secretPatterns match key material in a message, for redact.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(-----END [A-Z0-9 ]*-----|$)`),
	regexp.MustCompile(`PRIVATE\+KEY\+[^\s"']*`),
	regexp.MustCompile(`(?i)AGE-(SECRET-KEY|PLUGIN)-[^\s"']*`),
}

// redact replaces key material in a message: the last guard that secrets never reach
// the terminal or a log, whatever error carried them.
func redact(msg string) string {
	for _, re := range secretPatterns {
		msg = re.ReplaceAllString(msg, "[key material not shown]")
	}
	return msg
}
