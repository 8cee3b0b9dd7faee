package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// Example shows a receipt going from text to a verified checkpoint. The log here is a
// hand-made tree of one leaf, signed with a fixed key so that the example is
// reproducible; a real receipt comes from Ledger.Append.
func Example() {
	skey, vkey, _ := note.GenerateKey(bytes.NewReader(make([]byte, 32)), "example.org/log")
	signer, _ := note.NewSigner(skey)
	leaf := sha256.Sum256([]byte("the DSSE PAE of a custody event"))
	root := tlog.RecordHash(leaf[:]) // a one-leaf tree's root is the leaf hash
	body := fmt.Sprintf("example.org/log\n1\n%s\n", base64.StdEncoding.EncodeToString(root[:]))
	checkpoint, _ := note.Sign(&note.Note{Text: body}, signer)
	text, _ := (&ledger.Receipt{Index: 0, Checkpoint: checkpoint}).MarshalText()

	receipt, err := ledger.ParseReceipt(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	trust := &ledger.Trust{Logs: []ledger.Log{{Origin: "example.org/log", VerifierKey: vkey}}}
	cp, err := trust.VerifyReceipt(receipt, leaf[:])
	fmt.Println(cp.Origin, cp.Size, err)

	_, err = trust.VerifyReceipt(receipt, make([]byte, 32))
	fmt.Println(errors.Is(err, ledger.ErrLeafMismatch))
	// Output:
	// example.org/log 1 <nil>
	// true
}
