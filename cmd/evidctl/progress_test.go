package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProgressBarDrawsToCompletion(t *testing.T) {
	var out bytes.Buffer
	p := &progressBar{w: &out, name: "image.dd", total: 3 << 30}
	chunk := make([]byte, 1<<20)
	for range 3 << 10 {
		if _, err := p.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	p.finish()
	p.finish() // at EOF and again at Close: one final line only
	got := out.String()
	if !strings.Contains(got, "image.dd [") || !strings.Contains(got, "100% 3.0 GiB/3.0 GiB") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("progress output %q lacks the bar, 100%% or the final newline", got)
	}
	if strings.Count(got, "\n") != 1 {
		t.Fatalf("progress output %q ends its line %d times, want once", got, strings.Count(got, "\n"))
	}
	if strings.Count(got, "\r") > 20 {
		t.Fatalf("the bar was redrawn %d times for a fast copy; want at most ~10 a second", strings.Count(got, "\r"))
	}
}

// TestNoProgressBarOffTerminal: stderr that is not a terminal (a pipe, a file, CI) gets
// no bar, however large the input.
func TestNoProgressBarOffTerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.dd")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(progressThreshold + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var stderr bytes.Buffer
	a := &app{stderr: &stderr}
	s, err := a.openSource("evidence file", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s.bar != nil || stderr.Len() != 0 {
		t.Fatalf("a progress bar was drawn to a non-terminal: %q", stderr.String())
	}
}
