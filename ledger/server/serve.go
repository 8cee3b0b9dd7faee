package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// shutdownTimeout bounds how long Serve waits for requests in flight when ctx ends.
const shutdownTimeout = 30 * time.Second

// Serve serves l on addr (host:port; port 0 picks one, see WithListening) until ctx ends,
// then stops accepting connections, waits (at most 30 s) for requests in flight, and
// returns nil. allow lists the keys whose signed entries may be appended. Serve does not
// close l.
func Serve(ctx context.Context, addr string, l ledger.Ledger, allow []*sign.Verifier, opts ...Option) error {
	h, err := New(l, allow, opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serving ledger on %s: %w", addr, err)
	}
	srv := h.httpServer(ctx)
	ln = limitConns(ln, h.cfg.limits.maxConns, h.cfg.limits.maxConnsPerAddr)
	if h.cfg.listening != nil {
		h.cfg.listening(ln.Addr())
	}
	done := make(chan error, 1)
	go func() {
		if h.cfg.certFile != "" {
			done <- srv.ServeTLS(ln, h.cfg.certFile, h.cfg.keyFile)
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return fmt.Errorf("serving ledger on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("serving ledger on %s: shutting down: %w", addr, err)
	}
	return nil
}

// httpServer is the http.Server of Serve, with the time and size limits of limits.go.
func (h *Handler) httpServer(ctx context.Context) *http.Server {
	lim := h.cfg.limits
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		// A backstop for requests with a body that is not an append's (whose handler sets
		// its own deadline): headers, a wait for the budget, and the body.
		ReadTimeout:    ReadHeaderTimeout + 2*lim.bodyTimeout,
		IdleTimeout:    time.Minute,
		MaxHeaderBytes: MaxHeaderBytes,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams:          16,
			MaxReceiveBufferPerConnection: 256 << 10,
			MaxReceiveBufferPerStream:     64 << 10,
		},
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}
