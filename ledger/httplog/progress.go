package httplog

import (
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// When a request is reported while it waits.
const (
	// ProgressDelay is how long a request runs before WithProgress first hears of it.
	ProgressDelay = 2 * time.Second
	// ProgressInterval is how often it hears again while the request goes on.
	ProgressInterval = 5 * time.Second
)

// Progress is what a request that takes long is waiting for: the report WithProgress
// receives.
type Progress struct {
	// Method and URL are the request's; the URL never carries a password.
	Method, URL string
	// Attempt is the attempt under way or about to start, of MaxAttempts.
	Attempt, MaxAttempts int
	// Elapsed is the time since the request began; Limit the time it may take in all
	// (WithRetryTimeout).
	Elapsed, Limit time.Duration
	// LastErr is why the previous attempt failed; nil while the first is in flight.
	LastErr error
}

// String says it in one line, for a person waiting.
func (p Progress) String() string {
	last := "no answer yet"
	if p.LastErr != nil {
		last = "last error: " + p.LastErr.Error()
	}
	return fmt.Sprintf("waiting for the ledger server: %s %s, attempt %d of %d, %v of at most %v; %s",
		p.Method, p.URL, p.Attempt, p.MaxAttempts, p.Elapsed.Round(100*time.Millisecond), p.Limit, last)
}

// WithProgress has f told what a request is waiting for once it has run for
// ProgressDelay (2 s), and every ProgressInterval (5 s) after that until it ends: which
// URL, which attempt of how many, the last error. f is called from another goroutine,
// never after the request has returned, and should not block. A CLI prints
// Progress.String to its user.
func WithProgress(f func(Progress)) Option { return func(c *config) { c.progress = f } }

// WithRetryTimeout bounds the time one request may take in all, its attempts and the
// waits between them (default 1 minute, and never past ctx): when it runs out the request
// fails with a [*RetryError] whose TimedOut is set.
func WithRetryTimeout(d time.Duration) Option { return func(c *config) { c.retryTimeout = d } }

// RetryError is a request that failed on every attempt, or ran out of the time
// WithRetryTimeout gives it: what was asked, how often and how long, and the last failure
// (a [*StatusError] when the server answered).
type RetryError struct {
	Method, URL string // the URL never carries a password
	Attempts    int
	Elapsed     time.Duration
	TimedOut    bool // the time limit ended it, rather than the number of attempts
	Limit       time.Duration
	Err         error // the last failure
}

func (e *RetryError) Error() string {
	why := fmt.Sprintf("after %d attempts in %v", e.Attempts, e.Elapsed.Round(100*time.Millisecond))
	if e.TimedOut {
		why = fmt.Sprintf("at the time limit of %v, after %d attempts", e.Limit, e.Attempts)
	}
	return fmt.Sprintf("giving up on %s %s %s: %v", e.Method, e.URL, why, e.Err)
}

func (e *RetryError) Unwrap() error { return e.Err }

// errRetryTimeout is the cause of a request's context ending at its time limit.
var errRetryTimeout = errors.New("retry time limit reached")

// errNoAnswer stands for the last failure of a request whose only attempt was cut off by
// the time limit.
var errNoAnswer = errors.New("no answer")

// attempts tracks one request's attempts for its progress reports and its error.
type attempts struct {
	report      func(Progress)
	method, url string
	max         int
	limit       time.Duration
	start       time.Time
	mu          sync.Mutex
	attempt     int
	last        error
	timer       *time.Timer
	stopped     bool
}

// track begins tracking a request; call stop when it ends.
func (c *client) track(method, path string) *attempts {
	a := &attempts{report: c.cfg.progress, method: method, url: redact(c.base) + path, max: c.cfg.maxAttempts,
		limit: c.cfg.retryTimeout, start: time.Now()}
	if a.report != nil {
		a.timer = time.AfterFunc(ProgressDelay, a.tell)
	}
	return a
}

// begin records that attempt n (from 1) starts; failed that it failed with err.
func (a *attempts) begin(n int)      { a.mu.Lock(); a.attempt = n; a.mu.Unlock() }
func (a *attempts) failed(err error) { a.mu.Lock(); a.last = err; a.mu.Unlock() }

// lastErr is the failure of the last attempt that failed, or nil.
func (a *attempts) lastErr() error { a.mu.Lock(); defer a.mu.Unlock(); return a.last }

// tell reports progress and arms the next report.
func (a *attempts) tell() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	a.report(Progress{Method: a.method, URL: a.url, Attempt: max(a.attempt, 1), MaxAttempts: a.max,
		Elapsed: time.Since(a.start), Limit: a.limit, LastErr: a.last})
	a.timer.Reset(ProgressInterval)
}

// stop ends the reports; none is made after it returns.
func (a *attempts) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	if a.timer != nil {
		a.timer.Stop()
	}
}

// gaveUp is the error of a request that ran out of attempts or time; err is the failure
// of the attempt under way when time ran out (nil when out of attempts).
func (a *attempts) gaveUp(timedOut bool, err error) *RetryError {
	a.mu.Lock()
	defer a.mu.Unlock()
	last := a.last
	if last == nil {
		last = errNoAnswer
		if err != nil && !timedOut {
			last = err
		}
	}
	return &RetryError{Method: a.method, URL: a.url, Attempts: max(a.attempt, 1), Elapsed: time.Since(a.start),
		TimedOut: timedOut, Limit: a.limit, Err: last}
}

// redact removes the password from a URL, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the ledger server"
	}
	return u.Redacted()
}
