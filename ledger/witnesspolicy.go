package ledger

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// MaxWitnessPolicySize bounds the policy text [ParseWitnessPolicy] reads.
const MaxWitnessPolicySize = 1 << 20

// maxGroupThreshold is the largest k a "group NAME k" line may give: Tessera reads k as
// an 8-bit number, and a policy this package accepts must mean the same to Tessera.
const maxGroupThreshold = 255

// WitnessPolicy says which witnesses' cosignatures a checkpoint needs: the witness
// policy text of Tessera and Sigsum, read by [ParseWitnessPolicy]. One line per item,
// '#' starts a comment:
//
//	witness NAME VKEY [URL]      a witness: its C2SP note verifier key (cosignature/v1,
//	                             type 0x04, or a plain Ed25519 key of type 0x01, read as
//	                             its cosignature/v1 key) and the URL prefix a log posts
//	                             add-checkpoint requests to (c2sp.org/tlog-witness)
//	group NAME k|any|all MEMBER… a group that counts as cosigned when k of its members
//	                             (witnesses or earlier groups) are; any is 1, all is every member
//	quorum NAME|none             what a checkpoint needs: one witness, one group, or nothing
//	log KEY [URL]                accepted and ignored: the log is named elsewhere
//
// Names are defined before use, once each, and are not keywords. Exactly one quorum
// line is required. A verifier ignores the URLs; a log ([WitnessPolicy.CheckLogUse]) needs
// one for every witness.
//
// A WitnessPolicy is immutable and safe for concurrent use. The zero value and nil
// require no cosignature.
type WitnessPolicy struct {
	text      []byte
	witnesses []PolicyWitness
	comps     []component // witnesses and groups, in definition order
	byName    map[string]int
	quorum    int // index into comps, or -1 for "quorum none"
}

// PolicyWitness is one "witness" line of a [WitnessPolicy].
type PolicyWitness struct {
	// Name is the witness's name in the policy.
	Name string
	// VerifierKey is the witness's C2SP note verifier key, as written.
	VerifierKey string
	// URL is the witness's submission prefix, or "" when the line gives none.
	URL string

	verifier note.Verifier
}

// component is a witness or a group; members are indices of earlier components.
type component struct {
	name      string
	witness   int // index into witnesses, or -1 for a group
	threshold int
	members   []int
}

// WitnessPolicyError is a line of policy text that [ParseWitnessPolicy] refused.
type WitnessPolicyError struct {
	Line int    // 1-based line number; 0 for the policy as a whole
	Msg  string // what is wrong; never quotes a key
}

func (e *WitnessPolicyError) Error() string {
	if e.Line == 0 {
		return "witness policy: " + e.Msg
	}
	return fmt.Sprintf("witness policy: line %d: %s", e.Line, e.Msg)
}

var policyKeywords = map[string]bool{
	"witness": true, "group": true, "quorum": true, "log": true,
	"any": true, "all": true, "none": true,
}

// ParseWitnessPolicy reads witness policy text (see [WitnessPolicy]) strictly: an unknown
// keyword, a wrong number of fields, a name used before it is defined or defined twice, a
// key that is not a witness verifier key, one witness key under two names, a bad URL, a
// group threshold outside 1..members, a repeated group member, and a missing or second
// quorum line are each a [*WitnessPolicyError] naming the line.
func ParseWitnessPolicy(text []byte) (*WitnessPolicy, error) {
	if len(text) > MaxWitnessPolicySize {
		return nil, &WitnessPolicyError{Msg: fmt.Sprintf("%d bytes, more than the %d allowed", len(text), MaxWitnessPolicySize)}
	}
	if !utf8.Valid(text) {
		return nil, &WitnessPolicyError{Msg: "not UTF-8 text"}
	}
	p := &WitnessPolicy{text: append([]byte(nil), text...), byName: map[string]int{}, quorum: -1}
	keys := map[string]string{} // "name+hash" of each witness key -> its policy name
	quorumLine := 0
	for i, line := range strings.Split(string(text), "\n") {
		n := i + 1
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var msg string
		switch f[0] {
		case "log":
			if len(f) < 2 || len(f) > 3 {
				msg = fmt.Sprintf("log: want \"log KEY [URL]\", got %d fields", len(f))
			}
		case "witness":
			msg = p.addWitness(f, keys)
		case "group":
			msg = p.addGroup(f)
		case "quorum":
			if quorumLine != 0 {
				msg = fmt.Sprintf("a second quorum line (the first is line %d)", quorumLine)
			} else {
				quorumLine = n
				msg = p.setQuorum(f)
			}
		default:
			msg = fmt.Sprintf("unknown keyword %q (want witness, group, quorum or log)", f[0])
		}
		if msg != "" {
			return nil, &WitnessPolicyError{Line: n, Msg: msg}
		}
	}
	if quorumLine == 0 {
		return nil, &WitnessPolicyError{Msg: `no quorum line ("quorum NAME", or "quorum none" to require no cosignature)`}
	}
	return p, nil
}

