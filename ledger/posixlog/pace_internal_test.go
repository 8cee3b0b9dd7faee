package posixlog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPacerDelay(t *testing.T) {
	const interval, batchAge, batchMax = 100 * time.Millisecond, 10 * time.Millisecond, 4096
	// A paced group is handed over at the checkpoint's age interval - batchAge + slack.
	const at = interval - batchAge + paceSlack
	now := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		n    int           // leaves in the group
		age  time.Duration // how old the published checkpoint is
		want time.Duration
	}{
		{"one leaf, checkpoint just published: until the batch would close an interval after it", 1, 0, at},
		{"one leaf, young checkpoint: the rest", 1, 60 * time.Millisecond, at - 60*time.Millisecond},
		{"one leaf, checkpoint old enough: no wait", 1, at, 0},
		{"one leaf, checkpoint older than an interval: no wait", 1, 5 * time.Second, 0},
		{"a batch less one leaf: as one leaf", batchMax - 1, 60 * time.Millisecond, at - 60*time.Millisecond},
		{"a full batch (sequenced at once), young checkpoint: until it is an interval old", batchMax, 60 * time.Millisecond, interval + paceSlack - 60*time.Millisecond},
		{"more than a batch, just published: at most an interval", 3 * batchMax, 0, interval},
		{"a full batch, checkpoint an interval old: no wait", batchMax, interval + paceSlack, 0},
		{"checkpoint dated in the future: at most an interval", 1, -time.Hour, interval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &pacer{interval: interval, batchAge: batchAge, batchMax: batchMax}
			if got := p.delay(tc.n, now, now.Add(-tc.age)); got != tc.want {
				t.Errorf("delay = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPacerWaitReadsTheCheckpoint: the pacer goes by the checkpoint file's mtime, and
// does not hold a group when the file cannot be read.
func TestPacerWaitReadsTheCheckpoint(t *testing.T) {
	cfg := defaults()
	cfg.checkpointInterval = 10 * time.Second // long, so that a wait cannot pass for a slow machine
	path := filepath.Join(t.TempDir(), "checkpoint")
	p := newPacer(path, cfg)
	start := time.Now()
	p.wait(1) // no file: no wait
	if d := time.Since(start); d >= cfg.checkpointInterval/2 {
		t.Errorf("wait without a checkpoint took %v", d)
	}
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	at, err := p.published()
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); !at.Equal(fi.ModTime()) {
		t.Errorf("published = %v, want the file's mtime %v", at, fi.ModTime())
	}
	want := cfg.checkpointInterval + paceSlack - cfg.batchMaxAge - time.Second
	if d := p.delay(1, at.Add(time.Second), at); d != want {
		t.Errorf("delay 1 s after the write = %v, want %v", d, want)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	p.wait(1)
	if d := time.Since(start); d >= cfg.checkpointInterval/2 {
		t.Errorf("wait with an hour-old checkpoint took %v", d)
	}
	if _, err := newPacer(filepath.Join(path, "below-a-file"), cfg).published(); err == nil {
		t.Error("published of a path below a file: no error")
	}
}
