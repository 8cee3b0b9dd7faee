package posixlog

import (
	"os"
	"time"
)

// pacer times the handoff of a group of leaves to Tessera so that the checkpoint that
// covers them is published as soon as Tessera allows.
//
// Tessera v1.0.4's POSIX publisher (storage/posix/files.go, newAppender) wakes when a
// batch is integrated, and publishes only if the published checkpoint is at least one
// checkpoint interval old. If it is younger, the publisher skips and then sleeps a whole
// interval, not the rest of it (upstream fixed that scheduling in
// transparency-dev/tessera#940, in no release yet). So a group handed over 60 ms after a
// publication, and integrated 20 ms later, got its checkpoint at 180 ms instead of
// 100 ms: back-to-back appends (a lab logging accesses in batches, a server's steady
// stream) lost most of an interval each time.
//
// The pacer holds a group, before it takes the turn, until the published checkpoint is
// one interval old less the batch age: Tessera sequences a batch no sooner than the
// batch age after its first leaf came (unless the batch is full), so a batch that
// starts then is integrated once the checkpoint is an interval old, and its integration
// wakes the publisher when it may publish. A learnt estimate of the integration time
// would aim closer, but one that came out short (it cannot be measured exactly from
// here) makes the publisher skip, and that costs a whole interval; this bound never
// comes out short. A group of a full batch or more, which Tessera sequences at once,
// waits for the whole interval. The pacer never holds a group longer than one
// interval, and not at all when the checkpoint is old enough already (a CLI's single
// append) or cannot be read. It changes only when leaves reach Tessera, never whether
// or where they land: a group may wait for the turn much longer than this anyway.
type pacer struct {
	interval   time.Duration
	batchAge   time.Duration // Tessera's batch max age
	batchMax   int           // and size
	checkpoint string        // the published checkpoint's file
}

// paceSlack is how long past the interval a paced group is sequenced, at the earliest.
const paceSlack = time.Millisecond

// newPacer paces the handoffs to a log whose checkpoint file is checkpoint.
func newPacer(checkpoint string, c config) *pacer {
	return &pacer{interval: c.checkpointInterval, batchAge: c.batchMaxAge, batchMax: int(min(c.batchMaxSize, 1<<30)), checkpoint: checkpoint}
}

// published returns when the published checkpoint was written: its mtime, which
// Tessera's publisher reads too.
func (p *pacer) published() (time.Time, error) {
	fi, err := os.Stat(p.checkpoint)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

// wait holds the caller, about to hand over n leaves, until they will be sequenced once
// the published checkpoint is an interval old.
func (p *pacer) wait(n int) {
	at, err := p.published()
	if err != nil {
		return
	}
	if d := p.delay(n, time.Now(), at); d > 0 {
		time.Sleep(d)
	}
}

// delay is how long a handoff of n leaves at now waits, for a checkpoint published at
// at.
func (p *pacer) delay(n int, now, at time.Time) time.Duration {
	lead := p.batchAge
	if n >= p.batchMax {
		lead = 0
	}
	d := p.interval + paceSlack - lead - now.Sub(at)
	return min(max(d, 0), p.interval)
}
