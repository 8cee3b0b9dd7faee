package ledgerurl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/internal/smallfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// stampsReceipts appends a leaf to l and checks that its receipt carries a token of the
// test TSA, and that l gives the token of its latest checkpoint.
func stampsReceipts(t *testing.T, l ledger.Ledger, authority *tsatest.TSA) {
	t.Helper()
	v, err := tsa.NewVerifier(authority.Authority())
	require.NoError(t, err)
	r, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()))
	require.NoError(t, err)
	_, err = v.VerifyReceipt(r)
	require.NoError(t, err)
	cp, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	token, err := l.(ledger.Timestamper).TimestampCheckpoint(t.Context(), cp)
	require.NoError(t, err)
	_, err = v.Verify(token, cp)
	require.NoError(t, err)
}

func TestHomeTSAFile(t *testing.T) {
	authority := tsatest.New(t)
	home := t.TempDir()
	_, err := posixlog.Init(filepath.Join(home, ledgerurl.HomeLogDir), filepath.Join(home, ledgerurl.HomeLogKey), "evidctl.test/home-tsa")
	require.NoError(t, err)

	l, err := ledgerurl.Open(t.Context(), home)
	require.NoError(t, err)
	cp, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	_, err = l.(ledger.Timestamper).TimestampCheckpoint(t.Context(), cp)
	require.ErrorIs(t, err, ledger.ErrNoTimestamps, "a home without a TSA file has no TSA")
	require.NoError(t, l.Close())

	require.NoError(t, os.WriteFile(filepath.Join(home, ledgerurl.HomeTSA), []byte(authority.URL+"\n"), 0o644))
	l, err = ledgerurl.Open(t.Context(), home)
	require.NoError(t, err)
	stampsReceipts(t, l, authority)
	require.NoError(t, l.Close())

	require.NoError(t, os.WriteFile(filepath.Join(home, ledgerurl.HomeTSA), []byte("two\nlines\n"), 0o644))
	_, err = ledgerurl.Open(t.Context(), home)
	require.ErrorContains(t, err, "want one URL")
}

func TestWithTSA(t *testing.T) {
	authority := tsatest.New(t)
	home := t.TempDir()
	_, err := posixlog.Init(filepath.Join(home, ledgerurl.HomeLogDir), filepath.Join(home, ledgerurl.HomeLogKey), "evidctl.test/with-tsa")
	require.NoError(t, err)
	l, err := ledgerurl.Open(t.Context(), home, ledgerurl.WithTSA(authority.URL))
	require.NoError(t, err)
	defer l.Close()
	stampsReceipts(t, l, authority)

	other := t.TempDir()
	_, err = posixlog.Init(filepath.Join(other, ledgerurl.HomeLogDir), filepath.Join(other, ledgerurl.HomeLogKey), "evidctl.test/bad-tsa")
	require.NoError(t, err)
	_, err = ledgerurl.Open(t.Context(), other, ledgerurl.WithTSA("ftp://tsa.example"))
	require.ErrorContains(t, err, "want an http or https URL")
}

func TestTrillianTSAFile(t *testing.T) {
	authority := tsatest.New(t)
	addr := trilliantest.InProcess(t)
	key := filepath.Join(t.TempDir(), "trillian.key")
	ep, _, err := trillianlog.Init(t.Context(), addr, key, "evidctl.test/trillian-tsa")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(key+ledgerurl.TSAFileSuffix, []byte(authority.URL), 0o644))
	l, err := ledgerurl.Open(t.Context(), ep.String(), ledgerurl.WithKeyFile(key))
	require.NoError(t, err)
	defer l.Close()
	stampsReceipts(t, l, authority)
}

func TestReadTSAFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tsa.url")
	require.NoError(t, os.WriteFile(path, []byte("https://tsa.example/tsr"+strings.Repeat(" ", 4<<10)), 0o600))
	_, err := ledgerurl.ReadTSAFile(path)
	require.ErrorIs(t, err, smallfile.ErrTooLarge)
	require.EqualError(t, err, "TSA file "+path+": larger than 4096 bytes")
}

// FuzzReadTSAFile: any file content gives a URL of one line, "" only for no file, or an
// error; never a panic.
func FuzzReadTSAFile(f *testing.F) {
	f.Add([]byte("https://tsa.example/tsr\n"))
	f.Add([]byte("  \n"))
	f.Add([]byte("a b"))
	f.Add(make([]byte, 5000))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "tsa.url")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		url, err := ledgerurl.ReadTSAFile(path)
		if err != nil {
			return
		}
		require.NotEmpty(t, url)
		require.NotContains(t, url, "\n")
	})
}
