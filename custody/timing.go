package custody

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/tsa"
)

// Trusted time (docs/TRUST.md): each event gets an interval built only from evidence in
// the bundle that the policy trusts.
//
//   - Upper bound, "latest": the earliest trusted time on the checkpoint of the event's
//     receipt (the event was logged by then): a cosignature of a witness the policy
//     trusts (its timestamp, plus the second it is rounded down to), or an RFC 3161
//     token of a TSA the policy trusts (its time plus its accuracy).
//   - Lower bound, "earliest": the latest trusted time on the anchor, the checkpoint the
//     statement cites as read before signing, which the bundle carries with a
//     consistency proof to the receipt's checkpoint (the event was signed after it): a
//     cosignature's timestamp, or a token's time minus its accuracy. The statement
//     commits to the very note and token the signer held, so these times precede the
//     signature.
//
// Rule time judges the claimed time against the interval, rule anchor the anchor's
// evidence, and rule key the signer's validity and revocation over the interval.

// TimeSource is one piece of trusted time behind an event's interval.
type TimeSource struct {
	// Bound is "earliest" for a time on the anchor, "latest" for one on the receipt's
	// checkpoint.
	Bound string `json:"bound"`
	// Kind is "witness" (a cosignature) or "tsa" (an RFC 3161 token).
	Kind string `json:"kind"`
	// Name is the witness's or the TSA's name in the trust policy.
	Name string `json:"name"`
	// Time is the time the source states: the cosignature's timestamp, the token's
	// genTime.
	Time time.Time `json:"time"`
	// Checkpoint names the checkpoint it is on: "ORIGIN@SIZE".
	Checkpoint string `json:"checkpoint"`
}

// TimeInterval is an event's trusted time: it was signed no earlier than Earliest and
// logged no later than Latest, by the evidence of Sources. A missing bound is the zero
// time, and Warning says what is missing: such a time is partly the signer's word.
type TimeInterval struct {
	Earliest     time.Time    `json:"earliest,omitzero"`
	Latest       time.Time    `json:"latest,omitzero"`
	WidthSeconds float64      `json:"widthSeconds,omitempty"` // Latest - Earliest, when both are known
	Sources      []TimeSource `json:"sources"`
	Warning      string       `json:"warning,omitempty"`
}

// Anchored reports whether the interval has both bounds.
func (iv *TimeInterval) Anchored() bool { return !iv.Earliest.IsZero() && !iv.Latest.IsZero() }

