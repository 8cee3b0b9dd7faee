package custody

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evidctl/evidctl/crypto/digest"
)

// Subject is an in-toto resource descriptor: a name and its digests.
type Subject struct {
	Name   string     `json:"name"`
	Digest digest.Set `json:"digest"`
}

// Statement is an in-toto Statement v1 whose predicate is a custody [Event].
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Event     `json:"predicate"`
}

// SealedSubjectSuffix is appended to an item id to name its sealed payload as a subject.
const SealedSubjectSuffix = ".age"

// NewStatement wraps an event in an in-toto statement. The subjects are the item with
// its plaintext digests and, when there is one, the sealed payload with its ciphertext
// digest.
func NewStatement(e *Event) *Statement {
	st := &Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: e.Item.ID, Digest: e.Item.Digest}},
		PredicateType: PredicateType,
		Predicate:     *e,
	}
	if e.Item.Sealed != nil {
		st.Subject = append(st.Subject, Subject{Name: e.Item.ID + SealedSubjectSuffix, Digest: e.Item.Sealed.Digest})
	}
	return st
}

// ParseStatement decodes a statement strictly: member names that are unknown,
// repeated or differently cased ("Actor" beside "actor"), a wrong statement or
// predicate type, subjects that disagree with the predicate, an actor's certificate
// chain longer than the default [Limits], or an invalid event are errors.
func ParseStatement(payload []byte) (*Statement, error) {
	return parseStatement(payload, DefaultLimits())
}

func parseStatement(payload []byte, l Limits) (*Statement, error) {
	var st Statement
	err := decodeBytes(payload, &st, l)
	if err == nil {
		err = checkType("_type", st.Type, StatementType)
	}
	if err == nil {
		err = checkType("predicateType", st.PredicateType, PredicateType)
	}
	if err == nil {
		err = st.Predicate.Validate()
	}
	if err == nil {
		err = st.Predicate.checkChains(l.CertificateChain)
	}
	if err == nil {
		err = st.checkSubjects()
	}
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	return &st, nil
}

func (st *Statement) checkSubjects() error {
	want := NewStatement(&st.Predicate).Subject
	if len(st.Subject) != len(want) {
		return fmt.Errorf("%d subjects, want %d (the item and its sealed payload)", len(st.Subject), len(want))
	}
	for i := range want {
		if st.Subject[i].Name != want[i].Name || !st.Subject[i].Digest.Equal(want[i].Digest) {
			return fmt.Errorf("subject %q does not match the predicate's item", st.Subject[i].Name)
		}
	}
	return nil
}

// checkChains refuses an actor or counterparty certificate chain of more than max
// certificates.
func (e *Event) checkChains(max int) error {
	for _, a := range []*Actor{&e.Actor, e.Counterparty} {
		if a != nil && strings.Count(a.Certificate, "-----BEGIN") > max {
			return &LimitError{What: "certificates in a chain", Limit: int64(max)}
		}
	}
	return nil
}

// Marshal encodes the statement as the DSSE payload.
func (st *Statement) Marshal() ([]byte, error) {
	return json.Marshal(st)
}