// checkName returns why name cannot name a new witness or group, or "".
func (p *WitnessPolicy) checkName(kind, name string) string {
	switch {
	case policyKeywords[name]:
		return fmt.Sprintf("%s name %q is a keyword", kind, name)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Sprintf("%s name %q has a control character", kind, name)
	}
	if _, dup := p.byName[name]; dup {
		return fmt.Sprintf("%s name %q is already defined", kind, name)
	}
	return ""
}

func (p *WitnessPolicy) addWitness(f []string, keys map[string]string) string {
	if len(f) < 3 || len(f) > 4 {
		return fmt.Sprintf("witness: want \"witness NAME VKEY [URL]\", got %d fields", len(f))
	}
	name, vkey := f[1], f[2]
	if msg := p.checkName("witness", name); msg != "" {
		return msg
	}
	v, msg := witnessVerifier(vkey)
	if msg != "" {
		return fmt.Sprintf("witness %q: %s", name, msg)
	}
	id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
	if other, dup := keys[id]; dup {
		return fmt.Sprintf("witness %q has the same key as witness %q", name, other)
	}
	keys[id] = name
	w := PolicyWitness{Name: name, VerifierKey: vkey, verifier: v}
	if len(f) == 4 {
		if err := checkWitnessURL(f[3]); err != nil {
			return fmt.Sprintf("witness %q: %v", name, err)
		}
		w.URL = f[3]
	}
	p.byName[name] = len(p.comps)
	p.comps = append(p.comps, component{name: name, witness: len(p.witnesses), threshold: 1})
	p.witnesses = append(p.witnesses, w)
	return ""
}

// witnessVerifier parses a witness's verifier key, or says what is wrong with it without
// quoting any of it: a private key pasted by mistake must not end up in a log.
func witnessVerifier(vkey string) (note.Verifier, string) {
	if strings.HasPrefix(vkey, "PRIVATE+KEY+") {
		return nil, "that is a private signer key; give the witness's verifier key, and keep the private key secret"
	}
	v, err := fnote.NewVerifierForCosignatureV1(vkey) // its error quotes the key
	if err != nil || !keyHashWritten(vkey, v) {
		return nil, "not a witness verifier key (a C2SP note vkey of type 0x04 cosignature/v1, or 0x01 Ed25519)"
	}
	return v, ""
}

// keyHashWritten reports whether the key hash written in vkey is the one its name and key
// give. The cosignature parser does not check it, and without the check a private key
// with its "PRIVATE+KEY+" prefix removed, which has a verifier key's form with the private
// seed where the public key belongs, passes for a witness's key.
func keyHashWritten(vkey string, v note.Verifier) bool {
	_, rest, _ := strings.Cut(vkey, "+")
	hash, key, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) == 0 {
		return false
	}
	if raw[0] == 0x01 { // an Ed25519 note key: x/mod checks its hash, over its own type
		_, err := note.NewVerifier(vkey)
		return err == nil
	}
	return hash == fmt.Sprintf("%08x", v.KeyHash())
}

// checkWitnessURL accepts an absolute http or https URL with a host, and nothing a log
// would have to guess about: no credentials, query or fragment.
func checkWitnessURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("bad URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("URL %q: want an http or https URL", s)
	case u.Host == "":
		return fmt.Errorf("URL %q has no host", s)
	case u.User != nil:
		return fmt.Errorf("URL must not carry credentials")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("URL %q: want a URL prefix without query or fragment", s)
	}
	return nil
}

