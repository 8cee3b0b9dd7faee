package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/evidctl/evidctl/ledger/httpapi"
)

// Defaults of the limits.
const (
	// DefaultMaxBufferedBytes bounds the append bodies held at once, across all requests.
	DefaultMaxBufferedBytes = 64 << 20
	// DefaultBodyReadTimeout bounds how long the body of one append may take to arrive,
	// and how long an append waits for room in the buffered-bytes budget.
	DefaultBodyReadTimeout = 10 * time.Second
	// DefaultMaxConnsPerAddress bounds the connections Serve keeps open from one client
	// address (an IPv4 address, or an IPv6 /64).
	DefaultMaxConnsPerAddress = 64
	// DefaultMaxConns bounds the connections Serve keeps open in all.
	DefaultMaxConns = 4096
	// ReadHeaderTimeout is how long Serve waits for a request's headers.
	ReadHeaderTimeout = 5 * time.Second
	// MaxHeaderBytes bounds the headers of a request to Serve.
	MaxHeaderBytes = 16 << 10
)

// limits are the options bounding what the server holds for its clients.
type limits struct {
	maxBuffered     int64
	bodyTimeout     time.Duration
	maxConnsPerAddr int
	maxConns        int
}

func defaultLimits() limits {
	return limits{
		maxBuffered:     DefaultMaxBufferedBytes,
		bodyTimeout:     DefaultBodyReadTimeout,
		maxConnsPerAddr: DefaultMaxConnsPerAddress,
		maxConns:        DefaultMaxConns,
	}
}

// check refuses limits the server cannot work with, given the body limit.
func (l limits) check(maxBody int64) error {
	switch {
	case l.maxBuffered < maxBody:
		return fmt.Errorf("max buffered bytes %d is below the max body size %d", l.maxBuffered, maxBody)
	case l.bodyTimeout <= 0:
		return fmt.Errorf("body read timeout %v is not positive", l.bodyTimeout)
	case l.maxConnsPerAddr < 1:
		return fmt.Errorf("max connections per address %d is below 1", l.maxConnsPerAddr)
	case l.maxConns < 1:
		return fmt.Errorf("max connections %d is below 1", l.maxConns)
	}
	return nil
}

// WithMaxBufferedBytes sets how many bytes of append bodies the server holds at once,
// across all requests (default 64 MiB, at least the max body size). An append reserves
// its declared Content-Length, or the max body size when it declares none, before its
// body is read; when the budget is spent it waits its turn, and is refused with 503 and
// Retry-After if the turn does not come within the body read timeout. One client address
// (as WithMaxConnsPerAddress counts them) may hold a sixteenth of n, or one body if that
// is more; its further appends get 503 at once.
func WithMaxBufferedBytes(n int64) Option { return func(c *config) { c.limits.maxBuffered = n } }

// WithBodyReadTimeout sets how long the body of one append may take to arrive, and how
// long it may wait for room in the buffered-bytes budget (default 10 s). A body not
// received in time is refused with 408 and its connection closed.
func WithBodyReadTimeout(d time.Duration) Option { return func(c *config) { c.limits.bodyTimeout = d } }

// WithMaxConnsPerAddress sets how many connections Serve keeps open from one client
// address (default 64): an IPv4 address, or the /64 prefix of an IPv6 one. Further
// connections from it are closed as soon as they are accepted; clients retry. Behind a
// reverse proxy every client has the proxy's address: raise the limit there and let the
// proxy limit its clients. A Handler mounted with New on a server of your own is not
// affected: limit connections there.
func WithMaxConnsPerAddress(n int) Option { return func(c *config) { c.limits.maxConnsPerAddr = n } }

// WithMaxConns sets how many connections Serve keeps open in all (default 4096); further
// ones are closed as soon as they are accepted.
func WithMaxConns(n int) Option { return func(c *config) { c.limits.maxConns = n } }

