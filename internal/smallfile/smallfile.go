// Package smallfile reads whole a file that must be small (a key, a certificate chain,
// a URL), reading no further than one byte past its limit, so that /dev/zero or a disk
// image named by mistake is refused at once rather than read into memory:
//
//	b, err := smallfile.Read("lab.key", 1<<20) // *TooLargeError past 1 MiB
package smallfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is wrapped by every *TooLargeError.
var ErrTooLarge = errors.New("file too large")

// TooLargeError reports a file longer than the limit it was read with. Reading stopped
// one byte past the limit.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string { return fmt.Sprintf("larger than %d bytes", e.Limit) }

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Read returns the content of the file at path, of at most limit bytes (a negative
// limit is 0). A longer file is a *TooLargeError; other errors are os.Open's and the
// read's, unwrapped (errors.Is(err, fs.ErrNotExist) holds for a missing file).
func Read(path string, limit int64) ([]byte, error) {
	limit = max(limit, 0)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return b, nil
}
