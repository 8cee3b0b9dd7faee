package seal

import (
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// Stanza is one recipient stanza of an age header: who the file key is wrapped for.
// Type is "X25519", "mlkem768x25519" (the post-quantum hybrid), "ssh-ed25519",
// "ssh-rsa", "scrypt", or a plugin's own; Args are the stanza's arguments (for the
// SSH types the first is the recipient key's tag, the base64 of the first four bytes
// of the SHA-256 of its wire encoding). The wrapped key itself is not kept.
type Stanza struct {
	Type string
	Args []string
}

// MaxHeaderSize bounds the header [ReadHeader] reads: 1 MiB holds thousands of
// recipients.
const MaxHeaderSize = 1 << 20

// ReadHeader reads the header of a binary age file from r with age's own parser
// (age.ExtractHeader) and returns its recipient stanzas, in order. It reads at most
// [MaxHeaderSize] bytes, and may read past the header. Nothing is decrypted: the
// stanzas say how many recipients the file is sealed to and of which types, not who
// they are (beyond an SSH key's tag). Errors never quote the input.
func ReadHeader(r io.Reader) ([]Stanza, error) {
	hdr, err := age.ExtractHeader(io.LimitReader(r, MaxHeaderSize))
	if err != nil {
		// age's parse errors may describe the input's first line: not quoted here.
		return nil, fmt.Errorf("reading age header: not a binary age header of at most %d bytes: %w", MaxHeaderSize, ErrCorrupt)
	}
	// age re-encodes the header it parsed: one stanza opens with each "-> " line,
	// and no body line starts so (body lines are base64, the last "--- " the MAC).
	var out []Stanza
	for line := range strings.Lines(string(hdr)) {
		rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "-> ")
		if !ok {
			continue
		}
		f := strings.Split(rest, " ")
		out = append(out, Stanza{Type: f[0], Args: f[1:]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading age header: no recipient stanza: %w", ErrCorrupt)
	}
	return out, nil
}
