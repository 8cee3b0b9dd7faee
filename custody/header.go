package custody

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/evidctl/evidctl/crypto/seal"
)

// The recipients an event declares for a sealed payload are a claim its signer makes.
// The age header of the payload shows, without decrypting, how many recipients the
// file key is wrapped for, their types and, for SSH keys, a tag of each key. A payload
// sealed to one more recipient than declared — a copy for someone unnamed — breaks
// RuleHeader.

// declared is what a recipient string lets the header show: the stanza type it
// makes ("" for a plugin, whose stanza type is its own) and, for SSH keys, the tag.
type declared struct {
	recipient string
	stanza    string
	tag       string
}

func declare(recipient string) declared {
	d := declared{recipient: recipient}
	if k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(recipient)); err == nil {
		sum := sha256.Sum256(k.Marshal())
		d.stanza, d.tag = k.Type(), base64.RawStdEncoding.EncodeToString(sum[:4])
		return d
	}
	lower := strings.ToLower(recipient)
	switch hrp := lower[:max(strings.LastIndexByte(lower, '1'), 0)]; hrp {
	case "age":
		d.stanza = "X25519"
	case "age1pq":
		d.stanza = "mlkem768x25519"
	}
	return d
}

// headerViolation compares a payload's header stanzas with the recipients declared
// for it, as far as the header allows: as many stanzas as recipients, a stanza of the
// right type (and SSH key tag) for each native recipient, and the rest for plugins.
func headerViolation(stanzas []seal.Stanza, recipients []string) *Violation {
	v := &Violation{Rule: RuleHeader, Expected: fmt.Sprintf("%d %s: %s", len(recipients), plural(len(recipients), "recipient", "recipients"),
		strings.Join(stanzaTypes(recipients), ", ")), Found: fmt.Sprintf("%d %s: %s", len(stanzas), plural(len(stanzas), "stanza", "stanzas"), foundTypes(stanzas))}
	if len(stanzas) != len(recipients) {
		v.Detail = fmt.Sprintf("the sealed payload is encrypted to %d recipients, but the statement declares %d", len(stanzas), len(recipients))
		return v
	}
	used := make([]bool, len(stanzas))
	for _, r := range recipients {
		d := declare(r)
		if d.stanza == "" {
			continue // a plugin: any stanza left over
		}
		i := 0
		for ; i < len(stanzas); i++ {
			s := stanzas[i]
			if !used[i] && s.Type == d.stanza && (d.tag == "" || len(s.Args) > 0 && s.Args[0] == d.tag) {
				break
			}
		}
		if i == len(stanzas) {
			v.Detail = fmt.Sprintf("no recipient stanza of the sealed payload is for the declared %s recipient %s", d.stanza, shortRecipient(r))
			return v
		}
		used[i] = true
	}
	return nil
}

func stanzaTypes(recipients []string) []string {
	out := make([]string, len(recipients))
	for i, r := range recipients {
		out[i] = declare(r).stanza
		if out[i] == "" {
			out[i] = "plugin"
		}
	}
	return out
}

func foundTypes(stanzas []seal.Stanza) string {
	out := make([]string, len(stanzas))
	for i, s := range stanzas {
		out[i] = s.Type
	}
	return strings.Join(out, ", ")
}

// shortRecipient is the start of a recipient string, for a message.
func shortRecipient(r string) string {
	if len(r) > 24 {
		return r[:24] + "…"
	}
	return r
}
