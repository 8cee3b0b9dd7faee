package cosign_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/internal/cosign"
)

func TestDescribeStatus(t *testing.T) {
	for _, tc := range []struct {
		name        string
		code        int
		contentType string
		body        string
		want        string
		cosigned    bool
	}{
		{"cosigned", 200, "", "— w AAAA\n", "cosigned", true},
		{"stale", 409, "text/x.tlog.size", "12\n", "last cosigned size 12", false},
		{"fork with its size", 409, "text/plain; charset=utf-8", "12\n", "another root for size 12: the log has forked (409)", false},
		{"fork", 409, "", "", "another root for this size: the log has forked (409)", false},
		{"bad proof", 422, "", "", "consistency proof", false},
		{"unknown log", 404, "", "", "does not know this log", false},
		{"bad signature", 403, "", "", "does not accept the log's signature", false},
		{"bad request", 400, "", "", "(400)", false},
		{"busy", 429, "", "", "busy", false},
		{"other", 500, "", "<html>attacker's text</html>", "answered HTTP 500", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cosigned := cosign.DescribeStatus(tc.code, tc.contentType, []byte(tc.body))
			require.Contains(t, got, tc.want)
			require.Equal(t, tc.cosigned, cosigned)
			require.NotContains(t, got, "attacker", "a witness's body is never quoted")
		})
	}
}
