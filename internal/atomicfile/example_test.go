package atomicfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

func ExampleWrite() {
	dir, _ := os.MkdirTemp("", "atomicfile-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "note.txt")

	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "complete and verified\n")
		return err
	})
	fmt.Println(err)
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output:
	// <nil>
	// complete and verified
}

func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "atomicfile-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "plaintext.bin")

	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Abort() // no-op after Commit
	fmt.Fprint(f, "chunk 1, chunk 2")
	// Suppose verification failed: abort instead of committing.
	fmt.Println(f.Abort())
	_, err = os.Stat(path)
	fmt.Println(os.IsNotExist(err))
	// Output:
	// <nil>
	// true
}
