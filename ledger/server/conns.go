package server

import (
	"net"
	"net/netip"
	"sync"
)

// connLimiter is a listener that keeps at most total connections open, and at most
// perAddr from one client address (addrKey); it closes any further one as soon as it is
// accepted.
type connLimiter struct {
	net.Listener
	total, perAddr int

	mu     sync.Mutex
	open   int
	byAddr map[netip.Prefix]int
}

func limitConns(ln net.Listener, total, perAddr int) *connLimiter {
	return &connLimiter{Listener: ln, total: total, perAddr: perAddr, byAddr: map[netip.Prefix]int{}}
}

// Accept returns the next connection within the limits.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := addrKey(c.RemoteAddr().String())
		if !l.take(key) {
			_ = c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: sync.OnceFunc(func() { l.put(key) })}, nil
	}
}

func (l *connLimiter) take(key netip.Prefix) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total || l.byAddr[key] >= l.perAddr {
		return false
	}
	l.open++
	l.byAddr[key]++
	return true
}

func (l *connLimiter) put(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[key]--; l.byAddr[key] <= 0 {
		delete(l.byAddr, key)
	}
}

// addrKey is what counts as one client, from a remote address "IP:PORT": an IPv4
// address, or the /64 an IPv6 address is in (one host's or one subscriber's share).
// Anything else is counted as one address.
func addrKey(remote string) netip.Prefix {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Prefix{}
	}
	ip := ap.Addr().Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// CloseWrite half-closes a TCP connection, as net/http does before closing one whose
// request body it did not read, so that the client reads the answer before the reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
