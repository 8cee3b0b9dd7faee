package custody_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
)

func TestValidJurisdiction(t *testing.T) {
	for code, want := range map[string]bool{
		"FR": true, "DE": true, "BR": true, "KE": true, "EU": true,
		"fr": false, "France": false, "F": false, "XX": false, "ZZ": false, "AA": false, "": false, "001": false,
	} {
		require.Equal(t, want, custody.ValidJurisdiction(code), code)
	}
}

func TestEventValidate(t *testing.T) {
	key := strings.Repeat("ab", 32)
	commit := "sha256:" + strings.Repeat("cd", 32)
	valid := func() custody.Event {
		return custody.Event{Type: custody.Access, Prev: commit, Time: time.Now(),
			Item:  custody.Item{ID: "item-1", Digest: sha256Set(strings.Repeat("ef", 32))},
			Actor: custody.Actor{Party: custody.Party{Name: "A. Examiner", Jurisdiction: "FR"}, KeyID: key}}
	}
	e := valid()
	require.NoError(t, e.Validate())
	for name, mutate := range map[string]func(e *custody.Event){
		"unknown type": func(e *custody.Event) { e.Type = "steal" },
		"no item id":   func(e *custody.Event) { e.Item.ID = "" },
		"no sha256":    func(e *custody.Event) { e.Item.Digest = digest.Set{md5Of("x")} },
		"sealed without sha256": func(e *custody.Event) {
			e.Item.Sealed = &custody.Sealed{Digest: digest.Set{md5Of("x")}, Recipients: []string{"age1x"}}
		},
		"no time":                    func(e *custody.Event) { e.Time = time.Time{} },
		"no actor name":              func(e *custody.Event) { e.Actor.Name = " " },
		"bad jurisdiction":           func(e *custody.Event) { e.Actor.Jurisdiction = "France" },
		"bad key id":                 func(e *custody.Event) { e.Actor.KeyID = "abc" },
		"follow-up without prev":     func(e *custody.Event) { e.Prev = "" },
		"acquire with prev":          func(e *custody.Event) { e.Type = custody.Acquire },
		"malformed prev":             func(e *custody.Event) { e.Prev = "sha256:xyz" },
		"transfer without recipient": func(e *custody.Event) { e.Type = custody.Transfer },
		"receive citing nothing":     func(e *custody.Event) { e.Type = custody.Receive },
		"bad legal kind":             func(e *custody.Event) { e.Legal = &custody.Legal{Kind: "whim"} },
		"bad counterparty": func(e *custody.Event) {
			e.Counterparty = &custody.Actor{Party: custody.Party{Name: "B"}, KeyID: "nope"}
		},
		"derive without parents": func(e *custody.Event) { e.Type, e.Prev = custody.Derive, "" },
		"parent without sha256": func(e *custody.Event) {
			e.Type, e.Prev = custody.Derive, ""
			e.Parents = []custody.Parent{{ID: "item-0", Digest: digest.Set{md5Of("x")}, Event: commit}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := valid()
			mutate(&e)
			require.Error(t, e.Validate())
		})
	}
}

func TestParseStatementRejectsMalformedItemDigests(t *testing.T) {
	e := custody.Event{Type: custody.Acquire, Time: time.Now().UTC(),
		Item:  custody.Item{ID: "item-1", Digest: sha256Set(strings.Repeat("ab", 32))},
		Actor: custody.Actor{Party: custody.Party{Name: "A. Examiner"}, KeyID: strings.Repeat("ab", 32)}}
	good, err := custody.NewStatement(&e).Marshal()
	require.NoError(t, err)
	_, err = custody.ParseStatement(good)
	require.NoError(t, err)
	digestJSON := `{"sha256":"` + strings.Repeat("ab", 32) + `"}`
	require.Equal(t, 2, strings.Count(string(good), digestJSON), "the subject's and the item's digest")
	for name, d := range map[string]string{
		"uppercase hex":     `{"sha256":"` + strings.Repeat("AB", 32) + `"}`,
		"short sha256":      `{"sha256":"` + strings.Repeat("ab", 31) + `"}`,
		"unknown algorithm": `{"sha256":"` + strings.Repeat("ab", 32) + `","sha3":"` + strings.Repeat("ab", 32) + `"}`,
		"short md5":         `{"sha256":"` + strings.Repeat("ab", 32) + `","md5":"abc"}`,
		"repeated sha256":   `{"sha256":"` + strings.Repeat("ab", 32) + `","sha256":"` + strings.Repeat("cd", 32) + `"}`,
		"null":              `null`,
		"no sha256":         `{}`,
	} {
		_, err = custody.ParseStatement([]byte(strings.ReplaceAll(string(good), digestJSON, d)))
		require.Error(t, err, name)
	}
}

func sha256Set(hexSum string) digest.Set {
	d, err := digest.Parse("sha256:" + hexSum)
	if err != nil {
		panic(err)
	}
	return digest.Set{d}
}

func md5Of(s string) digest.Digest {
	set, _, err := digest.Reader(strings.NewReader(s), digest.MD5)
	if err != nil {
		panic(err)
	}
	d, _ := set.Get(digest.MD5)
	return d
}
