package caseuco

import (
	"strings"
	"testing"

	"github.com/evidctl/evidctl/crypto/digest"
)

// TestUUID5 checks the name-based UUIDs against Python's uuid.uuid5 over the same
// length-prefixed names: uuid5(NAMESPACE_URL, "3:abc"), and a hash's id.
func TestUUID5(t *testing.T) {
	for name, tc := range map[string]struct{ got, want string }{
		"one part":      {formatUUID(uuid5(urlNamespace, []string{"abc"})), "55a8caf7-abc8-546a-aa40-4b807baefe61"},
		"our namespace": {formatUUID(nameSpace), "cadd6498-b33d-5035-9af5-af2f2e761a38"},
		"a hash":        {iri("hash", "SHA256", "abc"), "kb:hash-2398d207-aae4-5b1d-a6d9-3ada67b22d81"},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

// TestHashesOf lists a set's digests sorted by algorithm name.
func TestHashesOf(t *testing.T) {
	sum := digest.SHA256Bytes([]byte("x"))
	md5 := "9dd4e461268c8034f5c8564e155c67a6"
	set, err := digest.SetFromMap(map[string]string{"sha256": sum.Hex(), "md5": md5})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, d := range hashesOf(set) {
		s = append(s, d.String())
	}
	if got, want := strings.Join(s, " "), "md5:"+md5+" "+sum.String(); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}
