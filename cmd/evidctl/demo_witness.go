package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"

	"github.com/evidctl/evidctl/ledger/witness"
)

// demoWitnesses are the demo's two witnesses, served in this process on loopback.
type demoWitnesses struct {
	policy []byte   // the witness policy naming both, both required
	names  []string // their key names, as cosignatures and reports show them
	who    []string // who runs each
	dirs   []string
	stop   func() error
}

// The witnesses of the requesting state (Brazil): its central authority and a court.
var demoWitnessParties = []struct{ policyName, keyName, who string }{
	{"central-authority-br", "central-authority.br.example/witness", "the central authority of Brazil"},
	{"court-br", "court.br.example/witness", "a court of Brazil"},
}

// startDemoWitnesses creates and serves the demo's witnesses under dir until stop.
func startDemoWitnesses(ctx context.Context, dir string) (*demoWitnesses, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make([]error, len(demoWitnessParties))
	ws := &demoWitnesses{stop: func() error { cancel(); wg.Wait(); return errors.Join(errs...) }}
	var policy strings.Builder
	var members []string
	for i, p := range demoWitnessParties {
		wdir := filepath.Join(dir, "witness-"+p.policyName)
		vkey, err := witness.Init(wdir, p.keyName)
		if err != nil {
			return nil, errors.Join(err, ws.stop())
		}
		s, err := witness.Open(ctx, wdir)
		if err != nil {
			return nil, errors.Join(err, ws.stop())
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errors.Join(err, s.Close(), ws.stop())
		}
		wg.Go(func() { errs[i] = errors.Join(s.Serve(ctx, ln), s.Close()) })
		fmt.Fprintf(&policy, "witness %s %s http://%s\n", p.policyName, vkey, ln.Addr())
		members = append(members, p.policyName)
		ws.names = append(ws.names, p.keyName)
		ws.who = append(ws.who, p.who)
		ws.dirs = append(ws.dirs, wdir)
	}
	fmt.Fprintf(&policy, "group requesting-state all %s\nquorum requesting-state\n", strings.Join(members, " "))
	ws.policy = []byte(policy.String())
	return ws, nil
}

// accept has every witness accept the log with origin, signed by the key vkey.
func (ws *demoWitnesses) accept(origin, vkey string) error {
	for _, d := range ws.dirs {
		if err := witness.AddLog(d, origin, vkey); err != nil {
			return err
		}
	}
	return nil
}
