package custody

import (
	"encoding/json"
	"fmt"

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

// ParseStatement decodes a statement strictly: unknown fields, a wrong statement or
// predicate type, subjects that disagree with the predicate, or an invalid event are
// errors.
func ParseStatement(payload []byte) (*Statement, error) {
	var st Statement
	err := decodeStrict(payload, &st)
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

// Marshal encodes the statement as the DSSE payload.
func (st *Statement) Marshal() ([]byte, error) {
	return json.Marshal(st)
}