// String is "[EARLIEST, LATEST]", with "unbounded" for a missing bound.
func (iv *TimeInterval) String() string {
	bound := func(t time.Time) string {
		if t.IsZero() {
			return "unbounded"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return "[" + bound(iv.Earliest) + ", " + bound(iv.Latest) + "]"
}

// Source bounds.
const (
	boundEarliest = "earliest"
	boundLatest   = "latest"
)

// cosignatureGrain is the precision of a cosignature's timestamp: whole seconds, rounded
// down, so the witness signed within the second after it.
const cosignatureGrain = time.Second

// trustedTime is what verification establishes of one event's time.
type trustedTime struct {
	TimeInterval
	ignored []string // trusted-time evidence set aside, and why
	checks  []Check  // rule anchor, and tokens that are not tokens of their checkpoint
}

// earliestFrom and latestFrom add a source and move the bound.
func (tt *trustedTime) earliestFrom(s TimeSource, at time.Time) {
	tt.Sources = append(tt.Sources, s)
	if tt.Earliest.IsZero() || at.After(tt.Earliest) {
		tt.Earliest = at.UTC()
	}
}

func (tt *trustedTime) latestFrom(s TimeSource, at time.Time) {
	tt.Sources = append(tt.Sources, s)
	if tt.Latest.IsZero() || at.Before(tt.Latest) {
		tt.Latest = at.UTC()
	}
}

// at is where a certificate and a key are judged: both bounds, or nothing when a bound
// is missing.
func (tt *trustedTime) at() []time.Time {
	if !tt.Anchored() {
		return nil
	}
	return []time.Time{tt.Earliest, tt.Latest}
}

// timing builds the trusted interval of an event whose receipt verified as cp (nil when
// it did not: then nothing bounds it above).
func (v *verifier) timing(ev *Event, cp *ledger.Checkpoint, rc *ledger.Receipt) *trustedTime {
	tt := &trustedTime{}
	switch {
	case cp == nil:
		tt.checks = append(tt.checks, notChecked(RuleAnchor, "the receipt does not verify"))
		tt.finish()
		return tt
	case ev.Anchor == nil:
		tt.checks = append(tt.checks, notChecked(RuleAnchor, "the statement cites no anchor (it was made before statements had them)"))
	default:
		v.anchor(tt, ev.Anchor, cp, rc)
	}
	where := checkpointName(cp)
	for _, c := range cp.Cosignatures {
		tt.latestFrom(TimeSource{Bound: boundLatest, Kind: "witness", Name: c.Witness, Time: c.Time, Checkpoint: where}, c.Time.Add(cosignatureGrain))
	}
	if len(rc.Extra) > 0 {
		v.receiptToken(tt, rc, where)
	}
	tt.finish()
	return tt
}

// receiptToken adds the time of the receipt's token, when a TSA the policy trusts issued
// it over the receipt's checkpoint.
func (v *verifier) receiptToken(tt *trustedTime, rc *ledger.Receipt, where string) {
	ts, err := v.verifyToken(rc.Extra[0], rc.Checkpoint)
	switch {
	case errors.Is(err, tsa.ErrUntrusted) || errors.Is(err, errNoTSA):
		tt.ignored = append(tt.ignored, "the receipt's time-stamp token is not from a TSA the policy trusts")
	case err != nil:
		tt.checks = append(tt.checks, Check{Rule: RuleTime, Status: StatusFailed, Expected: "a time-stamp token over the receipt's checkpoint", Found: err.Error(),
			Detail: "the receipt's time-stamp token is not a valid token of its checkpoint"})
	default:
		tt.latestFrom(TimeSource{Bound: boundLatest, Kind: "tsa", Name: ts.Authority, Time: ts.Time.UTC(), Checkpoint: where}, ts.Latest())
	}
}

// errNoTSA: the policy lists no TSA, so no token is trusted.
var errNoTSA = errors.New("the policy trusts no TSA")

// verifyToken verifies a token with the policy's TSAs.
func (v *verifier) verifyToken(token, checkpoint []byte) (*tsa.Timestamp, error) {
	if v.tsaErr != nil {
		return nil, v.tsaErr
	}
	if v.tsa == nil {
		return nil, errNoTSA
	}
	return v.tsa.Verify(token, checkpoint)
}

// anchor checks the event's anchor against the bundle (rule anchor) and, when it holds,
// adds its trusted times as lower bounds.
func (v *verifier) anchor(tt *trustedTime, a *Anchor, cp *ledger.Checkpoint, rc *ledger.Receipt) {
	fail := func(expected, found, detail string) {
		tt.checks = append(tt.checks, Check{Rule: RuleAnchor, Status: StatusFailed, Expected: expected, Found: found, Detail: detail})
	}
	ac, ok := v.anchors[a.key()]
	if !ok {
		fail("the checkpoint "+a.Checkpoint+" (and its token) in the bundle's anchors", "none", "the bundle does not carry the checkpoint the statement cites as read before signing")
		return
	}
	acp, err := v.verifyCheckpoint([]byte(ac.Checkpoint))
	if err != nil {
		fail("a checkpoint of a trusted log", err.Error(), "the checkpoint the statement cites does not verify under the policy")
		return
	}
	switch {
	case acp.Origin != a.Origin || acp.Size != a.Size || acp.Hash != a.Hash:
		fail(fmt.Sprintf("%s@%d root %s", a.Origin, a.Size, a.Hash), fmt.Sprintf("%s root %s", checkpointName(acp), acp.Hash),
			"the bundle's anchor checkpoint is not the one the statement cites")
		return
	case acp.Origin != cp.Origin:
		fail("a checkpoint of "+cp.Origin, acp.Origin, "the statement cites a checkpoint of another log than the one it was logged in")
		return
	case rc.Index < acp.Size:
		fail(fmt.Sprintf("log index %d or later", acp.Size), fmt.Sprintf("index %d", rc.Index),
			"the event is already in the checkpoint it cites as read before signing it")
		return
	}
	if err := v.extends(acp, cp); err != nil {
		fail(fmt.Sprintf("a consistency proof from size %d to %d", acp.Size, cp.Size), err.Error(),
			"the receipt's checkpoint cannot be shown to extend the anchor")
		return
	}
	where := checkpointName(acp)
	for _, c := range acp.Cosignatures {
		tt.earliestFrom(TimeSource{Bound: boundEarliest, Kind: "witness", Name: c.Witness, Time: c.Time, Checkpoint: where}, c.Time)
	}
	if len(ac.Token) > 0 {
		ts, err := v.verifyToken(ac.Token, []byte(ac.Checkpoint))
		switch {
		case errors.Is(err, tsa.ErrUntrusted) || errors.Is(err, errNoTSA):
			tt.ignored = append(tt.ignored, "the anchor's time-stamp token is not from a TSA the policy trusts")
		case err != nil:
			fail("a time-stamp token over the anchor", err.Error(), "the anchor's time-stamp token is not a valid token of its checkpoint")
			return
		default:
			tt.earliestFrom(TimeSource{Bound: boundEarliest, Kind: "tsa", Name: ts.Authority, Time: ts.Time.UTC(), Checkpoint: where}, ts.Earliest())
		}
	}
	tt.checks = append(tt.checks, passed(RuleAnchor))
}

// extends proves, with the bundle's consistency proofs, that newer extends older.
func (v *verifier) extends(older, newer *ledger.Checkpoint) error {
	if older.Size == newer.Size || older.Size == 0 {
		return ledger.VerifyConsistency(older, newer, nil)
	}
	proof, ok := v.proofs[consistencyKey{older.Origin, older.Size, newer.Size}]
	if !ok {
		return errors.New("none in the bundle")
	}
	return ledger.VerifyConsistency(older, newer, proof)
}

// verifyCheckpoint verifies a checkpoint note under the policy, remembering what it
// verified: an anchor is usually the checkpoint of an earlier receipt.
func (v *verifier) verifyCheckpoint(note []byte) (*ledger.Checkpoint, error) {
	key := sha256.Sum256(note)
	if cp, ok := v.verified[key]; ok {
		return cp, nil
	}
	cp, err := v.trust.VerifyCheckpoint(note)
	if err != nil {
		return nil, err
	}
	v.verified[key] = cp
	return cp, nil
}

// finish works out the width and the warning.
func (tt *trustedTime) finish() {
	if tt.Sources == nil {
		tt.Sources = []TimeSource{}
	}
	if tt.Anchored() {
		tt.WidthSeconds = tt.Latest.Sub(tt.Earliest).Seconds()
	}
	var missing []string
	switch {
	case tt.Earliest.IsZero() && tt.Latest.IsZero():
		missing = append(missing, "time unanchored: no trusted witness cosignature or time-stamp bounds it; the time is the signer's word")
	case tt.Earliest.IsZero():
		missing = append(missing, "no trusted lower bound: the statement cites no anchor with a trusted cosignature or time-stamp")
	case tt.Latest.IsZero():
		missing = append(missing, "no trusted upper bound: the receipt's checkpoint has no trusted cosignature or time-stamp")
	}
	tt.Warning = strings.Join(append(missing, tt.ignored...), "; ")
}

// checkpointName is "ORIGIN@SIZE".
func checkpointName(cp *ledger.Checkpoint) string { return fmt.Sprintf("%s@%d", cp.Origin, cp.Size) }

// timeRule judges the claimed time against the trusted interval, and returns the
// failures and the time the event counts as along its chain: the claimed time or, when
// the interval refutes it, what is known of the event instead, so that a successor is
// judged against that rather than against a forged date: its earliest bound less the
// skew (a successor's clock may be that far behind the witnesses'), or nothing (the
// zero time) when it has no earliest bound.
func (v *verifier) timeRule(ev *Event, tt *trustedTime) ([]Check, time.Time) {
	skew := v.policy.maxSkew()
	var fails []Check
	fail := func(found, detail string) {
		fails = append(fails, Check{Rule: RuleTime, Status: StatusFailed, Detail: detail, Found: found,
			Expected: fmt.Sprintf("a time within the trusted interval %s, give or take %v", tt.String(), skew)})
	}
	claimed := stampNano(ev.Time)
	switch {
	case !tt.Earliest.IsZero() && ev.Time.Before(tt.Earliest.Add(-skew)):
		fail(claimed, "the event claims a time before the trusted time of the checkpoint its signer read before signing")
	case !tt.Latest.IsZero() && ev.Time.After(tt.Latest.Add(skew)):
		fail(claimed, "the event claims a time after the trusted time by which it was logged")
	}
	chainTime := ev.Time
	if len(fails) > 0 {
		chainTime = time.Time{}
		if !tt.Earliest.IsZero() {
			chainTime = tt.Earliest.Add(-skew)
		}
	}
	if limit := v.policy.MaxInterval; limit != nil && tt.Anchored() && tt.Latest.Sub(tt.Earliest) > time.Duration(*limit) {
		fails = append(fails, Check{Rule: RuleTime, Status: StatusFailed, Expected: fmt.Sprintf("a trusted interval at most %v wide", time.Duration(*limit)),
			Found:  fmt.Sprintf("%v wide: %s", tt.Latest.Sub(tt.Earliest).Round(time.Second), tt.String()),
			Detail: "the trusted interval is wider than the policy allows: the signer cited an old checkpoint"})
	}
	if v.policy.RequireAnchoredTime && !tt.Anchored() {
		fails = append(fails, Check{Rule: RuleTime, Status: StatusFailed, Expected: "a trusted interval with both bounds (the policy requires anchored time)",
			Found: tt.String(), Detail: tt.Warning})
	}
	return fails, chainTime
}

// stampNano formats a claimed time for a report: RFC 3339 in UTC, as precise as it is.
func stampNano(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// lifecycle judges the signer's validity window and revocation over the interval: an
// event passes only if its whole interval lies where the key was valid; a bound the
// check needs and the event lacks fails it, since then the event may lie outside.
func (s *TrustedSigner) lifecycle(tt *trustedTime) Check {
	fail := func(expected, found, detail string) Check {
		return Check{Rule: RuleKey, Status: StatusFailed, Expected: expected, Found: found, Detail: detail}
	}
	latest, earliest := "unbounded (no trusted upper bound)", "unbounded (no trusted lower bound)"
	if !tt.Latest.IsZero() {
		latest = stampNano(tt.Latest)
	}
	if !tt.Earliest.IsZero() {
		earliest = stampNano(tt.Earliest)
	}
	switch {
	case s.Revoked != nil && (tt.Latest.IsZero() || !tt.Latest.Before(s.Revoked.Time)):
		return fail("logged before the key's revocation at "+stamp(s.Revoked.Time), "logged by "+latest,
			fmt.Sprintf("the event may have been signed after the key was revoked (%s)", s.Revoked.Reason))
	case !s.ValidUntil.IsZero() && (tt.Latest.IsZero() || tt.Latest.After(s.ValidUntil)):
		return fail("logged by the end of the key's validity, "+stamp(s.ValidUntil), "logged by "+latest,
			"the event may have been signed after the key's validity ended")
	case !s.ValidFrom.IsZero() && (tt.Earliest.IsZero() || tt.Earliest.Before(s.ValidFrom)):
		return fail("signed after the start of the key's validity, "+stamp(s.ValidFrom), "signed after "+earliest,
			"the event may have been signed before the key's validity began")
	}
	return passed(RuleKey)
}
