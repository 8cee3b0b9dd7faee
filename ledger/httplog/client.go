package httplog

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/evidctl/evidctl/ledger/httpapi"
)

// StatusError is a server's refusal of a request: its HTTP status and the one-line
// reason it gave.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("ledger server answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Message)
}

// do sends a request, retrying on pushback (429, 503 with Retry-After), gateway errors
// and unreachable servers, within the attempts and the time WithMaxAttempts and
// WithRetryTimeout give it (reporting to WithProgress while it waits), and returns the
// body of a 200 answer.
func (c *client) do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	a := c.track(method, path)
	defer a.stop()
	rctx, cancel := context.WithTimeoutCause(ctx, c.cfg.retryTimeout, errRetryTimeout)
	defer cancel()
	for attempt := range c.cfg.maxAttempts {
		if attempt > 0 {
			if err := sleep(rctx, c.wait(attempt, a.lastErr())); err != nil {
				return nil, c.ended(ctx, rctx, a, nil)
			}
		}
		a.begin(attempt + 1)
		answer, retry, err := c.once(rctx, method, path, contentType, body)
		if err == nil {
			return answer, nil
		}
		if rctx.Err() != nil {
			return nil, c.ended(ctx, rctx, a, err)
		}
		if !retry {
			return nil, err
		}
		a.failed(err)
	}
	return nil, a.gaveUp(false, nil)
}

// ended is the error of a request whose context ended: the caller's error when it was
// the caller's ctx, else the time limit's RetryError.
func (c *client) ended(ctx, rctx context.Context, a *attempts, err error) error {
	if context.Cause(rctx) != errRetryTimeout || ctx.Err() != nil {
		if err == nil {
			err = ctx.Err()
		}
		if last := a.lastErr(); last != nil {
			return fmt.Errorf("%w (last error: %v)", err, last)
		}
		return err
	}
	return a.gaveUp(true, err)
}

// retryAfter carries the server's Retry-After with the error it came with.
type retryAfter struct {
	error
	after time.Duration
}

func (r retryAfter) Unwrap() error { return r.error }

// once sends one request. retry says whether trying again may succeed.
func (c *client) once(ctx context.Context, method, path, contentType string, body []byte) (_ []byte, retry bool, _ error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, false, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.cfg.client.Do(req)
	if err != nil {
		return nil, transient(err), err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, httpapi.MaxAnswerSize))
	if err != nil {
		return nil, true, fmt.Errorf("reading answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return answer, false, nil
	}
	serr := &StatusError{Code: resp.StatusCode, Message: firstLine(answer)}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, true, retryAfter{serr, parseRetryAfter(resp.Header.Get(httpapi.RetryAfterHeader))}
	case http.StatusUnsupportedMediaType:
		return nil, false, fmt.Errorf("%w: %w", ErrSignedEntryRequired, serr)
	case http.StatusConflict:
		if ce, err := httpapi.ParseConflict(serr.Message); err == nil {
			return nil, false, fmt.Errorf("the ledger server refused the entry: %w", ce)
		}
	}
	return nil, false, serr
}

// transient reports whether a failed request may succeed later: a refused or reset
// connection (the server restarting) may; an unknown host or a certificate that does not
// verify will not.
func transient(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var tlsRecord tls.RecordHeaderError
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return false // net/http's wording for a TLS record header error
	}
	return !errors.As(err, &unknownCA) && !errors.As(err, &hostname) &&
		!errors.As(err, &invalid) && !errors.As(err, &tlsRecord)
}

// wait is the pause before attempt: the server's Retry-After when it gave one, else an
// exponential backoff from 100 ms, with jitter, capped.
func (c *client) wait(attempt int, last error) time.Duration {
	var ra retryAfter
	if errors.As(last, &ra) && ra.after > 0 {
		d := ra.after + rand.N(ra.after/4+1)
		return min(d, c.cfg.maxWait)
	}
	d := 100 * time.Millisecond << min(attempt-1, 8)
	return min(d/2+rand.N(d/2+1), c.cfg.maxWait)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 if absent or bad.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		// A day is longer than any client waits (WithMaxRetryWait caps it further); the
		// cap also keeps a huge value from overflowing into a negative duration.
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// firstLine returns the first line of a server's error answer, at most 512 bytes.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 512 {
		s = s[:512] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
