package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/internal/smallfile"
)

// Pending events. An event that moves an item's custody takes the item's custody head in
// the log (docs/TRUST.md): once its entry is logged, no other event may follow that head.
// When its append returns no receipt (the witnesses did not cosign in time, the server
// did not answer), the entry may be logged all the same. The signed event is then kept
// beside the bundle, in NAME.custody.json.pending, and the next command on the bundle
// completes it (custody's Resume: the same entry appended again) before anything else.

// pendingSuffix names the file that keeps a bundle's pending event.
const pendingSuffix = ".pending"

// resumePending completes the bundle's pending event, if it has one: on success the
// bundle is written with it and the pending file removed, and done is true (nothing new
// is signed: the command that failed is the one completed). On failure the pending file
// stays.
func (a *app) resumePending(ctx context.Context, s *session, path string, b *custody.Bundle, before int) (done bool, err error) {
	data, err := smallfile.Read(path+pendingSuffix, certBundleLimit)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return true, failErr(fmt.Errorf("reading the pending event %s: %w", path+pendingSuffix, err))
	}
	env, anchors, err := parsePending(data)
	if err != nil {
		return true, failErr(fmt.Errorf("the pending event %s: %w", path+pendingSuffix, err), abandonHint(path))
	}
	if _, err := s.custodian.Resume(ctx, b, env, anchors...); err != nil {
		return true, failErr(fmt.Errorf("completing the pending event %s: %w", path+pendingSuffix, err), abandonHint(path))
	}
	if err := a.write(&outputs{bundle: path, inPlace: true}, b, len(b.Events)-before); err != nil {
		return true, err
	}
	if err := os.Remove(path + pendingSuffix); err != nil {
		return true, failErr(err)
	}
	fmt.Fprintf(a.stderr, "evidctl: completed the event signed earlier that the log had not confirmed (%s); nothing new was signed: run the command again for another event\n", path+pendingSuffix)
	return true, nil
}

// keepPending saves the signed event of a *custody.PendingError beside the bundle, and
// writes the bundle with the events the command logged before it failed (they are in the
// log; a bundle without them would hide them). Other errors leave everything as it was.
func (a *app) keepPending(path string, out *outputs, b *custody.Bundle, before int, opErr error) error {
	var pending *custody.PendingError
	if !errors.As(opErr, &pending) || !out.inPlace || len(out.payloads) > 0 {
		return opErr
	}
	data, err := json.Marshal(pendingFile{Envelope: pending.Envelope, Anchor: pending.Anchor})
	if err == nil {
		err = atomicfile.WriteFile(path+pendingSuffix, data, 0o644)
	}
	if err != nil {
		return failErr(errors.Join(opErr, fmt.Errorf("keeping the pending event: %w", err)))
	}
	if len(b.Events) > before {
		if err := a.write(out, b, len(b.Events)-before); err != nil {
			return errors.Join(opErr, err)
		}
	}
	return failErr(opErr, fmt.Sprintf("the signed %s is kept in %s: the next command on this bundle completes it (the log may hold it already, and then it alone may follow)", pending.Type, path+pendingSuffix))
}

func abandonHint(path string) string {
	return "to abandon the pending event, remove " + path + pendingSuffix + "; if the log holds it, 'evidctl audit' will show it as a branch and the item cannot move on from this bundle"
}

// pendingFile is what NAME.custody.json.pending holds: the signed event and the
// checkpoint (with its token) it cites as its anchor, which the bundle file does not
// hold yet. A file of an earlier version holds the envelope alone.
type pendingFile struct {
	Envelope *sign.Envelope            `json:"envelope"`
	Anchor   *custody.AnchorCheckpoint `json:"anchor,omitempty"`
}

// parsePending reads a pending file, of either form.
func parsePending(data []byte) (*sign.Envelope, []custody.AnchorCheckpoint, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err == nil && probe["envelope"] != nil {
		env, err := sign.ParseEnvelope(probe["envelope"])
		if err != nil {
			return nil, nil, err
		}
		var f struct {
			Anchor *custody.AnchorCheckpoint `json:"anchor"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, nil, fmt.Errorf("its anchor: %w", err)
		}
		if f.Anchor == nil {
			return env, nil, nil
		}
		return env, []custody.AnchorCheckpoint{*f.Anchor}, nil
	}
	env, err := sign.ParseEnvelope(data)
	return env, nil, err
}