func (p *WitnessPolicy) addGroup(f []string) string {
	if len(f) < 4 {
		return fmt.Sprintf("group: want \"group NAME k|any|all MEMBER...\" with at least one member, got %d fields", len(f))
	}
	name, k, members := f[1], f[2], f[3:]
	if msg := p.checkName("group", name); msg != "" {
		return msg
	}
	g := component{name: name, witness: -1}
	seen := map[int]bool{}
	for _, m := range members {
		idx, ok := p.byName[m]
		if !ok {
			return fmt.Sprintf("group %q: member %q is not defined on an earlier line", name, m)
		}
		if seen[idx] {
			return fmt.Sprintf("group %q: member %q is listed twice", name, m)
		}
		seen[idx] = true
		g.members = append(g.members, idx)
	}
	switch k {
	case "any":
		g.threshold = 1
	case "all":
		g.threshold = len(members)
	default:
		t, err := strconv.Atoi(k)
		if err != nil || strconv.Itoa(t) != k {
			return fmt.Sprintf("group %q: threshold %q is not any, all or a decimal number", name, k)
		}
		if t < 1 || t > len(members) || t > maxGroupThreshold {
			return fmt.Sprintf("group %q: threshold %d is not between 1 and its %d members", name, t, len(members))
		}
		g.threshold = t
	}
	p.byName[name] = len(p.comps)
	p.comps = append(p.comps, g)
	return ""
}

func (p *WitnessPolicy) setQuorum(f []string) string {
	if len(f) != 2 {
		return fmt.Sprintf("quorum: want \"quorum NAME\" or \"quorum none\", got %d fields", len(f))
	}
	if f[1] == "none" {
		return ""
	}
	idx, ok := p.byName[f[1]]
	if !ok {
		return fmt.Sprintf("quorum %q is not a witness or group defined on an earlier line", f[1])
	}
	p.quorum = idx
	return ""
}

// SimpleWitnessPolicy is the policy of a [Log]'s Witnesses and Quorum: quorum of the
// witnesses' verifier keys. Each witness is named by its key's name (made unique with a
// "-N" suffix when two keys share one), the group "K-of-N".
func SimpleWitnessPolicy(witnesses []string, quorum int) (*WitnessPolicy, error) {
	if quorum < 0 || quorum > len(witnesses) {
		return nil, &WitnessPolicyError{Msg: fmt.Sprintf("quorum %d is not between 0 and the %d witnesses", quorum, len(witnesses))}
	}
	// Built field by field, not parsed from text: a key's name may hold a '#'.
	p := &WitnessPolicy{byName: map[string]int{}, quorum: -1}
	keys := map[string]string{}
	var b strings.Builder
	members := []string{"group", "", strconv.Itoa(quorum)}
	taken := func(name string) bool { _, dup := p.byName[name]; return dup || name == "" || policyKeywords[name] }
	for i, k := range witnesses {
		// The name comes from the key: check the key first, so that no part of a text
		// that is no key (a secret pasted by mistake) is quoted as a name.
		if _, msg := witnessVerifier(k); msg != "" {
			return nil, &WitnessPolicyError{Msg: fmt.Sprintf("witness %d: %s", i+1, msg)}
		}
		name, _, _ := strings.Cut(k, "+")
		for n := 2; taken(name); n++ {
			name = fmt.Sprintf("%s-%d", strings.TrimSuffix(name, fmt.Sprintf("-%d", n-1)), n)
		}
		if msg := p.addWitness([]string{"witness", name, k}, keys); msg != "" {
			return nil, &WitnessPolicyError{Msg: fmt.Sprintf("witness %d: %s", i+1, msg)}
		}
		members = append(members, name)
		fmt.Fprintf(&b, "witness %s %s\n", name, k)
	}
	if quorum == 0 {
		b.WriteString("quorum none\n")
	} else {
		members[1] = fmt.Sprintf("%d-of-%d", quorum, len(witnesses))
		for taken(members[1]) {
			members[1] += "-quorum"
		}
		if msg := p.addGroup(members); msg != "" {
			return nil, &WitnessPolicyError{Msg: msg}
		}
		p.quorum = len(p.comps) - 1
		fmt.Fprintf(&b, "%s\nquorum %s\n", strings.Join(members, " "), members[1])
	}
	p.text = []byte(b.String())
	return p, nil
}

