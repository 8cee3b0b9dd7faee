package trillianlog

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// Scheme is the URL scheme of a Trillian log: trillian://HOST:PORT/TREE_ID.
const Scheme = "trillian"

// Endpoint names one Trillian log tree: the gRPC address of a trillian_log_server and the
// tree's id.
type Endpoint struct {
	// Addr is the host:port of the log server's gRPC endpoint (its --rpc_endpoint).
	Addr string
	// TreeID is the id CreateTree (or Trillian's createtree) gave the tree.
	TreeID int64
}

// String returns the endpoint as a URL, "trillian://HOST:PORT/TREE_ID".
func (e Endpoint) String() string {
	return Scheme + "://" + e.Addr + "/" + strconv.FormatInt(e.TreeID, 10)
}

// ParseURL parses "trillian://HOST:PORT/TREE_ID". The port and a positive decimal tree id
// are required; nothing else (user, query, fragment) is allowed.
func ParseURL(s string) (Endpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("trillian log URL: %v", err)
	}
	if u.Scheme != Scheme {
		return Endpoint{}, fmt.Errorf("trillian log URL %q: scheme is not %s://", s, Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Endpoint{}, fmt.Errorf("trillian log URL %q: want trillian://HOST:PORT/TREE_ID and nothing else", s)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" || port == "" {
		return Endpoint{}, fmt.Errorf("trillian log URL %q: want HOST:PORT of the log server's gRPC endpoint", s)
	}
	if len(u.Path) < 2 || u.Path[0] != '/' {
		return Endpoint{}, fmt.Errorf("trillian log URL %q: missing /TREE_ID", s)
	}
	id, err := strconv.ParseInt(u.Path[1:], 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != u.Path[1:] {
		return Endpoint{}, fmt.Errorf("trillian log URL %q: tree id %q is not a positive decimal number", s, u.Path[1:])
	}
	return Endpoint{Addr: u.Host, TreeID: id}, nil
}
