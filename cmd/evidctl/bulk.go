package main

import (
	"fmt"
	"io"
	"os"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

// Many files in one command (disclose, preserve of thousands): the sources are checked
// up front but opened only while they are read, and the payloads are created with one
// scan of their directory and committed with the fsyncs of all of them together.

// checkSources refuses, before anything is created or signed, a file that is missing,
// unreadable or a directory.
func checkSources(what string, files []string) error {
	for _, file := range files {
		fi, err := os.Stat(file)
		if err != nil {
			return fileErr(what, file, err)
		}
		if fi.IsDir() {
			return usageErr(fmt.Sprintf("%s %s is a directory", what, file), "give a file (an image, an archive)")
		}
	}
	return nil
}

// lazySource opens its file on the first Read and closes it at the end of the file, so
// that a command over thousands of files holds open only those being read.
type lazySource struct {
	a          *app
	what, path string
	src        *source
	err        error // the error that ended reading, returned again
}

func (l *lazySource) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.src == nil {
		if l.src, l.err = l.a.openSource(l.what, l.path); l.err != nil {
			return 0, l.err
		}
	}
	n, err := l.src.Read(p)
	if err != nil {
		l.err = err
		_ = l.Close()
	}
	return n, err
}

// Close closes the file if it is open.
func (l *lazySource) Close() error {
	if l.src == nil {
		return nil
	}
	err := l.src.Close()
	l.src = nil
	return err
}

// lazyPayloads names the temporary files of every payload, in the order named, each
// created on its first write (several sealers create theirs at once), after one scan
// of the directory for stale temporaries.
func (o *outputs) lazyPayloads() []io.Writer {
	_, _ = atomicfile.RemoveStaleAll(o.payloads) // best effort, as in atomicfile.Create
	paths := o.payloads[len(o.files):]
	first := len(o.files)
	o.files = append(o.files, make([]*atomicfile.File, len(paths))...)
	ws := make([]io.Writer, len(paths))
	for i, p := range paths {
		ws[i] = &lazyPayload{path: p, slot: &o.files[first+i]}
	}
	return ws
}

// lazyPayload creates its temporary file on the first write, in its slot of
// outputs.files.
type lazyPayload struct {
	path string
	slot **atomicfile.File
}

func (l *lazyPayload) Write(p []byte) (int, error) {
	if *l.slot == nil {
		f, err := atomicfile.CreateScanned(l.path, 0o644)
		if err != nil {
			return 0, err
		}
		*l.slot = f
	}
	return (*l.slot).Write(p)
}