// Text returns the policy text the policy was parsed from.
func (p *WitnessPolicy) Text() []byte {
	if p == nil {
		return []byte("quorum none\n")
	}
	return append([]byte(nil), p.text...)
}

// Witnesses returns the policy's witnesses in the order of their lines.
func (p *WitnessPolicy) Witnesses() []PolicyWitness {
	if p == nil {
		return nil
	}
	return append([]PolicyWitness(nil), p.witnesses...)
}

// RequiresCosignature reports whether the quorum asks for any cosignature at all.
func (p *WitnessPolicy) RequiresCosignature() bool { return p != nil && p.quorum >= 0 }

// Endpoints returns the witnesses a log asks for cosignatures: those the quorum counts,
// in the order of their lines.
func (p *WitnessPolicy) Endpoints() []PolicyWitness {
	if !p.RequiresCosignature() {
		return nil
	}
	need := make([]bool, len(p.comps))
	need[p.quorum] = true
	for i := len(p.comps) - 1; i >= 0; i-- {
		if need[i] {
			for _, m := range p.comps[i].members {
				need[m] = true
			}
		}
	}
	var out []PolicyWitness
	for i, c := range p.comps {
		if need[i] && c.witness >= 0 {
			out = append(out, p.witnesses[c.witness])
		}
	}
	return out
}

// CheckLogUse checks what a log needs beyond what a verifier does: every witness has a
// URL (Tessera requires one on each witness line), and no two witnesses share one.
func (p *WitnessPolicy) CheckLogUse() error {
	seen := map[string]string{}
	for _, w := range p.Witnesses() {
		if w.URL == "" {
			return &WitnessPolicyError{Msg: fmt.Sprintf("witness %q has no URL; a log needs one to ask it for cosignatures", w.Name)}
		}
		u := strings.TrimRight(w.URL, "/")
		if other, dup := seen[u]; dup {
			return &WitnessPolicyError{Msg: fmt.Sprintf("witnesses %q and %q have the same URL", other, w.Name)}
		}
		seen[u] = w.Name
	}
	return nil
}

// Satisfied reports whether cosignatures by the named witnesses meet the quorum. Names
// that are not witnesses of the policy count for nothing.
func (p *WitnessPolicy) Satisfied(cosigned ...string) bool {
	if !p.RequiresCosignature() {
		return true
	}
	by := map[string]bool{}
	for _, n := range cosigned {
		by[n] = true
	}
	return p.satisfied(func(w int) bool { return by[p.witnesses[w].Name] })
}

// satisfied evaluates every component once, in definition order: members come first.
func (p *WitnessPolicy) satisfied(cosigned func(witness int) bool) bool {
	if !p.RequiresCosignature() {
		return true
	}
	sat := make([]bool, p.quorum+1)
	for i := 0; i <= p.quorum; i++ {
		c := p.comps[i]
		if c.witness >= 0 {
			sat[i] = cosigned(c.witness)
			continue
		}
		n := 0
		for _, m := range c.members {
			if sat[m] {
				n++
			}
		}
		sat[i] = n >= c.threshold
	}
	return sat[p.quorum]
}

// QuorumString describes the quorum for error messages: `none`, `witness "A"`, or
// `group "G": 2 of A, B, C`.
func (p *WitnessPolicy) QuorumString() string {
	if !p.RequiresCosignature() {
		return "none"
	}
	c := p.comps[p.quorum]
	if c.witness >= 0 {
		return fmt.Sprintf("witness %q", c.name)
	}
	names := make([]string, len(c.members))
	for i, m := range c.members {
		names[i] = p.comps[m].name
	}
	return fmt.Sprintf("group %q: %d of %s", c.name, c.threshold, strings.Join(names, ", "))
}

// verifiers returns the witnesses' cosignature/v1 verifiers, in line order.
func (p *WitnessPolicy) verifiers() []note.Verifier {
	out := make([]note.Verifier, len(p.Witnesses()))
	for i, w := range p.Witnesses() {
		out[i] = w.verifier
	}
	return out
}

// witnessFor returns the index of the witness whose key made sig, or -1.
func (p *WitnessPolicy) witnessFor(sig note.Signature) int {
	if p == nil {
		return -1
	}
	for i, w := range p.witnesses {
		if w.verifier.Name() == sig.Name && w.verifier.KeyHash() == sig.Hash {
			return i
		}
	}
	return -1
}
