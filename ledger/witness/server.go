package witness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/transparency-dev/witness/persistence/sqlite"
	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

// MaxRequestBytes bounds an add-checkpoint request body: 63 proof lines and a checkpoint
// with its signatures fit many times over (the upstream handler's own limit).
const MaxRequestBytes = 16 << 10

// Server timeouts: a client must send its headers and body promptly, and a request is
// one small database transaction.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 10 * time.Second
)

// Option configures Open and Serve.
type Option func(*config)

type config struct {
	listenFile string
	logger     *slog.Logger
}

// WithListenFile makes Serve write the address it listens on ("127.0.0.1:40123" and a
// newline) to path once it accepts connections, atomically, so that a test or script
// that asked for port 0 can find it. Serve refuses a path that is a symbolic link, and
// removes the file when it stops.
func WithListenFile(path string) Option { return func(c *config) { c.listenFile = path } }

// WithLogger logs each refused or failed request (origin, status, client) to l. By
// default nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Server is a running witness: its key, its state, and the HTTP handler for POST
// /add-checkpoint. Close it when done.
type Server struct {
	cfg     config
	vkey    string
	w       *witness.Witness
	h       http.Handler
	state   *sqlite.Persistence
	closeDB func() error

	mu   sync.Mutex
	logs map[string]note.Verifier // cache of the state's logs table
}

// Open loads the witness in dir, made by Init: its key and its state database. Several
// servers may open one directory (SQLite serialises their updates), though one is usual.
func Open(ctx context.Context, dir string, opts ...Option) (*Server, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	signer, vkey, err := readKey(dir)
	if err != nil {
		return nil, fmt.Errorf("opening witness: %w", err)
	}
	state, closeDB, err := openState(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("opening witness: %w", err)
	}
	s := &Server{cfg: cfg, vkey: vkey, state: state, closeDB: closeDB, logs: map[string]note.Verifier{}}
	s.w, err = witness.New(ctx, witness.Opts{
		Persistence:    persistence{state},
		Signers:        []note.Signer{signer},
		VerifierForLog: s.verifierForLog,
	})
	if err != nil {
		_ = closeDB()
		return nil, fmt.Errorf("opening witness: %v", err)
	}
	upstream := witness.NewHTTPHandler(s.w)
	mux := http.NewServeMux()
	mux.Handle("POST /add-checkpoint", s.spec(http.HandlerFunc(upstream.AddCheckpoint)))
	s.h = mux
	return s, nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key.
func (s *Server) VerifierKey() string { return s.vkey }

// Handler returns the witness's HTTP handler: POST /add-checkpoint (c2sp.org/tlog-witness),
// nothing else.
func (s *Server) Handler() http.Handler { return s.h }

// Close releases the witness's state. Stop Serve first.
func (s *Server) Close() error {
	if err := s.closeDB(); err != nil {
		return fmt.Errorf("closing witness state: %v", err)
	}
	return nil
}

// verifierForLog looks origin up in the state's logs table, read again on a miss so that
// AddLog takes effect without a restart. The verifier it returns records, for the
// status code, whether the log's signature verified.
func (s *Server) verifierForLog(ctx context.Context, origin string) (note.Verifier, bool, error) {
	v := verdictOf(ctx)
	v.set(func(f *facts) { f.asked, f.origin = true, origin })
	s.mu.Lock()
	defer s.mu.Unlock()
	lv, ok := s.logs[origin]
	if !ok {
		logs := map[string]note.Verifier{}
		for l, err := range s.state.Logs(ctx) {
			if err != nil {
				return nil, false, err
			}
			logs[l.Origin] = l.Verifier
		}
		s.logs = logs
		if lv, ok = logs[origin]; !ok {
			return nil, false, nil
		}
	}
	v.set(func(f *facts) { f.known = true })
	return recordingVerifier{Verifier: lv, v: v}, true, nil
}

// spec bounds the request, gives it a verdict to record in, and corrects the status code
// (see spec.go).
func (s *Server) spec(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxRequestBytes {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		v := &verdict{}
		sw := &specWriter{ResponseWriter: w, v: v}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), verdictKey{}, v)))
		if s.cfg.logger != nil && sw.status != http.StatusOK {
			s.cfg.logger.Warn("witness refused a checkpoint", "origin", v.get().origin, "status", sw.status, "client", r.RemoteAddr)
		}
	})
}

// Serve serves the witness on ln until ctx ends, then stops accepting connections,
// waits (at most 10 s) for requests in flight, and returns nil. It does not close s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("witness server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("witness server: shutting down: %w", err)
	}
	return nil
}

// Serve opens the witness in dir and serves it on addr (host:port; port 0 picks one, see
// WithListenFile) until ctx ends; then it shuts down cleanly and returns nil.
func Serve(ctx context.Context, dir, addr string, opts ...Option) (err error) {
	s, err := Open(ctx, dir, opts...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	if s.cfg.listenFile != "" {
		if err := refuseSymlink(s.cfg.listenFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("witness server: %w", err)
	}
	if s.cfg.listenFile != "" {
		if err := writeListenFile(s.cfg.listenFile, ln.Addr()); err != nil {
			_ = ln.Close()
			return err
		}
		defer os.Remove(s.cfg.listenFile)
	}
	return s.Serve(ctx, ln)
}

// refuseSymlink fails when path is a symbolic link or not a regular file.
func refuseSymlink(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("listen file: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("listen file %s is a symbolic link; refusing to write through it", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("listen file %s exists and is not a regular file", path)
	}
	return nil
}

func writeListenFile(path string, addr net.Addr) error {
	if err := refuseSymlink(path); err != nil {
		return err
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, addr.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("listen file: %w", err)
	}
	return nil
}
