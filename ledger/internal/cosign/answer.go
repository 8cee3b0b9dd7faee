package cosign

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/transparency-dev/witness/witness"
)

// DescribeStatus puts a witness's answer to an add-checkpoint request in words, for a
// [ledger.WitnessAnswer]: what C2SP tlog-witness says each status code means. It reads
// the size a 409 carries and quotes nothing else of the body, which is the witness's to
// choose. cosigned is true for 200.
func DescribeStatus(code int, contentType string, body []byte) (answer string, cosigned bool) {
	switch code {
	case http.StatusOK:
		return "cosigned", true
	case http.StatusConflict:
		size, err := strconv.ParseUint(strings.TrimSpace(string(body)), 10, 64)
		switch {
		case contentType == "text/x.tlog.size" && err == nil:
			return fmt.Sprintf("last cosigned size %d, not the old size it was sent (409)", size), false
		case err == nil:
			return fmt.Sprintf("refused: it cosigned another root for size %d: the log has forked (409)", size), false
		}
		return "refused: it cosigned another root for this size: the log has forked (409)", false
	case http.StatusUnprocessableEntity:
		return "refused: the consistency proof from its last cosigned checkpoint does not verify: a fork, or a rollback (422)", false
	case http.StatusNotFound:
		return "refused: it does not know this log (404)", false
	case http.StatusForbidden:
		return "refused: it does not accept the log's signature (403)", false
	case http.StatusBadRequest:
		return "refused: bad request, or an old size above the checkpoint's (400)", false
	case http.StatusTooManyRequests:
		return "busy (429)", false
	}
	return fmt.Sprintf("answered HTTP %d", code), false
}

// statusOf is the status code behind each error of the upstream witness client.
var statusOf = []struct {
	err    error
	status int
}{
	{witness.ErrRootMismatch, http.StatusConflict},
	{witness.ErrInvalidProof, http.StatusUnprocessableEntity},
	{witness.ErrUnknownLog, http.StatusNotFound},
	{witness.ErrNoValidSignature, http.StatusForbidden},
	{witness.ErrOldSizeInvalid, http.StatusBadRequest},
	{witness.ErrPushback, http.StatusTooManyRequests},
}

// describeError puts an error of the upstream witness client (client/http) in words.
func describeError(err error, staleSize uint64) string {
	if errors.Is(err, witness.ErrCheckpointStale) {
		a, _ := DescribeStatus(http.StatusConflict, "text/x.tlog.size", strconv.AppendUint(nil, staleSize, 10))
		return a
	}
	for _, s := range statusOf {
		if errors.Is(err, s.err) {
			a, _ := DescribeStatus(s.status, "", nil)
			return a
		}
	}
	if msg := err.Error(); strings.HasPrefix(msg, "failed to do http request: ") {
		return "unreachable: " + strings.TrimPrefix(msg, "failed to do http request: ")
	}
	return "failed: " + err.Error()
}
