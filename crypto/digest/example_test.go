package digest_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/evidctl/evidctl/crypto/digest"
)

func ExampleNewHasher() {
	h, err := digest.NewHasher(digest.MD5)
	if err != nil {
		fmt.Println(err)
		return
	}
	io.WriteString(h, "hello, court\n")
	for _, d := range h.Sum() {
		fmt.Println(d)
	}
	fmt.Println(h.Size(), "bytes")
	// Output:
	// sha256:c840887c51780246ef2969e3b0156c227e44821651e9432569c0963ab231c38b
	// md5:af34a9f56e1aa5fe517b22a9c74efd06
	// 13 bytes
}

func ExampleReader() {
	set, n, err := digest.Reader(strings.NewReader(""), digest.SHA1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, set.Map()["sha1"])
	// Output:
	// 0 da39a3ee5e6b4b0d3255bfef95601890afd80709
}

func ExampleParse() {
	d, err := digest.Parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	fmt.Println(d.Algorithm, err)

	_, err = digest.Parse("sha256:E3B0C442")
	fmt.Println(err)

	_, err = digest.Parse("blake3:00")
	fmt.Println(err)
	// Output:
	// sha256 <nil>
	// malformed digest "sha256:E3B0C442": sha256 value must be 64 hex digits, got 8 characters
	// malformed digest: unknown digest algorithm "blake3" (supported: sha256, sha512, sha1, md5)
}

func ExampleSet_Match() {
	recorded, _ := digest.SetFromMap(map[string]string{
		"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	})
	computed, _, _ := digest.Reader(strings.NewReader("tampered"))
	err := computed.Match(recorded)
	fmt.Println(err != nil)
	// Output:
	// true
}
