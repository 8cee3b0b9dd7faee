package ledgerurl_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/ledgerurl"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		opts    []ledgerurl.Option
		want    ledgerurl.Kind
		wantErr error
	}{
		{"home directory", "/var/lib/evidctl", nil, ledgerurl.Home, nil},
		{"relative home", "home", nil, ledgerurl.Home, nil},
		{"http", "http://127.0.0.1:8080", nil, ledgerurl.Server, nil},
		{"https, any case", "HTTPS://ledger.example.org/lab", nil, ledgerurl.Server, nil},
		{"trillian with key", "trillian://10.0.0.5:8090/1234", []ledgerurl.Option{ledgerurl.WithKeyFile("t.key")}, ledgerurl.Trillian, nil},
		{"trillian without key", "trillian://10.0.0.5:8090/1234", nil, 0, ledgerurl.ErrNoKeyFile},
		{"unknown scheme", "ftp://x/y", nil, 0, ledgerurl.ErrUnknownScheme},
		{"trillian with witnesses", "trillian://10.0.0.5:8090/1234", []ledgerurl.Option{ledgerurl.WithKeyFile("t.key"), ledgerurl.WithWitnessPolicy([]byte("quorum none\n"))}, ledgerurl.Trillian, nil},
		{"home with witnesses", "home", []ledgerurl.Option{ledgerurl.WithWitnessPolicy([]byte("quorum none\n"))}, 0, ledgerurl.ErrWitnessPolicyNotUsed},
		{"server with witnesses", "http://127.0.0.1:8080", []ledgerurl.Option{ledgerurl.WithWitnessPolicy([]byte("quorum none\n"))}, 0, ledgerurl.ErrWitnessPolicyNotUsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := ledgerurl.Check(tt.spec, tt.opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				_, err = ledgerurl.Open(t.Context(), tt.spec, tt.opts...)
				require.ErrorIs(t, err, tt.wantErr, "Open refuses what Check refuses")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, kind)
		})
	}
	_, err := ledgerurl.Check("")
	require.Error(t, err)
}

func TestOpenHomeWithoutLog(t *testing.T) {
	home := t.TempDir()
	_, err := ledgerurl.Open(t.Context(), home)
	require.ErrorIs(t, err, ledgerurl.ErrNoEmbeddedLog)
	require.ErrorContains(t, err, "missing "+filepath.Join(home, ledgerurl.HomeLogKey))
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOpenHTTPWithClient(t *testing.T) {
	var asked []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		asked = append(asked, r.URL.String())
		return &http.Response{StatusCode: http.StatusTeapot, Status: "418 the test's transport", Request: r,
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("the test's transport"))}, nil
	})}
	_, err := ledgerurl.Open(t.Context(), "https://ledger.invalid/lab", ledgerurl.WithHTTPClient(hc), ledgerurl.WithoutCheckpointVerificationUnsafe())
	require.Error(t, err)
	require.NotEmpty(t, asked, "the ledger is reached through the client given")
	require.Contains(t, asked[0], "https://ledger.invalid/lab/")
}
