package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progressThreshold is the input size above which a progress bar is drawn (on a
// terminal only).
const progressThreshold = 64 << 20

// source opens an input file; large inputs get a progress bar on stderr when stderr
// is a terminal.
type source struct {
	*os.File
	r    io.Reader
	bar  *progressBar
	name string
}

// Read reads the input; at its end the progress bar, if any, is completed, so that
// what the command prints next starts on a line of its own.
func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF && s.bar != nil {
		s.bar.finish()
	}
	return n, err
}

func (s *source) Close() error {
	if s.bar != nil {
		s.bar.finish()
	}
	return s.File.Close()
}

func (a *app) openSource(what, path string) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(what, path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, failErr(err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, usageErr(fmt.Sprintf("%s %s is a directory", what, path), "give a file (an image, an archive)")
	}
	s := &source{File: f, r: f, name: path}
	if fi.Size() > progressThreshold && a.stderrIsTerminal() {
		s.bar = &progressBar{w: a.stderr, name: path, total: fi.Size()}
		s.r = io.TeeReader(f, s.bar)
	}
	return s, nil
}

func (a *app) stderrIsTerminal() bool {
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws "name [=====>    ] 42% 1.2 GiB/2.9 GiB" at most ten times a second.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	done  int64
	last  time.Time

	finished bool
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if now := time.Now(); now.Sub(p.last) > 100*time.Millisecond || p.done == p.total {
		p.last = now
		p.draw()
	}
	return len(b), nil
}

func (p *progressBar) draw() {
	const width = 30
	frac := float64(p.done) / float64(p.total)
	if frac > 1 {
		frac = 1
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %s/%s", p.name, strings.Repeat("=", n), strings.Repeat(" ", width-n),
		frac*100, gib(p.done), gib(p.total))
}

// finish draws the bar a last time and ends its line; later calls do nothing.
func (p *progressBar) finish() {
	if p.finished {
		return
	}
	p.finished = true
	p.draw()
	fmt.Fprintln(p.w)
}

func gib(n int64) string {
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
