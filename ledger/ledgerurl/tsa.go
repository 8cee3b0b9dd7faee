package ledgerurl

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/evidctl/evidctl/internal/smallfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/tsa"
)

// WithTSA has the ledger's checkpoints time-stamped by the RFC 3161 TSA at url (http or
// https), with ledger/tsa's Decorator: every receipt carries its checkpoint's token, and
// the ledger gives the token of its latest checkpoint (ledger.Timestamper). It replaces
// the TSA a home names in HomeTSA, or a Trillian key file in KEY.tsa. A ledger server
// stamps its own checkpoints (`evidctl serve --tsa`): for an http(s) spec it is ignored.
func WithTSA(url string) Option { return func(c *config) { c.tsaURL = url } }

// maxTSAFile bounds a TSA file: one URL.
const maxTSAFile = 4 << 10

// timestamps is the decorator of the configured TSA: WithTSA's, else the URL in file
// when it exists, else none (nil).
func (c *config) timestamps(file string) (ledger.Decorator, error) {
	url := c.tsaURL
	if url == "" {
		var err error
		if url, err = ReadTSAFile(file); err != nil {
			return nil, err
		}
	}
	if url == "" {
		return nil, nil
	}
	client, err := tsa.NewClient(url)
	if err != nil {
		return nil, err
	}
	return tsa.Decorator(client), nil
}

// ReadTSAFile reads a TSA file (HomeTSA, KEY.tsa): the URL it holds, or "" when there
// is no such file.
func ReadTSAFile(path string) (string, error) {
	b, err := smallfile.Read(path, maxTSAFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case errors.Is(err, smallfile.ErrTooLarge):
		return "", fmt.Errorf("TSA file %s: %w", path, err)
	case err != nil:
		return "", fmt.Errorf("reading the TSA file: %w", err)
	}
	url := strings.TrimSpace(string(b))
	if url == "" || strings.ContainsAny(url, "\n\r\t ") {
		return "", fmt.Errorf("TSA file %s: want one URL", path)
	}
	return url, nil
}