// readBody reads the body of an append within the limits: maxBody (at most the max body
// size), a reservation in the buffered-bytes budget and the body read deadline. It
// returns the body and the function releasing its reservation (to call once the request
// is done with), or false when it has answered the request with a refusal.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, func(), bool) {
	maxBody, timeout := min(maxBody, h.cfg.maxBody), h.cfg.limits.bodyTimeout
	// The deadline also bounds what net/http reads of a refused body after the handler
	// returns. A server that cannot set deadlines (ErrNotSupported: a ResponseWriter of
	// the caller's) reads without one; Serve's can.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	if r.ContentLength > maxBody {
		w.Header().Set("Connection", "close") // the body is not read, nor drained
		refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", maxBody))
		return nil, nil, false
	}
	reserve := maxBody
	if r.ContentLength >= 0 {
		reserve = r.ContentLength
	}
	addr := addrKey(r.RemoteAddr)
	wait, cancel := context.WithTimeout(r.Context(), timeout)
	err := h.budget.acquire(wait, addr, reserve)
	cancel()
	if err != nil {
		if r.Context().Err() == nil { // else the client has gone
			w.Header().Set(httpapi.RetryAfterHeader, "1")
			refuse(w, http.StatusServiceUnavailable, "too many append bodies being received; retry later")
		}
		return nil, nil, false
	}
	release := sync.OnceFunc(func() { h.budget.release(addr, reserve) })
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	body, err := readAll(http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength)
	if err != nil {
		release()
		refuseBody(w, err, maxBody, timeout)
		return nil, nil, false
	}
	// No deadline while the append waits for its receipt: an expired one would cancel the
	// request's context.
	_ = rc.SetReadDeadline(time.Time{})
	return body, release, true
}

// readAll reads r to its end into a buffer of the declared length n (so that what is
// held is what was reserved), or growing as needed when n is unknown (-1).
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n < 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, n) // net/http ends the body at its declared length
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// refuseBody answers a body that could not be read: too large (413), too slow (408, and
// the connection is closed) or broken (400).
func refuseBody(w http.ResponseWriter, err error, maxBody int64, timeout time.Duration) {
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", maxBody))
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		w.Header().Set("Connection", "close")
		refuse(w, http.StatusRequestTimeout, fmt.Sprintf("body not received within %v", timeout))
	default:
		refuse(w, http.StatusBadRequest, "reading body: "+err.Error())
	}
}

// addressShares is what one client address may hold of the buffered-bytes budget: a
// sixteenth (or one body, if that is more), so that a few addresses cannot spend it all.
const addressShares = 16

// errAddressShare: the client's address holds its whole share of the budget.
var errAddressShare = errors.New("this address's share of the buffered bytes is spent")

// byteBudget is a semaphore counting bytes: a request acquires what it may hold and
// releases it when done. Waiters are served in the order they came, so a large request
// is not starved by small ones. One client address may hold at most share bytes; beyond
// that it is refused at once rather than queued.
type byteBudget struct {
	share int64

	mu      sync.Mutex
	free    int64
	byAddr  map[netip.Prefix]int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when the bytes are granted
}

func newByteBudget(total, maxBody int64) *byteBudget {
	return &byteBudget{free: total, share: max(total/addressShares, maxBody), byAddr: map[netip.Prefix]int64{}}
}

// acquire takes n bytes for a request from addr (n at most the share), waiting until they
// are free or ctx ends. It fails at once with errAddressShare if addr holds too much.
func (b *byteBudget) acquire(ctx context.Context, addr netip.Prefix, n int64) error {
	b.mu.Lock()
	if b.byAddr[addr]+n > b.share {
		b.mu.Unlock()
		return errAddressShare
	}
	b.byAddr[addr] += n
	if len(b.waiters) == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return nil
	}
	wt := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, wt)
	b.mu.Unlock()
	select {
	case <-wt.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-wt.ready: // granted meanwhile: give it back
		b.free += n
	default:
		b.waiters = slices.DeleteFunc(b.waiters, func(o *budgetWaiter) bool { return o == wt })
	}
	b.putAddr(addr, n)
	b.grant() // bytes came back, or the head of the queue changed
	return ctx.Err()
}

// release returns n bytes taken for addr.
func (b *byteBudget) release(addr netip.Prefix, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.free += n
	b.putAddr(addr, n)
	b.grant()
}

func (b *byteBudget) putAddr(addr netip.Prefix, n int64) {
	if b.byAddr[addr] -= n; b.byAddr[addr] <= 0 {
		delete(b.byAddr, addr)
	}
}

// grant hands free bytes to the waiters at the head of the queue, in order.
func (b *byteBudget) grant() {
	for len(b.waiters) > 0 && b.free >= b.waiters[0].n {
		wt := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.free -= wt.n
		close(wt.ready)
	}
}
